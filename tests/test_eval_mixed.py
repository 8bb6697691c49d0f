"""`mmrag eval` on a mixed corpus: files of any modality and a queries file, no filter."""

from __future__ import annotations

import json

import pytest

from fixtures import PANDA_ZH, PLANETS_EN, TEA_EN
from mmrag.cli.main import main
from mmrag.errors import ConfigError
from mmrag.evaluation.mixed import read_mixed


def _corpus(root, queries):
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "tea.txt").write_text(TEA_EN, encoding="utf-8")
    (root / "articles" / "planets.txt").write_text(PLANETS_EN, encoding="utf-8")
    (root / "articles" / "panda.txt").write_text(PANDA_ZH, encoding="utf-8")
    (root / "queries.jsonl").write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in queries), encoding="utf-8")
    return root


def test_mixed_corpus_is_scored_per_query_set(tmp_path, capsys):
    data = _corpus(tmp_path / "mixed", [
        {"query": "Portuguese traders brought tea", "relevant": ["articles/tea.txt"],
         "lang": "en", "set": "text/en"},
        {"query": "largest planet Jupiter", "relevant": ["articles/planets.txt"],
         "set": "text/en"},
        {"query": "大熊猫吃竹子", "relevant": ["articles/panda.txt"], "set": "text/zh"},
        {"query": "zqxjvw kkkk", "relevant": [], "set": "none/en"},
    ])
    out = tmp_path / "report"
    code = main(["eval", str(data), "--embedder", "hash", "--strategies", "hybrid,hybrid-rrf",
                 "--out", str(out), "--json", "--no-progress"])
    results = json.loads(capsys.readouterr().out)
    assert code == 0 and results["kind"] == "mixed" and results["files"] == 3
    sets = results["sets"]["hybrid"]
    assert sets["text/en"]["recall@10"] == 1.0 and sets["text/zh"]["mrr@10"] == 1.0
    assert "nothing_found" in sets["none/en"] and "recall@10" not in sets["none/en"]
    summary = results["strategies"]["hybrid"]
    assert summary["min_recall@10"] == 1.0 and summary["macro_mrr@10"] == 1.0
    # RRF has no floor: the nonsense query gets its 3 hits anyway
    assert results["sets"]["hybrid-rrf"]["none/en"]["nothing_found"] == 0.0
    assert "macro MRR" in (out / "report.md").read_text(encoding="utf-8")


def test_bad_queries_files_are_named(tmp_path):
    data = _corpus(tmp_path / "a", [{"query": "x", "relevant": ["articles/gone.txt"]}])
    with pytest.raises(ConfigError, match="gone.txt"):
        read_mixed(data)
    data = _corpus(tmp_path / "b", [{"query": "x", "image": "q.jpg", "relevant": []}])
    with pytest.raises(ConfigError, match=r"queries.jsonl:1: expected .*exactly one of"):
        read_mixed(data)
