"""Store capabilities are protocols checked once: LanceDB has every extra, Milvus none."""

from __future__ import annotations

import pytest

from mmrag.stores import (
    AltVectorStore,
    Capabilities,
    ImageFeatureStore,
    ItemStore,
    PhoneticStore,
    SampleStore,
    ShapeStore,
    SparseVectorStore,
    Store,
    UpgradableStore,
)
from store_backends import close, open_store

EXTRAS = (ImageFeatureStore, ShapeStore, AltVectorStore, ItemStore, UpgradableStore,
          SampleStore, PhoneticStore, SparseVectorStore)
ALL = frozenset({"image_features", "shapes", "alt_vectors", "items", "upgrade", "samples",
                 "phonetic", "sparse_vectors"})


def test_lancedb_store_has_every_capability(tmp_path):
    store = open_store("lancedb", tmp_path, 4)
    assert isinstance(store, Store)
    assert all(isinstance(store, extra) for extra in EXTRAS)
    caps = Capabilities.of(store)
    assert caps.images is store and caps.shapes is store and caps.alt is store
    assert caps.items is store and caps.upgradable is store and caps.samples is store
    assert caps.phonetic is store and caps.sparse_vectors is store
    assert caps.names() == ALL


@pytest.mark.parametrize("backend", ["milvus-lite", "milvus-lite-bm25"])
def test_milvus_store_is_a_store_without_extras(tmp_path, backend):
    store = open_store(backend, tmp_path, 4)
    try:
        assert isinstance(store, Store)
        # it keeps no side tables; it can sample its vectors for score calibration
        assert [e for e in EXTRAS if isinstance(store, e)] == [SampleStore]
        assert Capabilities.of(store) == Capabilities(samples=store)
        assert Capabilities.of(store).names() == frozenset({"samples"})
    finally:
        close(store)


class _Bare:
    """Only what ingest needs to keep chunks, nothing else."""

    def write(self, records, chunks, vectors) -> None: ...


class _ShapesOnly(_Bare):
    def write_shape_descriptors(self, ids, paths, descriptors) -> None: ...

    def shape_descriptors(self):
        return [], None


def test_a_store_without_extras_has_none():
    caps = Capabilities.of(_Bare())
    assert (caps.images, caps.shapes, caps.alt, caps.items, caps.upgradable) == (None,) * 5
    assert caps.names() == frozenset()
    assert not isinstance(_Bare(), Store)


def test_an_extra_is_found_by_its_whole_protocol():
    store = _ShapesOnly()
    caps = Capabilities.of(store)
    assert caps.shapes is store and caps.names() == {"shapes"}
    assert caps.images is None and caps.alt is None

