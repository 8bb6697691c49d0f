"""What a store may keep beside chunks, vectors and source records, declared as protocols.

Every store is a ``Store``; the extras here are what some stores have and others lack
(LanceDB has them all, Milvus none). Callers check once, when the index opens, with
``Capabilities.of(store)``, and then hold a typed handle or None, instead of asking
``hasattr`` at each use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Protocol, runtime_checkable

import numpy as np

from ..types import Hit
from .filters import Filter


@runtime_checkable
class ImageFeatureStore(Protocol):
    """Keeps each image item's raw pooled features (wider than the index's vectors)."""

    def write_image_features(
        self, ids: Sequence[str], paths: Sequence[str], features: np.ndarray
    ) -> None:
        """Replace the image features of ``paths``' files."""
        ...

    def image_features(self) -> tuple[list[str], np.ndarray]:
        """All stored image ids and their features (an id may repeat: a model's views)."""
        ...


@runtime_checkable
class ShapeStore(Protocol):
    """Keeps one 3D shape descriptor per model."""

    def write_shape_descriptors(
        self, ids: Sequence[str], paths: Sequence[str], descriptors: np.ndarray
    ) -> None:
        """Replace the shape descriptors of ``paths``' files."""
        ...

    def shape_descriptors(self) -> tuple[list[str], np.ndarray]: ...


@runtime_checkable
class AltVectorStore(Protocol):
    """Keeps other vectors of image items, in the index's space, by kind: the embedding of
    an image's text ("text"), or the mean of that and its image vector ("average")."""

    def write_alt_vectors(
        self, kind: str, ids: Sequence[str], paths: Sequence[str], vectors: np.ndarray
    ) -> None: ...

    def dense_alt(self, kind: str, vector: np.ndarray, k: int) -> list[Hit]:
        """The image items nearest ``vector`` by their ``kind`` vector, as hits."""
        ...

    def has_alt(self, kind: str) -> bool: ...

    def alt_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The ``kind`` vectors stored for ``ids`` (those that have one)."""
        ...

    def update_alt_vectors(self, kind: str, vectors: dict[str, np.ndarray]) -> None:
        """Replace the ``kind`` vectors of the ids that have one, in one commit."""
        ...


@runtime_checkable
class ItemStore(Protocol):
    """Reads stored chunks back by id or modality and re-embeds them (``mmrag align``)."""

    def get(self, ids: Sequence[str]) -> list[Hit]:
        """The chunks with these ids, in the order asked (missing ids are left out)."""
        ...

    def items(self, modality: str) -> list[Hit]:
        """Every stored chunk of one modality, as hits with their meta (score 0)."""
        ...

    def update_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Give stored chunks new vectors, all in one commit or none."""
        ...


@runtime_checkable
class SampleStore(Protocol):
    """A store that can draw a random sample of one modality's vectors (``"image"``) or
    of images' other vectors (``"alt:text"``): the background scores are calibrated on."""

    def sample_vectors(self, space: str, n: int, seed: int = 0) -> tuple[int, np.ndarray]: ...


@runtime_checkable
class PhoneticStore(Protocol):
    """Keeps the sound-alike keys of transcript chunks (:mod:`mmrag.text.phonetic`) with a
    BM25 index of their own, so a name finds the recording that misspells it."""

    def has_phonetic_keys(self, chinese: bool = False) -> bool:
        """Whether any transcript is keyed (else a query's keys, costly to make, are moot);
        with ``chinese``, whether any has Chinese keys (else a query's Chinese is moot)."""
        ...

    def phonetic(self, keys: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]:
        """The transcript chunks whose keys best match ``keys``, scored "phonetic"."""
        ...


@runtime_checkable
class SparseVectorStore(Protocol):
    """BM25 that hands back its hits' stored vectors from the same read: calibration
    judges a hit that BM25 found alone by its cosine, and a second read by id scans the
    table (no index on ids)."""

    def sparse_vectors(self, tokens: Sequence[str], k: int, where: Filter | None = None
                       ) -> tuple[list[Hit], np.ndarray]:
        """``Store.sparse``'s hits and their vectors, row for row."""
        ...


@runtime_checkable
class UpgradableStore(Protocol):
    def upgrade(self) -> bool:
        """Rebuild indexes an older mmrag made; True if it did."""
        ...


@dataclass(frozen=True)
class Capabilities:
    """A store's extras, each the store itself seen through that protocol, or None."""

    images: ImageFeatureStore | None = None
    shapes: ShapeStore | None = None
    alt: AltVectorStore | None = None
    items: ItemStore | None = None
    upgradable: UpgradableStore | None = None
    samples: SampleStore | None = None
    phonetic: PhoneticStore | None = None
    sparse_vectors: SparseVectorStore | None = None

    @classmethod
    def of(cls, store: object) -> Capabilities:
        return cls(
            images=store if isinstance(store, ImageFeatureStore) else None,
            shapes=store if isinstance(store, ShapeStore) else None,
            alt=store if isinstance(store, AltVectorStore) else None,
            items=store if isinstance(store, ItemStore) else None,
            upgradable=store if isinstance(store, UpgradableStore) else None,
            samples=store if isinstance(store, SampleStore) else None,
            phonetic=store if isinstance(store, PhoneticStore) else None,
            sparse_vectors=store if isinstance(store, SparseVectorStore) else None,
        )

    def names(self) -> frozenset[str]:
        """The extras' plain names (what a Ray worker is told; the first three are
        ingest's ``EXTRAS``)."""
        return frozenset(
            _NAMES[f.name] for f in fields(self) if getattr(self, f.name) is not None
        )


_NAMES = {
    "images": "image_features",
    "shapes": "shapes",
    "alt": "alt_vectors",
    "items": "items",
    "upgradable": "upgrade",
    "samples": "samples",
    "phonetic": "phonetic",
    "sparse_vectors": "sparse_vectors",
}
