"""Image queries: image-to-image ranking on the image model's pooled features, and
image-to-text (or image + words) in the shared space.

Cosine after centring measured best: the ReLU6 pooled features all sit in one orthant, so
raw cosines crowd together; subtracting the corpus mean spreads them. With fewer than
``MIN_FOR_CENTRING`` images the mean is too noisy (two images centre to opposite
vectors), so small corpora use raw cosine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatch

import numpy as np

from ..embedders import Embedder, ImageFeaturizer, normalise
from ..stores import Store
from ..stores.capabilities import ImageFeatureStore, ItemStore
from ..stores.filters import Filter
from ..text.stopwords import bm25_terms
from ..types import Content, Hit
from .fusion import fuse_rrf

MIN_FOR_CENTRING = 20


def rank_by_feature(
    query: np.ndarray, gallery: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` most similar gallery rows and their cosine scores."""
    if len(gallery) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    mean = gallery.mean(axis=0) if len(gallery) >= MIN_FOR_CENTRING else 0.0
    g = gallery - mean
    q = np.asarray(query, dtype=np.float32) - mean
    g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    scores = g @ q
    top = np.argsort(-scores, kind="stable")[:k]
    return top, scores[top]


@dataclass
class ImageRetriever:
    """Search with an image file (and optionally words: "this, but at night").

    By default it ranks the indexed images and 3D models (by their best rendered view)
    by the image model's pooled features (image-to-image, image-to-3D; a filter on
    ``["mesh"]`` keeps the models only). With the filter naming other kinds (``["text"]``)
    it searches those with the image's vector in the text space instead (image-to-text).
    """

    store: Store
    embedder: Embedder
    featurize: ImageFeaturizer
    features: ImageFeatureStore | None
    items: ItemStore | None

    def retrieve(
        self, image: str, k: int, where: Filter | None = None, text: str | None = None
    ) -> list[Hit]:
        where = where or Filter()
        query = Content("image", path=image)
        if text:
            return self._with_text(query, text, k, where)
        if set(where.modalities) - {"image", "mesh"}:
            vector = self.embedder.embed([query], role="query")[0]
            return self.store.dense(vector, k, where)
        if self.features is None or self.items is None:
            return []
        ids, gallery = self.features.image_features()
        if not ids:
            return []
        # rows of one 3D model (its views) share an id: it ranks by its best view
        top, scores = rank_by_feature(self.featurize.image_features([query])[0], gallery,
                                      len(ids))
        score_of: dict[str, float] = {}
        for i, s in zip(top, scores, strict=True):
            score_of.setdefault(ids[i], float(s))
        wanted = set(where.modalities)
        hits = [rescored(h, score_of[h.id], "image")
                for h in self.items.get(list(score_of)[: max(k * 10, 100)])
                if not wanted or h.modality in wanted]
        if where.source:  # applied to the nearest: fewer than k hits may remain
            hits = [h for h in hits if fnmatch(h.source, where.source)]
        return hits[:k]

    def _with_text(self, query: Content, text: str, k: int, where: Filter) -> list[Hit]:
        """Image and words together: the two query vectors averaged in the shared space,
        and BM25 on the words, fused by reciprocal rank."""
        both = self.embedder.embed([query, Content.of_text(text)], role="query")
        vector = normalise(both.sum(axis=0, keepdims=True))[0]
        cut = Filter(where.modalities, where.source)
        depth = max(k * 4, 50)
        fused = fuse_rrf({
            "dense": self.store.dense(vector, depth, cut if cut.sql() else None),
            "bm25": self.store.sparse(bm25_terms(text), depth, cut if cut.sql() else None),
        })
        return fused[:k]


def rescored(hit: Hit, score: float, stage: str) -> Hit:
    """``hit`` ranked by one stage alone: its score and its only stage score."""
    return replace(hit, score=score, scores={stage: score})
