"""Retrievers: from a query to ranked hits, with every stage's score kept on each hit.

Each search strategy is a retriever factory registered by name in :data:`strategies`
(third parties add theirs through the entry-point group ``mmrag.strategies``). A factory
receives a :class:`StrategyContext`, the parts of the open index it may rank with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..registry import Registry
from ..stores.filters import Filter
from ..types import Hit

if TYPE_CHECKING:
    from ..embedders import Embedder
    from ..stores import Store
    from ..stores.capabilities import Capabilities
    from .calibration import Calibration


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
    # the index's score calibration as it is now (refreshed as the index grows)
    calibration: Callable[[], Calibration] | None = None

    def hybrid_options(self, **override: Any) -> dict[str, Any]:
        """HybridRetriever's options: ranked by calibrated relevance unless the index was
        tuned to a dense/BM25 weight (then by that weighted sum) or names a method."""
        options = dict(self.hybrid)
        if "method" not in options:
            options["method"] = "weighted" if "dense_weight" in options else "calibrated"
        if self.calibration is not None:
            options["calibration"] = self.calibration
        return {**options, **override}


strategies: Registry[Retriever] = Registry("strategy", group="mmrag.strategies", ordered=True)

# One retriever per modality, ranked together by calibrated relevance: on a mixed index it
# is the only strategy that gives every modality its own candidates (held-out mixed corpus:
# macro MRR@10 0.534 against hybrid's 0.500, lowest set R@10 0.50 against 0.13), and on an
# index of one modality it ranks exactly as hybrid does.
DEFAULT_STRATEGY = "fusion"

# Importing the built-in strategies registers them.
from . import builtin  # noqa: E402,F401
