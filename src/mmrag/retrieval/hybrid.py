"""Dense + BM25 hybrid retrieval fused by reciprocal rank."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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
    # BM25 runs in a thread while the query is embedded and the vector searched: both the
    # embedder (ctypes) and LanceDB release the GIL, so the two overlap.
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="mmrag-bm25"),
        repr=False,
    )

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if not query.strip():
            return []
        candidates = max(k * self.depth, self.min_candidates)
        sparse = self._pool.submit(self.store.sparse, tokenize(query), candidates, where)
        vector = embed_texts(self.embedder, [query], "query")[0]
        dense = self.store.dense(vector, candidates, where)
        return fuse_rrf({"dense": dense, "bm25": sparse.result()}, k=self.rrf_k)[:k]
