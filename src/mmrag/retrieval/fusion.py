"""Rank fusion of several rankings of the same corpus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..types import Hit

RRF_K = 60


def fuse_rrf(rankings: Mapping[str, Sequence[Hit]], k: int = RRF_K) -> list[Hit]:
    """Reciprocal rank fusion: score(d) = sum over rankings of 1 / (k + rank(d)).

    k=60 is the constant of Cormack, Clarke and Buettcher (SIGIR 2009), who found it robust
    across collections; it damps the head of each ranking so that agreement between
    retrievers outweighs a single first place. Ranks start at 1. Each fused hit keeps the
    stage scores it had (e.g. ``dense``, ``bm25``), its rank in each (``dense_rank``), and
    the fused score as ``rrf``.
    """
    first: dict[str, Hit] = {}
    stages: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    for stage, hits in rankings.items():
        for rank, hit in enumerate(hits, 1):
            first.setdefault(hit.id, hit)
            scores = stages.setdefault(hit.id, {})
            scores[stage] = hit.scores.get(stage, hit.score)
            scores[f"{stage}_rank"] = float(rank)
            totals[hit.id] = totals.get(hit.id, 0.0) + 1.0 / (k + rank)
    out = [replace(hit, score=totals[i], scores={**stages[i], "rrf": totals[i]})
           for i, hit in first.items()]
    out.sort(key=lambda h: (-h.score, h.id))
    return out


NORMALISERS = ("minmax", "zscore")


def normalise_scores(scores: Sequence[float], method: str = "minmax") -> list[float]:
    """Put one retriever's scores for one query on a common scale.

    Retrievers score on different scales (cosine in [-1, 1] bunched near 0.8 for e5, BM25
    unbounded), so a weighted sum of raw scores lets whichever has the widest range win.
    ``minmax`` maps each query's list to [0, 1] (best = 1, worst = 0; a single hit gets 1);
    ``zscore`` centres on the list's mean in units of its standard deviation, which keeps
    how far the top stands out from the rest. min-max is the default: it is bounded, so
    weights read as shares, and it is what Elasticsearch and Weaviate use for hybrid scores.
    """
    if method not in NORMALISERS:
        raise ValueError(f"unknown normaliser {method!r}; expected one of {list(NORMALISERS)}")
    values = [float(s) for s in scores]
    if not values:
        return []
    if method == "minmax":
        low, high = min(values), max(values)
        return [1.0 if high == low else (v - low) / (high - low) for v in values]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return [0.0 if std == 0 else (v - mean) / std for v in values]


def fuse_weighted(
    rankings: Mapping[str, Sequence[Hit]],
    weights: Mapping[str, float],
    normaliser: str = "minmax",
) -> list[Hit]:
    """Weighted sum of per-retriever scores after per-query normalisation.

    A hit missing from a retriever's list gets that retriever's floor: 0 for min-max (the
    bottom of the scale), the list's lowest z-score otherwise.
    """
    first: dict[str, Hit] = {}
    stages: dict[str, dict[str, float]] = {}
    floors = {}
    for stage, hits in rankings.items():
        norm = normalise_scores([h.score for h in hits], normaliser)
        floors[stage] = 0.0 if normaliser == "minmax" or not norm else min(norm)
        for hit, value in zip(hits, norm, strict=True):
            first.setdefault(hit.id, hit)
            scores = stages.setdefault(hit.id, {})
            scores[stage] = hit.scores.get(stage, hit.score)
            scores[f"{stage}_norm"] = value
    out = []
    for hit_id, hit in first.items():
        scores = stages[hit_id]
        total = sum(
            float(weights.get(stage, 0.0)) * scores.get(f"{stage}_norm", floors[stage])
            for stage in rankings
        )
        out.append(replace(hit, score=total, scores={**scores, "weighted": total}))
    out.sort(key=lambda h: (-h.score, h.id))
    return out
