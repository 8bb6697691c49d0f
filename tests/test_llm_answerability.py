"""The ``llm`` answerer's passage pick: the model's yes/no log-probabilities per passage choose
the one passage it answers from, or an abstention. A scripted loopback server plays the model:
each passage's yes/no odds are set by the test; the real model is in the ``model`` tier."""

from __future__ import annotations

import json
import math
from http.server import BaseHTTPRequestHandler

import pytest

from fixtures import LIBRARY_QUESTION, library_hits
from mmrag.generators import generators
from mmrag.generators.abstain import NOT_FOUND
from mmrag.generators.answerability import SYSTEM, log_odds
from servers import send_chat_stream, serve_handler

HITS = library_hits(["d1", "gold", "d2"])
QUESTION = LIBRARY_QUESTION


class Script:
    yes: dict[str, float] = {}  # a passage's id -> P(yes); P(no) is the rest
    reply: list[str] = []
    then = "done"  # done | close (the stream ends without its final event)
    scored: list[str] = []
    answered: list[dict] = []


def _passage_of(body: dict) -> str:
    last = body["messages"][-1]["content"]
    return next(h.id for h in HITS if h.text in last)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body.get("logprobs"):
            assert body["stream"] is False and body["max_tokens"] == 1
            assert body["messages"][0]["content"] == SYSTEM
            hit = _passage_of(body)
            Script.scored.append(hit)
            p = Script.yes[hit]
            tops = [{"token": "Yes", "logprob": math.log(p)},
                    {"token": "No", "logprob": math.log(1 - p)}]
            reply = {"choices": [{"logprobs": {"content": [{"top_logprobs": tops}]}}]}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        Script.answered.append(body)
        send_chat_stream(self, Script.reply)
        if Script.then == "done":
            self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server():
    Script.yes = {"d1": 0.3, "gold": 0.6, "d2": 0.1}
    Script.reply, Script.then, Script.scored, Script.answered = ["4 pm ", "[1]"], "done", [], []
    with serve_handler(Handler) as url:
        yield url


def test_the_answer_comes_from_the_passage_rated_likeliest_and_cites_it(server):
    gen = generators.create("llm", llm="openai", base_url=server, pick="one")
    seen: list[str] = []
    answer = gen.stream(QUESTION, HITS, seen.append)
    assert sorted(Script.scored) == ["d1", "d2", "gold"]
    # only the chosen passage is in the answer prompt, as its [1]
    prompt = Script.answered[-1]["messages"][-1]["content"]
    assert "[1] At weekends the Harbor Street branch" in prompt
    assert "opens on Saturdays" not in prompt and "[2]" not in prompt
    assert answer.answer == "4 pm [1]" and answer.citations == [HITS[1]]
    assert answer.generator == "llm" and "".join(seen).strip() == "4 pm [1]"
    assert answer.notes[-1] == ("answered from passage [2]; passages rated: [1] -0.85, "
                                "[2] 0.41, [3] -2.20")


@pytest.mark.parametrize("question,expected", [
    (QUESTION, NOT_FOUND["en"]),
    ("海港街图书馆周六几点关门？", NOT_FOUND["zh"]),
])
def test_low_odds_for_every_passage_is_an_abstention(server, question, expected):
    Script.yes = {"d1": 0.05, "gold": 0.08, "d2": 0.02}  # best log-odds -2.44
    gen = generators.create("llm", llm="openai", base_url=server, pick="one")
    answer = gen.generate(question, HITS)
    assert answer.answer == expected and answer.citations == []
    assert "no passage that answers" in answer.notes[0] and "-2.44" in answer.notes[0]
    assert Script.answered == []  # no answer prompt is read when nothing can answer


def test_the_abstention_threshold_is_an_option(server):
    Script.yes = {"d1": 0.05, "gold": 0.08, "d2": 0.02}
    gen = generators.create("llm", llm="openai", base_url=server, pick="one",
                            min_odds=-3.0)
    answer = gen.generate(QUESTION, HITS)
    assert answer.citations == [HITS[1]]


def test_a_server_dying_mid_answer_falls_back_over_every_passage(server):
    Script.reply, Script.then = ["4 pm"], "close"
    seen: list[str] = []
    answer = generators.create("llm", llm="openai", base_url=server, pick="one").stream(
        QUESTION, HITS, seen.append)
    assert seen == ["4 pm"]  # the preview had started
    assert answer.generator == "llm->extractive"
    assert "closed the stream before the answer ended" in answer.notes[0]
    assert answer.citations and answer.citations[0] in HITS


def test_a_server_gone_before_the_pick_falls_back_without_hanging():
    gen = generators.create("llm", llm="openai", base_url="http://127.0.0.1:9/v1", timeout=2,
                            pick="one")
    answer = gen.generate(QUESTION, HITS)
    assert answer.generator == "llm->extractive" and "unreachable" in answer.notes[0]


def test_hybrid_and_pick_off_read_every_passage_in_one_prompt(server):
    for gen in (generators.create("hybrid", llm="openai", base_url=server, pick="one"),
                generators.create("llm", llm="openai", base_url=server),
                generators.create("llm", llm="openai", base_url=server, pick=None)):
        Script.scored, Script.answered = [], []
        gen.generate(QUESTION, HITS)
        assert Script.scored == []
        prompt = Script.answered[-1]["messages"][-1]["content"]
        assert all(h.text in prompt for h in HITS)


def test_log_odds_sums_the_cases_and_floors_a_missing_side():
    tops = {"Yes": math.log(0.3), "yes": math.log(0.1), "No": math.log(0.4)}
    assert log_odds(tops) == pytest.approx(0.0)
    only_no = {"No": math.log(0.9), "The": math.log(0.05)}
    assert log_odds(only_no) == pytest.approx(math.log(0.05) - 1.0 - math.log(0.9))
    assert log_odds({"是": -0.1, "否": -2.5}) == pytest.approx(2.4)


def test_pick_order_gives_every_passage_best_rated_first(server):
    Script.reply = ["4 pm ", "[1]"]
    gen = generators.create("llm", llm="openai", base_url=server, pick="order")
    answer = gen.generate(QUESTION, HITS)
    prompt = Script.answered[-1]["messages"][-1]["content"]
    # numbered by rating, listed last to first: the best-rated one next to the question
    assert prompt.index("[3] The library on Harbor") < prompt.index("[2] The Harbor Street")
    assert prompt.index("[2] The Harbor Street") < prompt.index("[1] At weekends")
    assert answer.citations == [HITS[1]] and "given best first" in answer.notes[-1]


def test_an_unknown_pick_is_a_clear_error():
    from mmrag.errors import ConfigError

    with pytest.raises(ConfigError, match="pick must be one of"):
        generators.create("llm", llm="openai", base_url="http://127.0.0.1:9/v1", pick="all")
