"""What a store may keep beside chunks and vectors, declared as small protocols.

A store that implements one of these is found to have it once, when an index opens
(:meth:`Capabilities.of`), and callers then use the typed handle, never ``hasattr``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ..types import Hit


@runtime_checkable
class ImageFeatureStore(Protocol):
    def write_image_features(
        self, ids: Sequence[str], paths: Sequence[str], features: np.ndarray
    ) -> None: ...

    def image_features(self) -> tuple[list[str], np.ndarray]: ...


@runtime_checkable
class ShapeStore(Protocol):
    def write_shape_descriptors(
        self, ids: Sequence[str], paths: Sequence[str], descriptors: np.ndarray
    ) -> None: ...

    def shape_descriptors(self) -> tuple[list[str], np.ndarray]: ...


@runtime_checkable
class AltVectorStore(Protocol):
    def write_alt_vectors(
        self, kind: str, ids: Sequence[str], paths: Sequence[str], vectors: np.ndarray
    ) -> None: ...

    def has_alt(self, kind: str) -> bool: ...

    def dense_alt(self, kind: str, vector: np.ndarray, k: int) -> list[Hit]: ...

    def alt_vectors(self, kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def update_alt_vectors(self, kind: str, vectors: dict[str, np.ndarray]) -> None: ...


@runtime_checkable
class ItemStore(Protocol):
    def get(self, ids: Sequence[str]) -> list[Hit]: ...

    def items(self, modality: str) -> list[Hit]: ...

    def update_vectors(self, ids: Sequence[str], vectors: np.ndarray) -> None: ...


@runtime_checkable
class UpgradableStore(Protocol):
    def upgrade(self) -> bool: ...


@dataclass(frozen=True)
class Capabilities:
    images: ImageFeatureStore | None = None
    shapes: ShapeStore | None = None
    alt: AltVectorStore | None = None
    items: ItemStore | None = None
    upgradable: UpgradableStore | None = None

    @classmethod
    def of(cls, store: object) -> Capabilities:
        return cls(
            images=store if isinstance(store, ImageFeatureStore) else None,
            shapes=store if isinstance(store, ShapeStore) else None,
            alt=store if isinstance(store, AltVectorStore) else None,
            items=store if isinstance(store, ItemStore) else None,
            upgradable=store if isinstance(store, UpgradableStore) else None,
        )

    def names(self) -> frozenset[str]:
        have = {"image_features": self.images, "shapes": self.shapes, "alt_vectors": self.alt,
                "items": self.items, "upgrade": self.upgradable}
        return frozenset(name for name, handle in have.items() if handle is not None)
