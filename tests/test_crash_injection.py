"""A write killed at each of its steps, then the next ingest: the index equals a clean run.

The kill is an exception raised from inside the step (``Killed`` is a BaseException, so no
``except Exception`` on the way can swallow it): each LanceDB commit is atomic and mmrag
runs no clean-up on the way out, so what is on disk is what ``kill -9`` at that point
leaves. The batch carries rows for every side table (image features, shape descriptors,
alt vectors), which the hash embedder's text-only ingest would not make.
"""

from __future__ import annotations

import numpy as np
import pytest

from mmrag import index as index_module
from mmrag.ingest.embedding import Embedded
from mmrag.ingest.prepare import Pending
from mmrag.ingest.report import IngestReport
from mmrag.ingest.writing import write_batch
from mmrag.pipeline import Pipeline
from mmrag.stores import SourceRecord
from mmrag.stores.capabilities import Capabilities
from mmrag.stores.lance import LanceStore
from mmrag.stores.lance_tables import AltVectors, FeatureTables
from mmrag.types import Chunk


class Killed(BaseException):
    pass


def _batch(dim: int, version: str) -> Embedded:
    pending = []
    for name in ("a", "b"):
        path = f"/data/{name}.png"
        chunks = [Chunk(id=f"{name}{version}{i}", source=f"{name}.png",
                        text=f"{name} {version} {i}", modality="image", index=i)
                  for i in range(2)]
        record = SourceRecord(path, f"{name}.png", f"h{version}", 10, 0.0, 2, "image", 0.0)
        pending.append(Pending(record, chunks, new=True))
    ids = [c.id for p in pending for c in p.chunks]
    paths = [p.record.path for p in pending for _ in p.chunks]
    rng = np.random.default_rng(len(version))
    vectors = rng.random((4, dim), dtype=np.float32)
    return Embedded(
        pending, vectors, shapes={i: [1.0, 2.0, 3.0] for i in ids},
        features=(ids, paths, rng.random((4, 16), dtype=np.float32)),
        alt=(ids, paths, vectors[::-1].copy(), vectors * 0.5),
    )


def _ingest(store: LanceStore, version: str) -> None:
    """What ingest does for these two files: recover, skip what is recorded at its hash,
    write the rest."""
    store.recover()
    done = _batch(store.dim, version)
    todo = [p for p in done.pending
            if (store.source(p.record.path) or SourceRecord("", "", "", 0, 0, 0, "", 0)).hash
            != p.record.hash]
    if todo:
        keep = {c.id for p in todo for c in p.chunks}
        rows = [i for i, c in enumerate(c for p in done.pending for c in p.chunks) if c.id in keep]
        ids, paths, feats = done.features  # type: ignore[misc]
        a_ids, a_paths, texts, averages = done.alt  # type: ignore[misc]
        done = Embedded(todo, done.vectors[rows], {i: done.shapes[i] for i in keep},
                        ([ids[r] for r in rows], [paths[r] for r in rows], feats[rows]),
                        ([a_ids[r] for r in rows], [a_paths[r] for r in rows], texts[rows],
                         averages[rows]))
        write_batch(store, Capabilities.of(store), done, IngestReport(), None)


def _state(store: LanceStore) -> dict[str, object]:
    def rows(table, columns):
        return sorted(tuple(str(r[c]) for c in columns) for r in table.to_arrow().to_pylist())

    chunks = rows(store._chunks, ["id", "path", "source_hash", "text"])
    features, feature_vectors = store.image_features()
    shapes, _ = store.shape_descriptors()
    return {
        "chunks": chunks, "sources": sorted((r.path, r.hash) for r in store.sources()),
        "features": sorted(zip(features, map(tuple, feature_vectors.round(5)), strict=True)),
        "shapes": sorted(shapes),
        "alt": {k: sorted((i, tuple(v.round(5))) for i, v in
                          store.alt_vectors(k, [c[0] for c in chunks]).items())
                for k in ("text", "average")},
    }


STEPS = {
    "chunks": (LanceStore, "_add_chunks", None),
    "image features": (FeatureTables, "write", "image_vectors"),
    "shape descriptors": (FeatureTables, "write", "shape_vectors"),
    "alt vectors": (AltVectors, "write", None),
    "sources": (LanceStore, "_save_records", None),
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("first", [True, False], ids=["new-files", "changed-files"])
def test_a_write_killed_at_each_step_is_repaired_by_the_next_ingest(
    tmp_path, monkeypatch, step, first
):
    clean = LanceStore(tmp_path / "clean", dim=8)
    _ingest(clean, "1")
    if not first:
        _ingest(clean, "2")
    expected = _state(clean)

    store = LanceStore(tmp_path / "crashed", dim=8)
    if not first:
        _ingest(store, "1")
    owner, name, table = STEPS[step]
    original = getattr(owner, name)

    def killed(self, *args, **kwargs):
        if table is None or args[0] == table:
            raise Killed(step)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, killed)
    with pytest.raises(Killed):
        _ingest(store, "2" if not first else "1")
    monkeypatch.setattr(owner, name, original)
    assert store.interrupted()
    # the next run, in a fresh process's store object
    again = LanceStore(tmp_path / "crashed", dim=8)
    _ingest(again, "2" if not first else "1")
    assert not again.interrupted()
    assert _state(again) == expected


def test_a_manifest_write_killed_leaves_an_index_the_next_ingest_makes(tmp_path, monkeypatch,
                                                                       corpus):
    real = index_module.os.replace

    def killed(src, dst):
        raise Killed("manifest")

    monkeypatch.setattr(index_module.os, "replace", killed)
    with pytest.raises(Killed):
        Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    monkeypatch.setattr(index_module.os, "replace", real)
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([corpus])
    clean = Pipeline.open(tmp_path / "clean", embedder="hash", create=True)
    clean.ingest([corpus])
    assert rag.store.count() == clean.store.count() > 0
    assert {r.source for r in rag.sources()} == {r.source for r in clean.sources()}
