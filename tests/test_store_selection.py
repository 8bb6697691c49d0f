"""The store is picked by configuration: recorded in the manifest, reopened without flags."""

from __future__ import annotations

import json

import pytest

from mmrag.cli.main import main
from mmrag.errors import ConfigError, IndexMismatchError
from mmrag.index import parse_store, read_manifest
from mmrag.pipeline import Pipeline
from mmrag.stores.filters import Filter

pytest.importorskip("milvus_lite", reason="Milvus Lite needs mmrag[milvus]")

QUERIES = ["熊猫吃什么", "tea in Europe", "hottest planet", "Fitzgerald novel"]


def test_parse_store_forms():
    assert parse_store("lancedb") == ("lancedb", None)
    assert parse_store("milvus") == ("milvus", None)
    assert parse_store("milvus:/data/big.db") == ("milvus", "/data/big.db")
    assert parse_store("milvus://10.0.0.5:19530") == ("milvus", "milvus://10.0.0.5:19530")
    with pytest.raises(ConfigError, match=r"unknown store 'qdrant'; available: \['lancedb'"):
        parse_store("qdrant")


@pytest.mark.milvus
def test_a_milvus_index_answers_like_a_lancedb_one(tmp_path, corpus):
    lance = Pipeline.open(tmp_path / "lance", embedder="hash", create=True)
    milvus = Pipeline.open(tmp_path / "milvus", embedder="hash", create=True, store="milvus")
    for rag in (lance, milvus):
        rag.ingest([corpus])
    manifest = read_manifest(tmp_path / "milvus")
    assert manifest["store"] == "milvus" and manifest["store_collection"].startswith("mmrag_")
    assert (tmp_path / "milvus" / "milvus.db").exists()
    milvus.store.close()
    reopened = Pipeline.open(tmp_path / "milvus")  # no flags: the manifest says milvus
    assert reopened.store.name == "milvus"
    assert [r.source for r in reopened.sources()] == [r.source for r in lance.sources()]
    for query in QUERIES:
        for strategy in ("dense", "bm25", "hybrid"):
            a = lance.search(query, k=3, strategy=strategy)
            b = reopened.search(query, k=3, strategy=strategy)
            assert [h.id for h in a] == [h.id for h in b], (query, strategy)
            assert [h.scores.keys() for h in a] == [h.scores.keys() for h in b]
    hits = reopened.search("novel", k=5, where=Filter(source="*.pdf"))
    assert hits and all(h.source.endswith(".pdf") and h.span.page for h in hits)
    reopened.delete(corpus / "novels.pdf")
    assert all(not r.source.endswith(".pdf") for r in reopened.sources())


@pytest.mark.milvus
def test_reopening_with_another_store_is_refused(tmp_path):
    Pipeline.open(tmp_path / "i", embedder="hash", create=True, store="milvus").store.close()
    with pytest.raises(IndexMismatchError, match="keeps its chunks in 'milvus'.*--store"):
        Pipeline.open(tmp_path / "i", store="lancedb")
    with pytest.raises(IndexMismatchError, match="pick a new --index"):
        Pipeline.open(tmp_path / "i", store="milvus://localhost:19530")


@pytest.mark.milvus
def test_cli_store_flag(tmp_path, corpus, capsys):
    index = str(tmp_path / "idx")
    base = ["--index", index, "--embedder", "hash"]
    assert main(["ingest", str(corpus), *base, "--store", "milvus", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["search", "熊猫", "--index", index, "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and "panda" in json.dumps(hits, ensure_ascii=False)
