"""Dense + BM25 hybrid retrieval, fused by a weighted sum of normalised scores or by rank.

The default is a convex combination of min-max normalised scores, ``dense_weight`` for the
dense cosine and the rest for BM25: Bruch, Gai and Ingber ("An Analysis of Fusion Functions
for Hybrid Retrieval", TOIS 2023) found it beats reciprocal rank fusion in and out of domain,
because RRF throws away how far ahead a retriever's first hits stand. On SciFact it gave
nDCG@10 0.717 against RRF's 0.707 (docs/benchmarks.md). ``method="rrf"`` keeps RRF.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..embedders import Embedder, embed_query
from ..errors import ConfigError
from ..stores import Store
from ..stores.filters import Filter
from ..text.tokenize import tokenize
from ..types import Hit
from .fusion import RRF_K, fuse_rrf, fuse_weighted
from .phonetic import PhoneticRetriever, phonetic_weight

METHODS = ("weighted", "rrf")
OPTIONS = ("method", "dense_weight", "rrf_k")


def hybrid_options(options: dict[str, object] | None, where: str = "hybrid") -> dict[str, object]:
    """Check the fusion options kept in an index's manifest (``"hybrid"``)."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{where}: unknown hybrid option(s) {unknown}; expected {list(OPTIONS)}")
    return options


@dataclass
class HybridRetriever:
    store: Store
    embedder: Embedder
    # Each retriever contributes this many candidates per hit asked for; fusion needs depth
    # beyond k so that a document ranked 12th by both retrievers can still reach the top 10.
    depth: int = 4
    min_candidates: int = 50
    method: str = "weighted"
    dense_weight: float = 0.5
    rrf_k: int = RRF_K
    # BM25 runs in a thread while the vector is searched (LanceDB releases the GIL). It
    # starts after the query is embedded: the embedder already uses both cores of a small
    # machine, and BM25 beside it slowed the whole search (49.0 -> 44.6 ms p50 at 100k).
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="mmrag-bm25"),
        repr=False,
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"hybrid fusion must be one of {list(METHODS)}, got {self.method!r}")
        if not isinstance(self.dense_weight, int | float) or not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"hybrid dense_weight must be in [0, 1], got {self.dense_weight!r}")
        self._phonetic = PhoneticRetriever.of(self.store)

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.fuse(**self.rankings(query, k, where))[:k]

    def rankings(self, query: str, k: int, where: Filter | None = None) -> dict[str, list[Hit]]:
        """The dense and BM25 rankings that ``retrieve`` fuses (``mmrag tune`` weighs them)."""
        candidates = max(k * self.depth, self.min_candidates)
        vector = embed_query(self.embedder, query)
        sparse = self._pool.submit(self.store.sparse, tokenize(query), candidates, where)
        dense = self.store.dense(vector, candidates, where)
        phonetic = self._phonetic.retrieve(query, candidates, where)
        found = {"dense": dense, "bm25": sparse.result()}
        return {**found, "phonetic": phonetic} if phonetic else found

    def fuse(
        self, dense: Sequence[Hit], bm25: Sequence[Hit], phonetic: Sequence[Hit] = ()
    ) -> list[Hit]:
        """One ranking from a dense and a BM25 ranking of the same chunks (and sound-alike
        matches of a name in transcripts, when there are any)."""
        rankings = {"dense": dense, "bm25": bm25, **({"phonetic": phonetic} if phonetic else {})}
        if self.method == "rrf":
            return fuse_rrf(rankings, k=self.rrf_k)
        weights = {"dense": self.dense_weight, "bm25": 1.0 - self.dense_weight,
                   "phonetic": phonetic_weight}
        return fuse_weighted(rankings, weights)
