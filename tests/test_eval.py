"""mmrag eval on tiny BEIR and QA datasets made here; metrics against hand-computed values."""

import importlib.util
import json
import math

import pytest

from mmrag.cli.main import main
from mmrag.evaluation import metrics


def test_ranking_metrics_by_hand():
    ranked = ["d3", "d1", "d7", "d2"]
    qrels = {"d1": 1, "d2": 2, "d9": 1}
    assert metrics.recall_at(ranked, qrels, 1) == 0
    assert metrics.recall_at(ranked, qrels, 2) == pytest.approx(1 / 3)
    assert metrics.recall_at(ranked, qrels, 10) == pytest.approx(2 / 3)
    assert metrics.mrr_at(ranked, qrels) == 0.5
    dcg = 1 / math.log2(3) + 2 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at(ranked, qrels, 10) == pytest.approx(dcg / idcg)


def test_answer_metrics_en_and_zh():
    assert metrics.exact_match("The Faulkner.", ["faulkner"]) == 1
    assert metrics.f1("William Faulkner wrote it", ["William Faulkner"]) == pytest.approx(2 / 3)
    assert metrics.f1("八千八百公里", ["八千八百五十公里"]) == pytest.approx(2 * 6 / (6 + 8))
    assert metrics.contains("It is about 8,850 km long.", ["8,850 km"]) == 1
    assert metrics.contains("长城全长约八千八百五十公里。", ["八千八百五十公里"]) == 1


@pytest.fixture
def beir(tmp_path):
    root = tmp_path / "beir"
    (root / "qrels").mkdir(parents=True)
    docs = {
        "d1": ("Pandas", "Giant pandas eat bamboo almost exclusively."),
        "d2": ("Tea", "Tea reached England in the 1660s."),
        "d3": ("Volcano", "Olympus Mons on Mars is the tallest volcano."),
    }
    (root / "corpus.jsonl").write_text("\n".join(
        json.dumps({"_id": k, "title": t, "text": x}) for k, (t, x) in docs.items()))
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in [
        {"_id": "q1", "text": "what do pandas eat"},
        {"_id": "q2", "text": "tallest volcano on mars"},
        {"_id": "q3", "text": "not judged"},
    ]))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    return root


STORES = ["lancedb", pytest.param("milvus", marks=[pytest.mark.milvus, pytest.mark.skipif(
    importlib.util.find_spec("milvus_lite") is None, reason="Milvus Lite needs mmrag[milvus]")])]


@pytest.mark.parametrize("store", STORES)
def test_eval_beir_end_to_end(beir, tmp_path, capsys, store):
    out = tmp_path / "out"
    code = main(["eval", str(beir), "--embedder", "hash", "--out", str(out), "--no-progress",
                 "--strategies", "hybrid,bm25", "--json", "--store", store])
    results = json.loads(capsys.readouterr().out)
    assert code == 0 and results["queries"] == 2 and results["documents"] == 3
    for strategy in ("hybrid", "bm25"):
        assert results["strategies"][strategy]["recall@1"] == 1.0
        assert results["strategies"][strategy]["ndcg@10"] == 1.0
    assert (out / "results.json").exists() and (out / "report.md").exists()
    assert "| hybrid | 1.000" in (out / "report.md").read_text()


@pytest.mark.parametrize("store", STORES)
def test_eval_qa_end_to_end(tmp_path, capsys, store):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "novel.txt").write_text("The Sound and the Fury is a 1929 novel by William "
                                      "Faulkner.", encoding="utf-8")
    (corpus / "wall.txt").write_text("长城全长约八千八百五十公里。", encoding="utf-8")
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"question": "Who wrote the 1929 novel?", "answers": ["William Faulkner"],
         "source": "novel.txt"},
        {"question": "长城有多长？", "answers": ["八千八百五十公里"], "source": "wall.txt"},
    ]), encoding="utf-8")
    code = main(["eval", str(qa), "--embedder", "hash", "--out", str(tmp_path / "o"),
                 "--no-progress", "--json", "--store", store])
    results = json.loads(capsys.readouterr().out)
    extractive = results["generators"]["extractive"]
    assert code == 0 and results["questions"] == 2
    assert extractive["contains"] == 1.0 and extractive["citation_recall"] == 1.0
    assert extractive["retrieved@5"] == 1.0


def test_unknown_dataset_layout_is_explained(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    assert "expected a BEIR folder" in capsys.readouterr().err


def test_eval_ranks_apart_from_the_off_subject_judgement(tmp_path, capsys):
    """Every query of a BEIR set has an answer: its recall is the ranking's, and the share
    the default search would answer with "nothing found" is reported beside it."""
    from fixtures import garden

    root = tmp_path / "beir"
    (root / "qrels").mkdir(parents=True)
    notes = sorted(garden(tmp_path / "garden").glob("*.txt"))
    (root / "corpus.jsonl").write_text("\n".join(
        json.dumps({"_id": p.stem, "title": "", "text": p.read_text()}) for p in notes))
    (root / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in [
        {"_id": "q1", "text": "Garden diary 12: pruning the tomatoes in the spring"},
        {"_id": "q2", "text": "zqxjvw kkkk bread"},  # judged as if note7 answered it
    ]))
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\tnote12\t1\nq2\tnote7\t1\n")
    assert main(["eval", str(root), "--embedder", "hash", "--out", str(tmp_path / "out"),
                 "--no-progress", "--strategies", "hybrid,bm25", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["strategies"]
    assert results["hybrid"]["nothing_found"] == 0.5  # the nonsense query, judged off subject
    assert results["hybrid"]["recall@10"] >= 0.5  # the diary query's note, ranked all the same
    assert results["bm25"]["nothing_found"] == 0.0  # a baseline without relevance: no judgement
