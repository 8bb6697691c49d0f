"""Query understanding (follow-up rewriting, decomposition, HyDE) with a scripted LLM
through the real registry: what the model's reply does to the search, and the fallbacks
when it fails."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from mmrag.chat import Conversation
from mmrag.errors import ConfigError
from mmrag.llms import Message, llms
from mmrag.llms.openai_http import LLMError
from mmrag.pipeline import Pipeline
from mmrag.query import decompose, hyde, rewrite_followup
from mmrag.query.search import understood_search


class QueueLLM:
    """Replies with the next scripted text (an exception is raised); records the prompts."""

    name = "queue"
    replies: list[object] = []
    prompts: list[list[Message]] = []

    def __init__(self, **_: object):
        pass

    def stream(self, messages: Sequence[Message], **_: object) -> Iterator[str]:
        QueueLLM.prompts.append(list(messages))
        reply = QueueLLM.replies.pop(0) if QueueLLM.replies else ""
        if isinstance(reply, Exception):
            raise reply
        yield str(reply)


llms.register("queue")(QueueLLM)


@pytest.fixture(autouse=True)
def _fresh():
    QueueLLM.replies, QueueLLM.prompts = [], []


def test_rewrite_takes_the_model_s_first_line_and_sends_the_history():
    QueueLLM.replies = ["Query: When was The Sound and the Fury published?\nmore"]
    out = rewrite_followup(QueueLLM(), "When was it published?",
                           ["Who wrote The Sound and the Fury?"])
    assert out == "When was The Sound and the Fury published?"
    assert "Who wrote The Sound and the Fury?" in QueueLLM.prompts[0][-1].content


def test_rewrite_gives_none_for_a_failure_or_a_runaway_reply():
    QueueLLM.replies = [LLMError("server died"), "x" * 500, ""]
    for _ in range(3):
        assert rewrite_followup(QueueLLM(), "Who?", ["Tell me about tea."]) is None


def test_decompose_splits_lines_and_keeps_the_question_when_it_asks_one_thing():
    QueueLLM.replies = ["- Who discovered polonium?\n- Where was she born?\n", "", LLMError("x")]
    assert decompose(QueueLLM(), "Who discovered polonium and where was she born?") == [
        "Who discovered polonium?", "Where was she born?"]
    assert decompose(QueueLLM(), "How many moons has Mars?") == ["How many moons has Mars?"]
    assert decompose(QueueLLM(), "How many moons has Mars?") == ["How many moons has Mars?"]


def test_hyde_drafts_one_line():
    QueueLLM.replies = ["Pandas eat bamboo shoots.\nAnd more.", LLMError("x")]
    assert hyde(QueueLLM(), "What do pandas eat?") == "Pandas eat bamboo shoots."
    assert hyde(QueueLLM(), "What do pandas eat?") is None


def _rag(tmp_path, corpus) -> Pipeline:
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([corpus])
    return Pipeline.open(tmp_path / "index", generator="llm",
                         generator_options={"llm": "queue"})


def test_hyde_search_fuses_in_the_draft_s_hits(tmp_path, corpus):
    rag = _rag(tmp_path, corpus)
    plain = rag.search("zzz unrelated words", 3)
    QueueLLM.replies = ["Giant pandas eat bamboo 大熊猫 竹子"]
    fused = understood_search(rag, QueueLLM(), "zzz unrelated words", 3, use_hyde=True)
    assert any(h.source.endswith("panda.txt") for h in fused)
    assert not any(h.source.endswith("panda.txt") for h in plain)
    # each hit keeps its own calibrated relevance; the fusion only orders them
    assert all(0.0 <= h.score <= 1.0 and "rrf" in h.scores for h in fused)


def test_decomposed_search_finds_both_parts(tmp_path, corpus):
    rag = _rag(tmp_path, corpus)
    question = "Who wrote The Sound and the Fury, and what do pandas eat?"
    alone = {h.source.rsplit("/", 1)[-1] for h in rag.search(question, 2)}
    QueueLLM.replies = ["Who wrote The Sound and the Fury?\n大熊猫吃什么？"]
    hits = understood_search(rag, QueueLLM(), question, 2, use_decompose=True)
    sources = {h.source.rsplit("/", 1)[-1] for h in hits}
    assert "panda.txt" not in alone and {"novels.pdf", "panda.txt"} <= sources


def test_a_failed_step_searches_the_question_alone(tmp_path, corpus):
    rag = _rag(tmp_path, corpus)
    QueueLLM.replies = [LLMError("x"), LLMError("y")]
    hits = understood_search(rag, QueueLLM(), "What do pandas eat?", 3, use_hyde=True,
                             use_decompose=True)
    assert [h.id for h in hits] == [h.id for h in rag.search("What do pandas eat?", 3)]


def test_conversation_rewrites_a_follow_up_with_the_llm_and_falls_back_to_the_rule(
        tmp_path, corpus):
    rag = _rag(tmp_path, corpus)
    chat = Conversation(rag, rewrite="llm")
    QueueLLM.replies = ["William Faulkner [1]"]
    chat.ask("Who wrote The Sound and the Fury?")  # standalone: no rewriting call
    assert len(QueueLLM.prompts) == 1
    QueueLLM.replies = ["When was The Sound and the Fury published?", "1929 [1]"]
    assert chat.ask("When was it published?").query == (
        "When was The Sound and the Fury published?")
    QueueLLM.replies = [LLMError("down"), "1929 [1]"]
    turn = chat.ask("Who published it?")
    assert turn.query.startswith("Who published it?") and "sound" in turn.query.lower()


def test_conversation_refuses_an_unknown_rewrite_mode(rag):
    with pytest.raises(ConfigError, match="rule' or 'llm'"):
        Conversation(rag, rewrite="magic")


def test_the_llm_reads_the_passages_cut_to_its_context_budget():
    from mmrag.generators import generators
    from mmrag.text.tokenize import count_tokens
    from mmrag.types import Hit

    filler = " ".join(f"Sentence {i} is about the weather in spring." for i in range(30))
    hits = [Hit(id="a", score=1, source="a.txt", text=f"{filler} The kettle boils at noon."),
            Hit(id="b", score=1, source="b.txt", text=filler)]
    sizes = {}
    for budget in (60, None):
        QueueLLM.replies, QueueLLM.prompts = ["At noon [1]."], []
        gen = generators.create("llm", llm="queue", context_tokens=budget)
        answer = gen.generate("When does the kettle boil?", hits)
        user = QueueLLM.prompts[0][-1].content
        assert answer.answer == "At noon [1]."
        sizes[budget] = (count_tokens(user), "The kettle boils at noon." in user)
    # the frame ("Context:", "Question:", the question, [n]) adds a few tokens to the budget;
    # the budget keeps the sentence that answers, where cutting each passage at its
    # 1,200th character (the context window's rule) loses it
    assert sizes[60][0] < 60 + 25 and sizes[60][1]
    assert sizes[None][0] > 300 and not sizes[None][1]


def test_an_answer_from_a_passage_without_the_question_s_year_is_an_abstention():
    from mmrag.generators import generators
    from mmrag.types import Hit

    other_year = [Hit(id="a", score=1, source="a.txt", text="截至2021年12月，网民规模为10.32亿。")]
    right_year = [Hit(id="b", score=1, source="b.txt", text="截至2022年6月，网民规模为10.51亿。")]
    gen = generators.create("llm", llm="queue")
    QueueLLM.replies = ["10.32亿 [1]", "10.51亿 [1]"]
    refused = gen.generate("2022年6月我国网民规模有多少？", other_year)
    assert refused.citations == [] and "2022" in refused.notes[0]
    answered = gen.generate("2022年6月我国网民规模有多少？", right_year)
    assert answered.answer == "10.51亿 [1]" and answered.citations == right_year


def test_the_local_model_is_sent_no_pictures(monkeypatch):
    from mmrag.llms.llamacpp import LlamaCpp

    sent: list[Sequence[Message]] = []

    class Client:
        def stream(self, messages, **_):
            sent.append(messages)
            yield "ok"

    local = LlamaCpp()
    monkeypatch.setattr(local, "_start", lambda: Client())
    picture = Message("user", "What does the sign say? [1] text: OPEN DAILY",
                      images=("sign.png",))
    assert "".join(local.stream([picture])) == "ok"
    assert sent[0][0].images == () and sent[0][0].content == picture.content
