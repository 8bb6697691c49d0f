"""Strategy "fusion": one retriever per modality, their rankings fused.

Each modality present in the index (text, audio transcripts, images, video frames) gets
its own dense + BM25 retriever restricted to that modality, so each modality's best
candidates are judged. By default their hits, each with a calibrated relevance on one
scale (:mod:`.calibration`), are ranked together by it; ``rrf`` fuses by reciprocal rank
(every modality's first hit then ties at 1/61: kept for comparison), ``weighted`` by a
weighted sum of normalised scores whose weights are set by the user (e.g. text 0.6, audio
0.4) or learned by ``mmrag tune``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..embedders import Embedder
from ..stores import Store
from ..stores.filters import Filter
from ..types import MODALITIES, Hit
from .fusion import RRF_K, fuse_rrf, fuse_weighted
from .hybrid import HybridRetriever

METHODS = ("calibrated", "rrf", "weighted")


@dataclass
class ModalityFusionRetriever:
    store: Store
    embedder: Embedder
    method: str = "calibrated"
    weights: Mapping[str, float] = field(default_factory=dict)
    normaliser: str = "minmax"
    rrf_k: int = RRF_K
    hybrid: dict[str, Any] = field(default_factory=dict)  # each modality's dense+BM25 fusion

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            from ..errors import ConfigError

            raise ConfigError(f"fusion method must be one of {list(METHODS)}, got "
                              f"{self.method!r}")
        self._inner = HybridRetriever(self.store, self.embedder, **self.hybrid)

    @staticmethod
    def _calibrated(rankings: Mapping[str, list[Hit]]) -> bool:
        return all("relevance" in h.scores for hits in rankings.values() for h in hits)

    def modalities(self, where: Filter | None) -> list[str]:
        wanted = where.modalities if where and where.modalities else MODALITIES
        base = where or Filter()
        return [m for m in wanted if self.store.count(replace(base, modalities=(m,)))]

    def rankings(self, query: str, k: int, where: Filter | None) -> dict[str, list[Hit]]:
        base = where or Filter()
        return {
            m: self._inner.retrieve(query, k, replace(base, modalities=(m,)))
            for m in self.modalities(where)
        }

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        # Each list goes deeper than k: score normalisation needs more than a few points.
        rankings = self.rankings(query, max(k, 10), where)
        if self.method == "calibrated" and self._calibrated(rankings):
            # each modality's hits carry a relevance on one scale: one ranking of them all
            fused = sorted((h for hits in rankings.values() for h in hits),
                           key=lambda h: (-h.score, h.id))
        elif self.method in ("rrf", "calibrated") or not self.weights:
            fused = fuse_rrf(rankings, k=self.rrf_k)
        else:
            fused = fuse_weighted(rankings, self.weights, self.normaliser)
        return fused[:k]
