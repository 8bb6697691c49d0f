"""Learn fusion weights from a small labelled dev set (``mmrag tune``).

The dev set is JSON lines ``{"query": "...", "relevant": ["path or id", ...]}``. Each
modality's ranking is computed once per query; then every weight vector on a simplex grid
(step 0.1) is scored by mean reciprocal rank of the first relevant hit in the top 10, and
the best is kept (ties go to the most even weights). Weights are saved in the index's
manifest and used by the ``fusion`` strategy with the weighted method.

The same grid picks the dense share of hybrid retrieval (dense cosine against BM25, both
min-max normalised); the index keeps that weighted fusion only where it beats ranking by
calibrated relevance on the dev set. The relevance model itself and the floor are fitted
on the dev set too (:func:`tune_calibration`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .jsonl import read_jsonl
from .retrieval.fusion import fuse_rrf, fuse_weighted
from .retrieval.hybrid import HybridRetriever
from .retrieval.modality_fusion import ModalityFusionRetriever
from .types import Hit


@dataclass(frozen=True)
class DevQuery:
    query: str
    relevant: frozenset[str]


def read_devset(path: Path) -> list[DevQuery]:
    items = [query for _, query in read_jsonl(
        path, lambda row: DevQuery(str(row["query"]), frozenset(map(str, row["relevant"]))),
        '{"query": str, "relevant": [str]}', what="dev set")]
    if not items:
        raise ConfigError(f"{path}: the dev set is empty")
    return items


def _is_relevant(hit: Hit, relevant: frozenset[str]) -> bool:
    return hit.id in relevant or hit.source in relevant or any(
        hit.source.endswith(r) for r in relevant
    )


def reciprocal_rank(hits: Sequence[Hit], relevant: frozenset[str], k: int = 10) -> float:
    for rank, hit in enumerate(hits[:k], 1):
        if _is_relevant(hit, relevant):
            return 1.0 / rank
    return 0.0


def simplex(names: Sequence[str], step: float = 0.1) -> list[dict[str, float]]:
    units = round(1 / step)
    grid = []
    for combo in itertools.product(range(units + 1), repeat=len(names)):
        if sum(combo) == units:
            grid.append({n: c / units for n, c in zip(names, combo, strict=True)})
    return grid


def tune(
    retriever: ModalityFusionRetriever, devset: Sequence[DevQuery], depth: int = 50
) -> tuple[dict[str, float], float, float]:
    """(best weights, their MRR@10, MRR@10 of reciprocal rank fusion for comparison)."""
    per_query = [(q, retriever.rankings(q.query, depth, None)) for q in devset]
    names = sorted({m for _, r in per_query for m in r})
    if not names:
        raise ConfigError("the index is empty: ingest files before tuning")
    rrf = sum(reciprocal_rank(fuse_rrf(r), q.relevant) for q, r in per_query) / len(per_query)
    best: tuple[float, float, dict[str, float]] | None = None
    for weights in simplex(names):
        mrr = sum(
            reciprocal_rank(fuse_weighted(r, weights, retriever.normaliser), q.relevant)
            for q, r in per_query
        ) / len(per_query)
        evenness = -max(weights.values())
        if best is None or (mrr, evenness) > (best[0], best[1]):
            best = (mrr, evenness, weights)
    assert best is not None
    return best[2], best[0], rrf


def tune_hybrid(
    retriever: HybridRetriever, devset: Sequence[DevQuery], depth: int = 50
) -> tuple[float, float, float]:
    """(best dense weight, its MRR@10, MRR@10 of reciprocal rank fusion) for hybrid search."""
    per_query = [(q, retriever.rankings(q.query, depth)) for q in devset]
    rrf = sum(reciprocal_rank(fuse_rrf(r), q.relevant) for q, r in per_query) / len(per_query)
    best: tuple[float, float, float] | None = None
    for weights in simplex(["bm25", "dense"]):
        mrr = sum(
            reciprocal_rank(fuse_weighted(r, weights), q.relevant) for q, r in per_query
        ) / len(per_query)
        evenness = -max(weights.values())
        if best is None or (mrr, evenness) > (best[0], best[1]):
            best = (mrr, evenness, weights["dense"])
    assert best is not None
    return best[2], best[0], rrf


def tune_calibration(rag: Any, devset: Sequence[DevQuery], depth: int = 50
                     ) -> tuple[dict[str, float], float, float, dict[str, float]]:
    """Fit the relevance model on the dev set's candidates, choose the floor that keeps 95%
    of its answers in the top 10, then the topicality bar that keeps 95% of those (dev
    queries with no relevant files say what the two turn away). Returns (weights, floor,
    bar, {"mrr@10", "answered", "nothing_found"})."""
    from .embedders import embed_query
    from .retrieval.fit import choose_bar, choose_floor, fit, gated, outcomes, rows
    from .text.tokenize import language

    retriever = HybridRetriever(rag.store, rag.embedder, method="calibrated",
                                calibration=rag.calibration)
    per_query, topicals = [], []
    for q in devset:
        hits = retriever.retrieve(q.query, depth)
        lang = language(q.query)
        per_query.append((bool(q.relevant),
                          rows(hits, [_is_relevant(h, q.relevant) for h in hits], lang)))
        topicals.append(rag.calibration().topicality(embed_query(rag.embedder, q.query), lang))
    data = np.concatenate([r for _, r in per_query])
    if not len(data) or not data[:, 3].any():
        raise ConfigError("no relevant file of the dev set was retrieved: check its paths")
    weights = fit(data)
    floor = choose_floor(per_query, weights)
    bar = choose_bar(per_query, topicals, weights, floor)
    if bar is None:  # nothing to choose it by: the index keeps the one it has
        bar = rag.calibration().topical
    mrr = outcomes(per_query, weights, floor)[0]
    answered, empty = gated(per_query, topicals, weights, floor, bar)
    return weights, floor, bar, {"mrr@10": mrr, "answered": answered, "nothing_found": empty}
