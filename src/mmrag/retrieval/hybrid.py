"""Dense + BM25 hybrid retrieval fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

from ..embedders import Embedder, embed_texts
from ..stores import Store
from ..stores.filters import Filter
from ..text.tokenize import tokenize
from ..types import Hit
from .fusion import RRF_K, fuse_rrf


@dataclass
class HybridRetriever:
    store: Store
    embedder: Embedder
    # Each retriever contributes this many candidates per hit asked for; fusion needs depth
    # beyond k so that a document ranked 12th by both retrievers can still reach the top 10.
    depth: int = 4
    min_candidates: int = 50
    rrf_k: int = RRF_K

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if not query.strip():
            return []
        candidates = max(k * self.depth, self.min_candidates)
        vector = embed_texts(self.embedder, [query], "query")[0]
        dense = self.store.dense(vector, candidates, where)
        sparse = self.store.sparse(tokenize(query), candidates, where)
        return fuse_rrf({"dense": dense, "bm25": sparse}, k=self.rrf_k)[:k]
