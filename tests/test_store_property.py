"""Store invariants under random add / upsert / delete sequences (hypothesis)."""

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmrag.stores import SourceRecord
from mmrag.types import Chunk
from store_backends import close, open_store

DIM = 8
WORDS = ["熊猫", "竹子", "tea", "china", "planet", "venus", "长城", "novel"]

files = st.sampled_from([f"/data/f{i}.txt" for i in range(5)])
texts = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
                 min_size=1, max_size=3)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("write"), files, texts),
        st.tuples(st.just("delete"), files, st.just([])),
    ),
    min_size=1,
    max_size=8,
)


def _vectors(n, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("backend", [
    "lancedb", pytest.param("milvus-lite", marks=pytest.mark.milvus)])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_store_matches_a_dict_model(backend, sequence):
    root = Path(tempfile.mkdtemp())
    store = None
    try:
        store = open_store(backend, root, DIM)
        model: dict[str, list[str]] = {}
        for step, (op, path, contents) in enumerate(sequence):
            if op == "write":
                chunks = [Chunk(id=f"{path}#{step}#{i}", source=path, text=t)
                          for i, t in enumerate(contents)]
                record = SourceRecord(path, path, f"h{step}", 1, 0.0, len(chunks), "text", 0.0)
                store.write([record], chunks, _vectors(len(chunks), step))
                model[path] = contents
            else:
                gone = store.delete(path)
                assert [r.path for r in gone] == ([path] if path in model else [])
                model.pop(path, None)
        store.optimize()
        assert store.count() == sum(len(v) for v in model.values())
        assert sorted(r.path for r in store.sources()) == sorted(model)
        for path, contents in model.items():
            record = store.source(path)
            assert record is not None and record.chunks == len(contents)
        # every stored chunk is reachable by dense search; nothing deleted comes back
        total = store.count()
        if total:
            hits = store.dense(_vectors(1, 999)[0], k=total)
            assert len(hits) == total
            assert {h.source for h in hits} == set(model)
            for word in WORDS:
                for hit in store.sparse([word], k=total):
                    assert hit.source in model and word in hit.text.split()
    finally:
        if store is not None:
            close(store)
        shutil.rmtree(root, ignore_errors=True)
