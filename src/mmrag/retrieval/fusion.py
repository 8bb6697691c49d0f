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
    fused: dict[str, Hit] = {}
    totals: dict[str, float] = {}
    for stage, hits in rankings.items():
        for rank, hit in enumerate(hits, 1):
            if hit.id not in fused:
                fused[hit.id] = replace(hit, scores={})
                totals[hit.id] = 0.0
            target = fused[hit.id]
            target.scores[stage] = hit.scores.get(stage, hit.score)
            target.scores[f"{stage}_rank"] = float(rank)
            totals[hit.id] += 1.0 / (k + rank)
    out = []
    for hit_id, hit in fused.items():
        hit.scores["rrf"] = totals[hit_id]
        hit.score = totals[hit_id]
        out.append(hit)
    out.sort(key=lambda h: (-h.score, h.id))
    return out
