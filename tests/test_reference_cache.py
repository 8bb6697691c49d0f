"""Calibration's reference sentences are embedded once per embedder, then read back."""

from __future__ import annotations

import numpy as np

from mmrag.embedders import embed_texts, embedders
from mmrag.retrieval.background import reference_sentences, reference_texts


def test_reference_vectors_are_made_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path))
    emb = embedders.create("hash")
    first = reference_texts(emb)
    np.testing.assert_array_equal(first, embed_texts(emb, reference_sentences(), "document"))
    assert len(list(tmp_path.glob("references-hash-*.npy"))) == 1

    def broken(items, *, role):
        raise AssertionError("embedded again")

    monkeypatch.setattr(emb, "embed", broken)
    np.testing.assert_array_equal(reference_texts(emb), first)


def test_another_embedder_config_gets_its_own_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path))
    small, large = embedders.create("hash", dim=32), embedders.create("hash", dim=64)
    assert reference_texts(small).shape[1] == 32 and reference_texts(large).shape[1] == 64
    assert len(list(tmp_path.glob("references-hash-*.npy"))) == 2


def test_an_unwritable_cache_still_gives_the_vectors(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("MMRAG_CACHE", str(blocked / "cache"))
    emb = embedders.create("hash")
    assert reference_texts(emb).shape == (len(reference_sentences()), emb.dim)
