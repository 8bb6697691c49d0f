"""Reranker, refiner and conversation stages, with fakes through the real registries."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from mmrag.chat import Conversation, standalone
from mmrag.cli.main import main
from mmrag.llms import Message, llms
from mmrag.pipeline import Pipeline
from mmrag.refiners import refiners
from mmrag.rerankers import rerankers
from mmrag.text.tokenize import count_tokens
from mmrag.types import Hit, Span


class ScriptedLLM:
    """Answers each prompt with the next scripted reply; records the prompts."""

    name = "scripted"
    replies: list[str] = []
    prompts: list[str] = []

    def __init__(self, **_: object):
        pass

    def stream(self, messages: Sequence[Message], **_: object) -> Iterator[str]:
        ScriptedLLM.prompts.append(messages[-1].content)
        yield ScriptedLLM.replies.pop(0) if ScriptedLLM.replies else ""


llms.register("scripted")(ScriptedLLM)


def _hits(n):
    return [Hit(id=f"h{i}", score=1.0 / (i + 1), source=f"d{i}.txt", text=f"passage {i}",
                scores={"rrf": 1.0 / (i + 1)}) for i in range(n)]


class FakeStore:
    def __init__(self, vectors):
        self._v = vectors

    def vectors(self, ids):
        return np.array([self._v[i] for i in ids], dtype=np.float32)


class FixedEmbedder:
    name, dim, modalities, config = "fixed", 2, frozenset({"text"}), {}

    def embed(self, items, *, role):
        return np.array([[1.0, 0.0]] * len(items), dtype=np.float32)


def test_mmr_demotes_a_near_duplicate():
    # h0 and h1 are identical and most relevant; h2 is a bit less relevant but different.
    v = {"h0": [1.0, 0.0], "h1": [1.0, 0.0], "h2": [0.8, 0.6]}
    mmr = rerankers.create("mmr", embedder=FixedEmbedder(), store=FakeStore(v), lambda_=0.3)
    out = mmr.rerank("q", _hits(3))
    assert [h.id for h in out] == ["h0", "h2", "h1"]
    # by hand, lambda .3: h0 = .3*1 = .3; then h2 = .3*.8 - .7*.8 = -.32 beats
    # h1 = .3*1 - .7*1 = -.4; then h1 = .3 - .7*max(1, .8) = -.4
    assert [h.scores["mmr"] for h in out] == pytest.approx([0.3, -0.32, -0.4])
    assert out[0].scores["rrf"] == 1.0  # earlier stage scores kept


def test_listwise_llm_reranker_slides_a_window_from_the_bottom():
    # 6 hits, window 4, step 2: windows [2..5], then [0..3]. The model puts the last
    # passage first in each window, so h5 climbs to the top in one pass.
    ScriptedLLM.replies = ["[4] > [1] > [2] > [3]", "[3] > [1] > [2] > [4]"]
    ScriptedLLM.prompts = []
    reranker = rerankers.create("llm", llm="scripted", window=4, step=2)
    out = reranker.rerank("query", _hits(6))
    assert [h.id for h in out] == ["h5", "h0", "h1", "h2", "h3", "h4"]
    assert out[0].scores["llm_rank"] == 1.0 and out[0].scores["rrf"] == pytest.approx(1 / 6)
    assert "[1] passage 2" in ScriptedLLM.prompts[0] and "Query: query" in ScriptedLLM.prompts[0]


def test_pointwise_llm_reranker_puts_relevant_first():
    ScriptedLLM.replies = ["no", "yes", "no"]
    out = rerankers.create("llm", llm="scripted", mode="pointwise").rerank("q", _hits(3))
    assert [h.id for h in out] == ["h1", "h0", "h2"]


def test_refiner_keeps_question_sentences_within_budget():
    filler = " ".join(f"Unrelated filler sentence number {i} about nothing." for i in range(30))
    hits = [
        Hit(id="a", score=1, source="a.txt", text=filler, span=Span(page=2)),
        Hit(id="b", score=0.5, source="b.txt",
            text="Tea reached England in the 1660s. Tea reached England in the 1660s! Cats."),
    ]
    refined = refiners.create("extractive", budget=60).refine("When did tea reach England?", hits)
    total = sum(count_tokens(h.text) for h in refined)
    assert total <= 60
    b = next(h for h in refined if h.id == "b")
    assert b.text.count("Tea reached England") == 1  # the near-duplicate was dropped
    a = next((h for h in refined if h.id == "a"), None)
    if a is not None:
        assert a.span.page == 2 and a.scores["refine_kept"] < 1


def test_refiner_passes_short_context_through():
    hits = _hits(2)
    assert [h.text for h in refiners.create("extractive").refine("q", hits)] == ["passage 0",
                                                                                 "passage 1"]


def test_followups_become_standalone():
    history = ["Who wrote The Sound and the Fury?"]
    assert standalone("When was it published?", history).startswith("When was it published?")
    assert "sound" in standalone("When was it published?", history)
    assert standalone("What do pandas eat in Sichuan?", history) == "What do pandas eat in Sichuan?"
    assert "长城" in standalone("它有多长？", ["长城在哪里？"])


def test_conversation_and_answer_stats(rag, corpus):
    rag.ingest([corpus])
    chat = Conversation(rag)
    first = chat.ask("Who wrote The Sound and the Fury?")
    second = chat.ask("When was it published?")
    assert "sound" in second.query and "1929" in second.answer.answer
    assert first.answer.stats["context_tokens"] >= first.answer.stats["refined_tokens"]


def test_ask_with_reranker_and_llm_generator_through_the_cli(rag, corpus, tmp_path, capsys,
                                                             monkeypatch):
    rag.ingest([corpus])
    ScriptedLLM.replies = ["William Faulkner [1]"]
    code = main(["ask", "Who wrote the 1929 novel?", "--index", str(rag.index_dir), "--json",
                 "--generator", "llm", "--llm", "scripted", "--reranker", "mmr"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["generator"] == "llm"
    assert out["answer"] == "William Faulkner [1]"
    assert out["citations"][0]["source"].endswith(".pdf")
    assert "mmr" in out["citations"][0]["scores"] and "compression" in out["stats"]


def test_chat_command_reads_questions_from_stdin(rag, corpus, capsys, monkeypatch):
    rag.ingest([corpus])
    monkeypatch.setattr("sys.stdin", io.StringIO("Who wrote The Sound and the Fury?\n"
                                                 "When was it published?\n"))
    assert main(["chat", "--index", str(rag.index_dir)]) == 0
    out = capsys.readouterr().out
    assert "Faulkner" in out and "(searching: When was it published?" in out and "1929" in out


def test_unknown_stage_names_list_the_choices(tmp_path):
    Pipeline.open(tmp_path / "i", embedder="hash", create=True)
    with pytest.raises(Exception, match=r"unknown reranker 'x'; available: \["):
        Pipeline.open(tmp_path / "i", reranker="x")
