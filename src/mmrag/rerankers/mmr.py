"""Maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998): trade relevance for
diversity so the top hits do not all say the same thing.

score(d) = lambda * sim(q, d) - (1 - lambda) * max over selected s of sim(d, s), using the
vectors already in the store, so reranking costs no extra embedding of the passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..embedders import Embedder, embed_query
from ..types import Hit
from . import rerankers


class MMR:
    name = "mmr"

    def __init__(self, embedder: Embedder, store: Any, lambda_: float = 0.7, **_: object):
        self.embedder = embedder
        self.store = store
        self.lambda_ = lambda_

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if len(hits) < 2:
            return list(hits)
        vectors = self.store.vectors([h.id for h in hits])
        q = embed_query(self.embedder, query)
        relevance = vectors @ q
        similarity = vectors @ vectors.T
        chosen: list[int] = []
        scores: dict[int, float] = {}
        remaining = list(range(len(hits)))
        while remaining:
            if chosen:
                redundancy = similarity[np.ix_(remaining, chosen)].max(axis=1)
            else:
                redundancy = np.zeros(len(remaining))
            mmr = self.lambda_ * relevance[remaining] - (1 - self.lambda_) * redundancy
            best = int(np.argmax(mmr))
            scores[remaining[best]] = float(mmr[best])
            chosen.append(remaining.pop(best))
        out = []
        for i in chosen:
            out.append(replace(hits[i], score=scores[i],
                               scores={**hits[i].scores, "mmr": scores[i]}))
        return out


rerankers.register("mmr")(MMR)
