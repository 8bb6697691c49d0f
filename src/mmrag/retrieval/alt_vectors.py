"""Strategies "text" and "average" on an index whose images live in the shared space.

An index built with an image-reading embedder (``conse``, CLIP) gives each image its image
vector; ingest also keeps, per image, the embedding of its text (labels, OCR, file name) and
the normalised mean of the two. These retrievers search images by one of those instead,
text items by their own vectors, BM25 as usual, and fuse by reciprocal rank:

- ``text``: everything retrieved as text (strategy 2);
- ``average``: one combined vector per image-with-text item (seed 002's average vectors).

On an index with no such vectors (a text-only embedder already embeds images by their
text) both behave exactly like ``hybrid``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from typing import Any

from ..embedders import Embedder, embed_query
from ..stores import Store
from ..stores.capabilities import AltVectorStore
from ..stores.filters import Filter
from ..text.stopwords import bm25_terms
from ..text.tokenize import language
from ..types import MODALITIES, Hit
from .hybrid import HybridRetriever


@dataclass
class AltVectorRetriever:
    store: Store
    embedder: Embedder
    kind: str
    alt: AltVectorStore | None  # where the store keeps the other vectors, if it does
    depth: int = 4
    min_candidates: int = 50
    hybrid: dict[str, Any] = field(default_factory=dict)  # HybridRetriever's fusion options

    def __post_init__(self) -> None:
        # one fallback retriever (and its BM25 thread) for the life of this one
        self._hybrid = HybridRetriever(self.store, self.embedder, **self.hybrid)

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if self.alt is None or not self.alt.has_alt(self.kind):
            return self._hybrid.retrieve(query, k, where)
        if not query.strip():
            return []
        candidates = max(k * self.depth, self.min_candidates)
        wanted = where.modalities if where and where.modalities else MODALITIES
        base = where or Filter()
        source = base.source
        vector = embed_query(self.embedder, query)
        dense: list[Hit] = []
        images: list[Hit] = []
        others = tuple(m for m in wanted if m != "image")
        if others:
            dense += self.store.dense(vector, candidates, replace(base, modalities=others))
        if "image" in wanted and not (base.tags or base.after is not None
                                      or base.before is not None):
            images = [h for h in self.alt.dense_alt(self.kind, vector, candidates)
                      if source is None or fnmatch(h.source, source)]
        dense = sorted(dense + images, key=lambda h: -h.score)[:candidates]
        sparse = self.store.sparse(bm25_terms(query), candidates, where)
        # images found by their other vector are judged against those vectors' background
        alt = {h.id for h in images} & {h.id for h in dense}
        space = f"alt:{self.kind}"
        return self._hybrid.fuse(dense, sparse, vector,
                                 lambda h: space if h.id in alt else h.modality,
                                 lang=language(query))[:k]
