"""``mmrag align PAIRS``: learn an image adapter from a user's image-caption pairs.

PAIRS is a JSON-lines file (``{"image": "a.jpg", "caption": "..."}``), a two-column TSV
(image, caption), a COCO captions json, or a Flickr8k(-CN) folder (with ``captions`` and a
``split`` such as ``train+val``). Relative image paths are read from the file's folder.

The adapter (see :mod:`mmrag.vision.adapter`) is saved as ``adapter.npz`` in the index and
named in its manifest; every image already in the index is re-embedded with it (one
commit per 256 items: a killed run leaves some images re-embedded and some not, which
running ``align`` or ``remove_adapter`` again sets right), and later ingests and image
queries use it. ``remove_adapter`` undoes all that.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .embedders import Adaptable, embed_texts, normalise
from .errors import ConfigError
from .evaluation.datasets import read_coco, read_flickr
from .index import update_manifest, write_lock
from .jsonl import read_jsonl
from .vision.adapter import Adapter, TrainConfig, pairs_by_image, train

ADAPTER_FILE = "adapter.npz"
Progress = Callable[[str, int, int], None]


def read_pairs(path: Path, captions: str = "flickr8kenc",
               split: str | None = "train+val") -> list[tuple[str, str]]:
    """(absolute image path, caption) pairs from any of the formats above."""
    if path.is_dir():
        data = read_flickr(path, captions, split)
        return [(str(data.images_dir / image), c)
                for image, texts in sorted(data.captions.items()) for c in texts]
    if path.suffix == ".json":
        data = read_coco(path)
        return [(str(data.images_dir / image), c)
                for image, texts in sorted(data.captions.items()) for c in texts]
    if path.suffix == ".jsonl":
        rows: Iterable[tuple[int, tuple[Any, Any]]] = read_jsonl(
            path, lambda row: (row["image"], row.get("caption", row.get("text"))),
            'a JSON object with "image" and "caption"', what="pairs")
    else:
        rows = _tsv_rows(path)
    pairs = []
    for number, (image, caption) in rows:
        if not caption or not str(caption).strip():
            raise ConfigError(f"{path}:{number}: no caption for {image!r}")
        pairs.append((str((path.parent / image).resolve()), str(caption).strip()))
    return pairs


def _tsv_rows(path: Path) -> Iterator[tuple[int, tuple[str, str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read pairs ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        if line.strip():
            image, _, caption = line.partition("\t")
            yield number, (image, caption)


def align(rag: Any, pairs: list[tuple[str, str]], *, mix: float | None = None,
          config: TrainConfig | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Train on ``pairs``, save the adapter in ``rag``'s index, re-embed its images.

    ``mix`` None: chosen by recall on the held-out tenth of the pairs (a fixed 0.3 undid
    half of the shipped bridge's 0.6 when fine-tuning from it)."""
    from .embedders.conse import ConSEEmbedder

    embedder = rag.embedder
    # the adapter maps the ConSE image model's features into its text space
    if not isinstance(embedder, ConSEEmbedder):
        raise ConfigError(f"embedder {embedder.name!r} has no image adapter; align works on "
                          f"indexes built with the conse embedder")
    if mix is not None and not 0.0 <= mix <= 1.0:
        raise ConfigError(f"mix must be between 0 and 1, got {mix}")
    images, captions, owner = pairs_by_image(pairs)
    missing = [p for p in images if not Path(p).is_file()]
    if missing:
        raise ConfigError(f"{len(missing)} of {len(images)} paired images are missing, e.g. "
                          f"{missing[0]}")
    started = time.perf_counter()
    encoded = _encode(embedder, images, progress)
    base = embedder.from_probs(encoded.probs)
    caption_vectors = _embed_captions(embedder.text, captions, progress)
    adapter = train(encoded.features, caption_vectors, owner, base=base,
                    config=config or TrainConfig(),
                    variant=embedder.variants[0], mix=mix, start=embedder.default_adapter())
    adapter.info["trained_seconds"] = round(time.perf_counter() - started, 1)
    with write_lock(rag.index_dir):
        adapter.save(rag.index_dir / ADAPTER_FILE)
        update_manifest(rag.index_dir, align={"file": ADAPTER_FILE, "mix": adapter.mix,
                                              "trained_at": time.time(), **adapter.info})
        embedder.use_adapter(adapter)
        changed = revector_images(rag, progress)
        # the images' background sample and references were drawn through the old map
        rag.calibration.refresh(force=True)
    return {**adapter.info, "mix": adapter.mix, "reembedded_images": changed}


def remove_adapter(rag: Any, progress: Progress | None = None) -> int:
    """Drop the index's adapter and give its images their default vectors back (ConSE
    with the shipped bridge where the index records one, else ConSE alone)."""
    with write_lock(rag.index_dir):
        update_manifest(rag.index_dir, align=None)
        (rag.index_dir / ADAPTER_FILE).unlink(missing_ok=True)
        if isinstance(rag.embedder, Adaptable):
            rag.embedder.use_adapter(None)
        changed = revector_images(rag, progress)
        rag.calibration.refresh(force=True)
        return changed


def load_adapter(index_dir: Path, embedder: Any, recorded: dict[str, Any]) -> None:
    """Give ``embedder`` the adapter that the manifest of ``index_dir`` records."""
    if isinstance(embedder, Adaptable):
        adapter = Adapter.load(index_dir / recorded["file"], mix=recorded.get("mix"))
        embedder.use_adapter(adapter)


def revector_images(rag: Any, progress: Progress | None = None, batch: int = 256) -> int:
    """Re-embed every image item (from its file and OCR text) and every 3D model (from its
    rendered views) the way ingest does, with the embedder as it is now; images' "average"
    vectors follow. Items whose files are gone keep their vectors."""
    from .ingest import embedder_inputs, pool_views

    store, alt = rag.capabilities.items, rag.capabilities.alt
    if store is None:
        raise ConfigError(f"the {getattr(rag.store, 'name', 'current')} store cannot re-embed "
                          f"items in place; align works with the lancedb store")
    modalities = rag.embedder.modalities
    items = []
    for hit in store.items("image") + store.items("mesh"):
        contents, _ = embedder_inputs([hit], modalities)
        if all(c.path and Path(c.path).is_file() for c in contents):
            items.append(hit)
    for start in range(0, len(items), batch):
        part = items[start:start + batch]
        contents, owner = embedder_inputs(part, modalities)
        vectors = pool_views(rag.embedder.embed(contents, role="document"), owner, len(part))
        ids = [h.id for h in part]
        store.update_vectors(ids, vectors)
        if alt is not None:
            texts = alt.alt_vectors("text", ids)
            alt.update_alt_vectors("average", {
                i: normalise(texts[i] + v) for i, v in zip(ids, vectors, strict=True)
                if i in texts
            })
        if progress:
            progress("re-embed", min(start + batch, len(items)), len(items))
    rag.store.optimize()
    return len(items)


def _embed_captions(text: Any, captions: list[str], progress: Progress | None,
                    batch: int = 256) -> np.ndarray:
    parts = []
    for start in range(0, len(captions), batch):
        parts.append(embed_texts(text, captions[start:start + batch], "query"))
        if progress:
            progress("captions", min(start + batch, len(captions)), len(captions))
    return np.concatenate(parts)


def _encode(embedder: Any, images: list[str], progress: Progress | None,
            batch: int = 64) -> Any:
    from .vision.encoder import Encoded

    probs, features = [], []
    for start in range(0, len(images), batch):
        got = embedder.encoder.encode_paths(images[start:start + batch])
        probs.append(got.probs)
        features.append(got.features)
        if progress:
            progress("images", min(start + batch, len(images)), len(images))
    return Encoded(np.concatenate(probs), np.concatenate(features))
