"""Dense + BM25 hybrid retrieval, fused by calibrated relevance, weighted scores or rank.

The default ranks every candidate by its calibrated relevance (:mod:`.calibration`): how far
its cosine stands above its own modality's background for this query, with its BM25
score, as a probability; that is what lets an image, a recording and an article be ranked
against each other, and a query with nothing relevant come back empty.

``method="weighted"`` is a convex combination of min-max normalised scores, ``dense_weight``
for the dense cosine and the rest for BM25 (Bruch, Gai and Ingber, TOIS 2023; on SciFact
nDCG@10 0.717 against RRF's 0.707); min-max puts every query's best hit at 1, so it cannot
say "nothing found". ``method="rrf"`` keeps reciprocal rank fusion for comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..embedders import Embedder, embed_query
from ..errors import ConfigError
from ..stores import Store
from ..stores.capabilities import Capabilities
from ..stores.filters import Filter
from ..text.stopwords import bm25_terms
from ..text.tokenize import language
from ..types import Hit
from .calibration import Calibration, calibrate
from .fusion import RRF_K, fuse_rrf, fuse_weighted
from .phonetic import PhoneticRetriever, phonetic_weight, with_sound_alikes

METHODS = ("calibrated", "weighted", "rrf")
OPTIONS = ("method", "dense_weight", "rrf_k")
BM25_THREADS = 8


def hybrid_options(options: dict[str, object] | None, where: str = "hybrid") -> dict[str, object]:
    """Check the fusion options kept in an index's manifest (``"hybrid"``)."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ConfigError(f"{where}: unknown hybrid option(s) {unknown}; expected {list(OPTIONS)}")
    return options


@dataclass(frozen=True)
class Query:
    """A query as the searches read it. The vector is read-only (shared by the cache)."""

    text: str
    vector: np.ndarray
    terms: tuple[str, ...]  # BM25's, with a Chinese query's English words
    lang: str  # "zh" or "en": whose relevance weights judge the hits
    phonetic: tuple[str, ...] = ()  # sound-alike keys, where transcripts have them


@dataclass
class HybridRetriever:
    store: Store
    embedder: Embedder
    # Each retriever contributes this many candidates per hit asked for; fusion needs depth
    # beyond k so that a document ranked 12th by both retrievers can still reach the top 10.
    depth: int = 4
    min_candidates: int = 50
    method: str = "calibrated"
    dense_weight: float = 0.5
    rrf_k: int = RRF_K
    # the index's calibration as it is now (it is refreshed as the index grows); an index
    # without one yet fuses by the weighted sum
    calibration: Callable[[], Calibration] = Calibration
    # BM25 runs in a thread while the vector is searched (LanceDB releases the GIL). It
    # starts after the query is embedded: the embedder already uses both cores of a small
    # machine, and BM25 beside it slowed the whole search (49.0 -> 44.6 ms p50 at 100k).
    # Several threads, made as needed: one retriever serves fusion's modalities and a
    # server's requests at once, and with one thread their BM25 searches queued behind
    # each other while each thread only waits on LanceDB's own.
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(BM25_THREADS, thread_name_prefix="mmrag-bm25"),
        repr=False,
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"hybrid fusion must be one of {list(METHODS)}, got {self.method!r}")
        if not isinstance(self.dense_weight, int | float) or not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"hybrid dense_weight must be in [0, 1], got {self.dense_weight!r}")
        self._phonetic = PhoneticRetriever.of(self.store)
        self._sparse_vectors = Capabilities.of(self.store).sparse_vectors

    def prepare(self, query: str) -> Query:
        """The query's vector, BM25 terms, language and sound-alike keys, worked out once
        however many searches share them (strategy "fusion" runs one per modality)."""
        return Query(query, embed_query(self.embedder, query), tuple(bm25_terms(query)),
                     language(query), tuple(self._phonetic.keys(query)))

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.search(self.prepare(query), k, where)

    def search(self, query: Query, k: int, where: Filter | None = None) -> list[Hit]:
        """``retrieve`` for a query already prepared."""
        calibrated = self.method == "calibrated" and bool(self.calibration())
        found, known = self._rankings(query, k, where, vectors=calibrated)
        return self.fuse(found["dense"], found["bm25"], query.vector,
                         phonetic=found.get("phonetic", ()), lang=query.lang, known=known)[:k]

    def rankings(self, query: str | Query, k: int, where: Filter | None = None
                 ) -> dict[str, list[Hit]]:
        """The dense and BM25 rankings that ``retrieve`` fuses (``mmrag tune`` weighs them)."""
        return self._rankings(self.prepare(query) if isinstance(query, str) else query,
                              k, where)[0]

    def _rankings(self, query: Query, k: int, where: Filter | None, vectors: bool = False
                  ) -> tuple[dict[str, list[Hit]], dict[str, np.ndarray]]:
        """The rankings, and the stored vectors of BM25's hits where the store reads them
        with its hits (``vectors``: calibration will judge those dense did not find)."""
        candidates = max(k * self.depth, self.min_candidates)
        store = self._sparse_vectors if vectors else None
        read = store.sparse_vectors if store is not None else self._sparse
        sparse = self._pool.submit(read, list(query.terms), candidates, where)
        sounds = (self._pool.submit(self._phonetic.search, query.phonetic, candidates, where)
                  if query.phonetic else None)
        dense = self.store.dense(query.vector, candidates, where)
        bm25, stored = sparse.result()
        known = {} if stored is None else dict(zip((h.id for h in bm25), stored, strict=True))
        phonetic = sounds.result() if sounds else []
        found = {"dense": dense, "bm25": bm25}
        return ({**found, "phonetic": phonetic} if phonetic else found), known

    def _sparse(self, terms: list[str], k: int, where: Filter | None
                ) -> tuple[list[Hit], np.ndarray | None]:
        return self.store.sparse(terms, k, where), None

    def _vectors(self, known: Mapping[str, np.ndarray]) -> Callable[[list[str]], Any]:
        """The stored vectors of ids: those read with BM25's hits, the rest from the store."""
        def vectors(ids: list[str]) -> list[np.ndarray]:
            rest = [i for i in ids if i not in known]
            read = dict(zip(rest, self.store.vectors(rest), strict=True)) if rest else {}
            return [known[i] if i in known else read[i] for i in ids]

        return vectors

    def fuse(
        self, dense: Sequence[Hit], bm25: Sequence[Hit], vector: np.ndarray | None = None,
        space_of: Callable[[Hit], str] | None = None, phonetic: Sequence[Hit] = (),
        lang: str = "en", known: Mapping[str, np.ndarray] | None = None,
    ) -> list[Hit]:
        """One ranking from a dense and a BM25 ranking of the same chunks (and sound-alike
        matches of a name in transcripts, when there are any): by calibrated relevance
        (the query's ``vector`` and language needed), by weighted scores, or by rank.
        ``known``: stored vectors already read, by id (the rest are read from the store)."""
        rankings = {"dense": dense, "bm25": bm25, **({"phonetic": phonetic} if phonetic else {})}
        if self.method == "rrf":
            return fuse_rrf(rankings, k=self.rrf_k)
        weights = {"dense": self.dense_weight, "bm25": 1.0 - self.dense_weight,
                   "phonetic": phonetic_weight}
        weighted = fuse_weighted(rankings, weights)
        calibration = self.calibration() if self.method == "calibrated" else None
        if not calibration or vector is None:
            return weighted
        vectors = self._vectors(known) if known else self.store.vectors
        ranked = calibrate(calibration, vector, dense, bm25, vectors,
                           space_of or (lambda hit: hit.modality), others=phonetic, lang=lang)
        # the weighted fusion's scores stay on each hit, to explain it beside its relevance
        explained = {h.id: h.scores for h in weighted}
        ranked = [replace(h, scores={**explained.get(h.id, {}), **h.scores}) for h in ranked]
        return with_sound_alikes(ranked, phonetic) if phonetic else ranked
