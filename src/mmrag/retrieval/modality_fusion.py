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

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
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
    # The modalities are searched side by side: each search waits on LanceDB, which
    # releases the GIL, so three of them take about the time of one and a half.
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(len(MODALITIES),
                                                   thread_name_prefix="mmrag-fusion"),
        repr=False,
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            from ..errors import ConfigError

            raise ConfigError(f"fusion method must be one of {list(METHODS)}, got "
                              f"{self.method!r}")
        self._inner = HybridRetriever(self.store, self.embedder, **self.hybrid)
        self._held: frozenset[str] = frozenset()
        self._total, self._looked = -1, 0.0

    @staticmethod
    def _calibrated(rankings: Mapping[str, list[Hit]]) -> bool:
        return all("relevance" in h.scores for hits in rankings.values() for h in hits)

    def modalities(self, where: Filter | None) -> list[str]:
        """The modalities to search: those asked for that the index holds. A modality
        that the rest of the filter leaves empty just gives no hits."""
        wanted = where.modalities if where and where.modalities else MODALITIES
        held = self._present()
        return [m for m in wanted if m in held]

    def _present(self) -> frozenset[str]:
        # Counting five modalities costs more than a search's fusion (about 8 ms) and what
        # an index holds changes only when its rows do: count them again when the total
        # (a cheap count) has changed, and once a second for an edit that kept it.
        total, now = self.store.count(), time.monotonic()
        if total != self._total or now - self._looked > 1.0:
            self._held = frozenset(m for m in MODALITIES
                                   if self.store.count(Filter(modalities=(m,))))
            self._total, self._looked = total, now
        return self._held

    def rankings(self, query: str, k: int, where: Filter | None) -> dict[str, list[Hit]]:
        base = where or Filter()
        wanted = self.modalities(where)
        if not query.strip():
            return {m: [] for m in wanted}
        # the query's vector, BM25 terms (a Chinese one's dictionary lookup too) and keys
        # once, not once per modality
        prepared = self._inner.prepare(query)
        if len(wanted) == 1:  # no thread to wait on
            return {wanted[0]: self._inner.search(prepared, k, self._within(base, wanted[0]))}
        found = self._pool.map(
            lambda m: self._inner.search(prepared, k, self._within(base, m)), wanted)
        return dict(zip(wanted, found, strict=True))

    def _within(self, base: Filter, modality: str) -> Filter | None:
        """One modality's filter; none of its own where the index holds no other, since
        it would pass every row and LanceDB would still test each one (at 100k rows a
        few ms a search)."""
        if self._held == {modality}:
            rest = replace(base, modalities=())
            return rest if rest.sql() else None
        return replace(base, modalities=(modality,))

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        # Each list goes deeper than k: score normalisation needs more than a few points.
        rankings = self.rankings(query, max(k, 10), where)
        found = [hits for hits in rankings.values() if hits]
        if len(found) == 1:  # one modality has hits: its own ranking, scores and all
            return found[0][:k]
        if self.method == "calibrated" and self._calibrated(rankings):
            # each modality's hits carry a relevance on one scale: one ranking of them all
            fused = sorted((h for hits in rankings.values() for h in hits),
                           key=lambda h: (-h.score, h.id))
        elif self.method in ("rrf", "calibrated") or not self.weights:
            fused = fuse_rrf(rankings, k=self.rrf_k)
        else:
            fused = fuse_weighted(rankings, self.weights, self.normaliser)
        return fused[:k]
