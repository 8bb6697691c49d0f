"""The model work of an ingest batch: every chunk's vector, and what the store keeps beside
it (image features, 3D shape descriptors, images' text and average vectors).

Picklable in and out, so a Ray worker does it and the driver writes the result.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..embedders import Embedder, ImageEncoding, ImageFeaturizer, embed_texts, normalise
from ..types import Chunk, Content
from .prepare import Pending

# What a store may keep beside chunks and vectors (mmrag.stores.Capabilities' names).
EXTRAS = frozenset({"image_features", "shapes", "alt_vectors"})


@dataclass
class Embedded:
    """A batch of files after the model work, before the store write (picklable)."""

    pending: list[Pending]
    vectors: np.ndarray
    shapes: dict[str, list[float]] = field(default_factory=dict)
    features: tuple[list[str], list[str], np.ndarray] | None = None
    alt: tuple[list[str], list[str], np.ndarray, np.ndarray] | None = None


def embed_batch(embedder: Embedder, pending: list[Pending], extras: Collection[str]) -> Embedded:
    """The vectors of a batch of files, and the ``extras`` the store keeps."""
    chunks = [c for p in pending for c in p.chunks]
    # a mesh's descriptor goes to the store's shape table, not into every hit's meta
    shapes = {c.id: c.meta.pop("shape_descriptor") for c in chunks
              if "shape_descriptor" in c.meta}
    contents, owner = embedder_inputs(chunks, embedder.modalities)
    if isinstance(embedder, ImageEncoding):
        # images the loader did not encode (video frames) are encoded once, here, for
        # both their vector and their features
        contents = embedder.with_encodings(contents)
    if contents:
        vectors = pool_views(embedder.embed(contents, role="document"), owner, len(chunks))
    else:  # only files with nothing to index, e.g. silent recordings
        vectors = np.zeros((0, embedder.dim), dtype=np.float32)
    path_of = {r.source: r.path for p in pending for r in p.records()}
    done = Embedded(pending, vectors)
    if "shapes" in extras:
        done.shapes = shapes
    if "image_features" in extras and isinstance(embedder, ImageFeaturizer):
        done.features = _image_features(embedder, chunks, contents, owner, path_of)
    if "alt_vectors" in extras:
        first = {row: i for i, row in reversed(list(enumerate(owner)))}
        single = [i for i, c in enumerate(chunks) if c.modality != "mesh"]
        done.alt = _alt_vectors(
            embedder, [chunks[i] for i in single], [contents[first[i]] for i in single],
            vectors[single], path_of)
    return done


def _alt_vectors(
    embedder: Embedder,
    chunks: list[Chunk],
    contents: list[Content],
    vectors: np.ndarray,
    path_of: dict[str, str],
) -> tuple[list[str], list[str], np.ndarray, np.ndarray] | None:
    """For items embedded as images, also keep their text's embedding (strategy "text":
    everything as text) and the mean of both (strategy "average", seed 002's combined
    item vector), so one index can be searched either way."""
    rows = [i for i, c in enumerate(contents) if c.modality == "image"]
    if not rows:
        return None
    texts = embed_texts(embedder, [_strategy_text(chunks[i]) for i in rows], "document")
    ids = [chunks[i].id for i in rows]
    paths = [path_of[chunks[i].source] for i in rows]  # as the store deletes by
    return ids, paths, texts, normalise(texts + vectors[rows])


def _strategy_text(chunk: Chunk) -> str:
    """A photo's short text of what is in it (the image loader's labels, objects, OCR), not
    its whole description: half the tokens to embed at the same recall (see
    docs/benchmarks.md); a video frame or another image has only its text."""
    from ..loaders.image import vector_text

    return vector_text(chunk.meta) if "labels" in chunk.meta else chunk.text


def _image_features(
    embedder: ImageFeaturizer, chunks: list[Chunk], contents: list[Content], owner: list[int],
    path_of: dict[str, str],
) -> tuple[list[str], list[str], np.ndarray] | None:
    """Image features for image-to-image search: one row per image, and one per rendered
    view of a 3D model (all under the model's id, so a photo finds it by its best view)."""
    rows = [i for i, c in enumerate(contents) if c.modality == "image"]
    if not rows:
        return None
    features = embedder.image_features([contents[i] for i in rows])
    ids = [chunks[owner[i]].id for i in rows]
    paths = [
        path_of[chunks[owner[i]].source] if chunks[owner[i]].modality == "mesh"
        else str(contents[i].path)
        for i in rows
    ]
    return ids, paths, features


class Item(Protocol):
    """What the embedder inputs are made from: a chunk being ingested, or a stored hit."""

    @property
    def modality(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def meta(self) -> dict[str, Any]: ...


def embedder_inputs(
    items: Sequence[Item], modalities: Collection[str]
) -> tuple[list[Content], list[int]]:
    """What the embedder reads for each item, and the item each content belongs to:
    one content per item, except a 3D model, read as each of its rendered views."""
    contents: list[Content] = []
    owner: list[int] = []
    for row, item in enumerate(items):
        views = item.meta.get("views") if item.modality == "mesh" else None
        if views and "image" in modalities:
            # the loader's image-model output for the views, one row each, when it has it
            encoded = _encoded(item)
            contents += [Content("image", path=str(v["path"]),
                                 encoded=encoded.row(i) if encoded is not None else None)
                         for i, v in enumerate(views)]
            owner += [row] * len(views)
        else:
            contents.append(content_for(item, modalities))
            owner.append(row)
    return contents, owner


def content_for(item: Item, modalities: Collection[str]) -> Content:
    """What the embedder reads: an image (a photo, a video frame) by its file when the
    embedder reads images, with its OCR text; everything else by its text (a photo's
    labels and OCR text for a text-only embedder, a recording's transcript)."""
    meta = item.meta
    if item.modality == "image" and "image" in modalities and "path" in meta:
        # what is seen in it beside the classes: detected objects with counts, OCR text
        seen = "\n".join(t for t in (meta.get("objects_text"), meta.get("ocr")) if t)
        return Content("image", text=seen or None, path=str(meta["path"]),
                       encoded=_encoded(item))
    return Content.of_text(item.text)


def _encoded(item: Item) -> Any:
    """The loader's image-model output a chunk being ingested carries (a stored hit has
    none: its image is encoded again)."""
    return item.encoded if isinstance(item, Chunk) else None


def pool_views(vectors: np.ndarray, owner: list[int], rows: int) -> np.ndarray:
    """One vector per item: a model's views averaged (then normalised)."""
    if len(owner) == rows:
        return vectors
    pooled = np.zeros((rows, vectors.shape[1]), dtype=np.float32)
    np.add.at(pooled, np.asarray(owner), vectors)
    return normalise(pooled)
