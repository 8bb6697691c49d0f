"""Stores keep chunks, their vectors and BM25 tokens, and the record of each source file.

Writes go per batch of whole files: a file's old chunks are removed and its new ones added,
with the rows of the side tables a store has, before its source record is written, so a
source record always means "this file is fully in the index at this content hash".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..registry import Registry
from ..types import Chunk, Hit
from .capabilities import (
    AltVectorStore,
    Capabilities,
    ImageFeatureStore,
    ItemStore,
    PhoneticStore,
    SampleStore,
    ShapeStore,
    SparseVectorStore,
    UpgradableStore,
)
from .filters import Filter

__all__ = [
    "AltVectorStore",
    "Capabilities",
    "ImageFeatureStore",
    "ItemStore",
    "SampleStore",
    "PhoneticStore",
    "ShapeStore",
    "SideRows",
    "SourceRecord",
    "SparseVectorStore",
    "Store",
    "UpgradableStore",
    "stores",
]


@dataclass(frozen=True)
class SourceRecord:
    """One ingested file: its identity (absolute path) and the content hash it was read at."""

    path: str
    source: str
    hash: str
    size: int
    mtime: float
    chunks: int
    loader: str
    ingested_at: float


# (chunk ids, their files' paths, one row of numbers each)
Rows = tuple[list[str], list[str], np.ndarray]


@dataclass(frozen=True)
class SideRows:
    """A batch's rows for the side tables (see ``capabilities``), written inside the same
    crash-safe write as its chunks: image features, shape descriptors, alt vectors by kind."""

    image_features: Rows | None = None
    shapes: Rows | None = None
    alt: dict[str, Rows] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.image_features is not None or self.shapes is not None or bool(self.alt)


@runtime_checkable
class Store(Protocol):
    """What every store does (each backend has all of it); the extras some have are in
    ``capabilities``."""

    def write(
        self, records: Sequence[SourceRecord], chunks: Sequence[Chunk], vectors: np.ndarray,
        side: SideRows | None = None, *, replace: bool = True, commit: bool = True,
    ) -> None:
        """Replace the chunks (and side rows) of ``records``' files, then save the records.
        A store without side tables is given no ``side``.

        A file too big to hold in memory comes in parts: the first with ``commit=False``,
        the next ones with ``replace=False, commit=False``, the last with ``replace=False``.
        Until the last, its rows have no record, which ``recover`` removes."""
        ...

    def delete(self, path: str) -> list[SourceRecord]:
        """Remove the file at ``path``, or every file under the folder ``path``."""
        ...

    def source(self, path: str) -> SourceRecord | None: ...

    def sources_at(self, paths: Sequence[str]) -> dict[str, SourceRecord | None]:
        """``source`` for several files at once (ingest's look-ahead window)."""
        ...

    def sources(self) -> list[SourceRecord]: ...

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``ids``, in that order."""
        ...

    def dense(self, vector: np.ndarray, k: int, where: Filter | None = None) -> list[Hit]: ...

    def sparse(self, tokens: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]: ...

    def count(self, where: Filter | None = None) -> int: ...

    def refresh(self) -> None:
        """See every write committed so far, by this process or another."""
        ...

    def interrupted(self) -> bool:
        """True when a write began and did not finish (its journal is still there)."""
        ...

    def recover(self) -> int:
        """Remove what an interrupted write left behind; return how many chunks."""
        ...

    def optimize(self) -> None:
        """Fold recent writes into the indexes (full-text, ANN); called after each ingest."""
        ...


stores: Registry[Store] = Registry("store")


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import lance, milvus  # noqa: E402,F401
