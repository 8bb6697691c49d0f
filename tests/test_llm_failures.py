"""An LLM that refuses, overflows, dies or hangs mid-answer: a clear note or a refusal, never a
hang. The server is a scripted loopback one; the real local model is in the ``model`` tier."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest

from mmrag.generators import generators
from mmrag.generators.abstain import NOT_FOUND
from mmrag.generators.prompting import chat_prompt, estimate_tokens, recite, says_unknown
from mmrag.llms import Message, complete, llms
from mmrag.llms.openai_http import LLMError
from mmrag.types import Hit
from servers import send_chat_stream, serve_handler

HITS = [
    Hit(id="a", score=1, source="tea.md", text="Tea reached England in the 1660s."),
    Hit(id="b", score=0.9, source="novels.pdf", text="William Faulkner wrote it in 1929."),
]


class Script:
    pieces: list[str] = []
    then = "done"  # done | close (die mid-stream) | hang | error-event
    prompts: list[dict] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        Script.prompts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        send_chat_stream(self, Script.pieces)
        if Script.then == "hang":
            time.sleep(3)
        elif Script.then == "error-event":
            self.wfile.write(b'data: {"error": {"message": "slot crashed"}}\n\n')
        elif Script.then == "done":
            self.wfile.write(b"data: [DONE]\n\n")
        # "close": the handler returns and the connection closes without [DONE]


@pytest.fixture
def server():
    Script.pieces, Script.then, Script.prompts = ["William ", "Faulkner [2]"], "done", []
    with serve_handler(Handler) as url:
        yield url


@pytest.mark.parametrize("then,why", [
    ("close", "closed the stream before the answer ended"),
    ("error-event", "slot crashed"),
])
def test_a_server_dying_mid_stream_is_an_error_not_half_an_answer(server, then, why):
    Script.then = then
    llm = llms.create("openai", base_url=server)
    with pytest.raises(LLMError, match=why):
        complete(llm, [Message("user", "hi")])
    gen = generators.create("llm", llm="openai", base_url=server)
    seen: list[str] = []
    answer = gen.stream("Who wrote the 1929 novel?", HITS, seen.append)
    assert answer.generator == "llm->extractive" and why in answer.notes[0]
    assert "Faulkner" in answer.answer and answer.citations == [HITS[1]]
    assert seen  # the preview had started: the note is what tells the final answer apart


def test_a_hung_server_times_out_into_the_extractive_answer(server):
    Script.then = "hang"
    gen = generators.create("llm", llm="openai", base_url=server, timeout=0.5)
    started = time.perf_counter()
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert time.perf_counter() - started < 2.5
    assert answer.generator == "llm->extractive" and "timed out" in answer.notes[0]


@pytest.mark.parametrize("reply,question,expected", [
    ("I don't know.", "Who painted the tea house?", NOT_FOUND["en"]),
    ("我不知道。", "茶是谁画的？", NOT_FOUND["zh"]),
    ("The passages do not mention a painter.", "Who painted the tea house?", NOT_FOUND["en"]),
])
def test_a_refusal_is_an_abstention_in_the_questions_language(server, reply, question, expected):
    Script.pieces = [reply]
    for name in ("llm", "hybrid"):
        answer = generators.create(name, llm="openai", base_url=server).generate(question, HITS)
        assert answer.answer == expected and answer.citations == []
        assert answer.generator == name and "no answer in the passages" in answer.notes[0]


def test_says_unknown_does_not_fire_on_answers():
    assert not says_unknown("William Faulkner [2]")
    assert not says_unknown("小雨在杭州工作 [1]")
    assert says_unknown("Sorry, I do not know.") and says_unknown("资料中没有提到。")


def test_long_passages_are_cut_to_fit_the_context(server):
    long = [Hit(id=str(i), score=1, source=f"{i}.txt", text=f"passage {i} " + "word " * 4000)
            for i in range(5)]
    gen = generators.create("llm", llm="openai", base_url=server, context=2048, max_tokens=128)
    gen.generate("Who wrote the 1929 novel?", long)
    body = Script.prompts[-1]
    prompt = "".join(m["content"] for m in body["messages"])
    assert estimate_tokens(prompt) + body["max_tokens"] <= 2048
    # every passage keeps its share, not just the first
    assert all(f"[{n}] passage {n - 1}" in prompt for n in range(1, 6))


def test_a_context_too_small_for_the_prompt_is_a_clear_fallback(server):
    gen = generators.create("llm", llm="openai", base_url=server, context=256, max_tokens=128)
    answer = gen.generate("Who wrote the 1929 novel?", HITS)
    assert answer.generator == "llm->extractive"
    assert "context overflow" in answer.notes[0] and "256-token" in answer.notes[0]
    assert Script.prompts == []  # nothing was sent that the server would have to refuse


def test_chat_prompt_ends_with_the_question_after_its_worked_turns():
    messages = chat_prompt("Who wrote the 1929 novel?", HITS)
    assert messages[0].role == "system" and "I don't know" in messages[0].content
    assert [m.role for m in messages[1:-1]] == ["user", "assistant"] * 3
    # numbered by rank, listed last to first: the top-ranked passage next to the question
    assert messages[-1].content.endswith("[2] William Faulkner wrote it in 1929.\n"
                                         "[1] Tea reached England in the 1660s.\n\n"
                                         "Question: Who wrote the 1929 novel?")


def test_local_models_are_chosen_by_name():
    from mmrag.errors import ConfigError

    assert llms.create("llamacpp").mode == "chat"  # the instruct default: its chat template
    assert llms.create("llamacpp", model="gemma-3-270m").mode == "completion"
    with pytest.raises(ConfigError, match=r"unknown local model 'gpt-9'; available: \["):
        llms.create("llamacpp", model="gpt-9")


def test_an_answer_with_a_number_no_passage_holds_is_an_abstention(server):
    Script.pieces = ["Faulkner wrote it in 1898 [2]"]
    answer = generators.create("llm", llm="openai", base_url=server).generate(
        "When did Faulkner write the novel?", HITS)
    assert answer.answer == NOT_FOUND["en"] and answer.citations == []
    assert "1898, which no passage holds" in answer.notes[0]
    Script.pieces = ["Faulkner wrote it in 1929 [2]"]  # the passage's own number stands
    answer = generators.create("llm", llm="openai", base_url=server).generate(
        "When did Faulkner write the novel?", HITS)
    assert answer.answer == "Faulkner wrote it in 1929 [1]" and answer.citations == [HITS[1]]


def test_a_single_citation_moves_to_the_passage_that_holds_the_answer():
    hits = [Hit(id="a", score=1, source="d1.txt", text="The library opens at 9 am."),
            Hit(id="b", score=1, source="gold.txt", text="At weekends it shuts at 4 pm.")]
    assert recite("It shuts at 4 pm [1].", hits) == "It shuts at 4 pm [2]."
    assert recite("It opens at 9 am [1].", hits) == "It opens at 9 am [1]."
    # several citations: the model may have taken words from each
    assert recite("9 am [1], 4 pm [1] [2]", hits) == "9 am [1], 4 pm [1] [2]"


def test_the_local_server_reads_prompts_on_two_threads_and_writes_on_one(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from mmrag.llms import llamacpp

    made = []

    def params() -> SimpleNamespace:
        return SimpleNamespace(model=SimpleNamespace(path=""), cpuparams=SimpleNamespace(),
                               cpuparams_batch=SimpleNamespace())

    def server(p: SimpleNamespace) -> SimpleNamespace:
        made.append(p)
        return SimpleNamespace(listening_address="http://127.0.0.1:9")

    fake = SimpleNamespace(CommonParams=params, Server=server)
    monkeypatch.setattr(llamacpp, "require", lambda *a, **k: fake)
    monkeypatch.setattr(llamacpp.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(llamacpp.LlamaCpp, "_servers", {})
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    llamacpp.LlamaCpp(model_path=str(model))._start()
    llamacpp.LlamaCpp(model_path=str(model), batch_threads=1)._start()
    assert [(p.cpuparams.n_threads, p.cpuparams_batch.n_threads) for p in made] == [(1, 2), (1, 1)]
