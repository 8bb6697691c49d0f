"""LanceDB searches in one trip to its loop (mmrag.stores.lance_reads) find exactly what
lancedb's synchronous query builders find: the same rows, in the same order, with the same
scores, for dense (flat and through the HNSW index), BM25, filtered and id reads."""

from __future__ import annotations

import numpy as np
import pytest

from mmrag.stores import SourceRecord
from mmrag.stores.filters import Filter
from mmrag.stores.lance import LanceStore
from mmrag.stores.lance_reads import Search, _builder, rows
from mmrag.stores.rows import HIT_COLUMNS
from mmrag.text.tokenize import tokenize
from mmrag.types import Chunk

DIM = 16
WORDS = ["panda", "bamboo", "tea", "green", "wall", "long", "river", "moon", "熊猫", "竹子"]


def _store(tmp_path, n: int, ann_threshold: int) -> tuple[LanceStore, np.ndarray]:
    rng = np.random.default_rng(7)
    store = LanceStore(tmp_path / "index", DIM, ann_threshold=ann_threshold)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    per_file = 50
    for f in range(0, n, per_file):
        path = f"/data/{'zh' if f % 100 else 'en'}/file{f}.txt"
        chunks = [Chunk(id=f"file{f}.txt#{i}", source=f"file{f}.txt",
                        text=" ".join(rng.choice(WORDS, size=6)), modality="text", index=i)
                  for i in range(min(per_file, n - f))]
        record = SourceRecord(path, f"file{f}.txt", f"h{f}", 10, 1.0, len(chunks), "text", 1.0)
        store.write([record], chunks, vectors[f:f + len(chunks)])
    store.optimize()
    return store, vectors


def _same(store: LanceStore, search: Search) -> list[dict]:
    new = rows(store._chunks, search)
    old = list(_builder(store._chunks, search).to_list())
    assert [r["id"] for r in new] == [r["id"] for r in old]
    for a, b in zip(new, old, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=0, abs=1e-6)
            else:
                assert a[key] == b[key]
    return new


@pytest.mark.parametrize("ann_threshold", [10_000, 200])
def test_one_trip_reads_match_the_builders(tmp_path, ann_threshold):
    store, vectors = _store(tmp_path, 400, ann_threshold)
    indexed = any("vector" in i.columns for i in store._chunks.list_indices())
    assert indexed == (ann_threshold == 200)
    where = Filter(source="*/zh/*").sql()
    for q in (vectors[3], vectors[177] + 0.3 * vectors[5]):
        q = q / np.linalg.norm(q)
        for sql in (None, where):
            found = _same(store, Search([*HIT_COLUMNS, "_distance"], 30, vector=q, where=sql,
                                        nprobes=20, ef=400))
            assert len(found) == 30
        exact = np.argsort(-(vectors @ q))[:10]
        top = _same(store, Search(["id", "_distance"], 10, vector=q, nprobes=20, ef=400))
        if not indexed:  # the flat scan is exact
            assert [r["id"] for r in top] == [f"file{i // 50 * 50}.txt#{i % 50}" for i in exact]
    for text in ("panda bamboo", "熊猫 竹子", "moon"):
        terms = " ".join(tokenize(text))
        for sql in (None, where):
            found = _same(store, Search([*HIT_COLUMNS, "_score"], 20, text=terms,
                                        text_column="tokens", where=sql))
            assert found and all(r["_score"] > 0 for r in found)
    ids = ["file0.txt#3", "file350.txt#1", "file100.txt#49"]
    got = _same(store, Search(["id", "vector"], len(ids), where=f"id IN {tuple(ids)}"))
    assert sorted(r["id"] for r in got) == sorted(ids)
    np.testing.assert_array_equal(store.vectors(ids), vectors[[3, 351, 149]])


def test_the_store_searches_through_them(tmp_path):
    store, vectors = _store(tmp_path, 120, 10_000)
    hits = store.dense(vectors[7], 5)
    assert hits[0].id == "file0.txt#7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    bm25 = store.sparse(tokenize("panda"), 5, Filter(source="*/zh/*"))
    assert bm25 and all(h.source == "file50.txt" for h in bm25)
