"""Retrievers: from a query to ranked hits, with every stage's score kept on each hit.

Each search strategy is a retriever factory registered by name in :data:`strategies`
(third parties add theirs through the entry-point group ``mmrag.strategies``). A factory
receives a :class:`StrategyContext`, the parts of the open index it may rank with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..registry import Registry
from ..stores.filters import Filter
from ..types import Hit

if TYPE_CHECKING:
    from ..embedders import Embedder
    from ..stores import Store
    from ..stores.capabilities import Capabilities


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]: ...


@dataclass(frozen=True)
class StrategyContext:
    """What a strategy is built from: the index's store (and what else it keeps), its
    embedder, and the fusion settings the manifest records."""

    store: Store
    embedder: Embedder
    capabilities: Capabilities
    # how dense and BM25 rankings are fused, the same in every strategy that fuses them
    hybrid: Mapping[str, Any] = field(default_factory=dict)
    # strategy "fusion"'s method and per-modality weights (``mmrag tune``)
    fusion: Mapping[str, Any] = field(default_factory=dict)


strategies: Registry[Retriever] = Registry("strategy", group="mmrag.strategies", ordered=True)

# Importing the built-in strategies registers them.
from . import builtin  # noqa: E402,F401
