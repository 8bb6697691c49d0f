"""Images: one section per file whose text says what is in it ("to text", strategy S2).

The text holds the top ImageNet labels in English and Chinese with their WordNet parents
("Beagle ... hound, dog"), the text OCR finds in the image, the file name and EXIF facts,
so BM25 and any text embedder can search pictures. The section's meta keeps the path,
labels and OCR text for display.

Settings come from the environment because loaders are built by name without options:
``MMRAG_IMAGE_MODELS`` (default ``lite0``; ``lite0+lite1+lite2`` ensembles; an index's
``conse`` embedder overrides it with the models it records) and
``MMRAG_OCR`` (``on`` by default; ``off`` skips OCR, about 0.6 s per photo on 2 cores).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IngestError
from ..types import Section
from . import loaders

MAX_OCR_CHARS = 2000


def image_models() -> tuple[str, ...]:
    return tuple(v for v in os.environ.get("MMRAG_IMAGE_MODELS", "lite0").split("+") if v)


def ocr_enabled() -> bool:
    return os.environ.get("MMRAG_OCR", "on").lower() not in ("0", "off", "false", "no")


_ocr: Any = None


def _reader() -> Any:
    global _ocr
    if _ocr is None:
        from ..vision.ocr import Ocr

        _ocr = Ocr()
    return _ocr


def top_labels(probs: np.ndarray, k: int = 5, min_p: float = 0.03) -> list[dict[str, Any]]:
    """The most probable classes, at least one, at most ``k``, each with p >= ``min_p``."""
    from ..vision.classes import imagenet_classes

    classes = imagenet_classes()
    order = np.argsort(-probs)[:k]
    keep = [int(i) for n, i in enumerate(order) if n == 0 or probs[i] >= min_p]
    return [
        {"name": classes[i].name, "zh": classes[i].zh, "p": round(float(probs[i]), 4),
         "hypernyms": list(classes[i].hypernyms[:2])}
        for i in keep
    ]


def describe(path: Path, labels: list[dict[str, Any]], ocr: str, facts: dict[str, Any]) -> str:
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    parents = list(dict.fromkeys(h for lab in labels for h in lab["hypernyms"]))
    lines = [
        f"image {path.name}: {words}",
        "labels: " + ", ".join(lab["name"] for lab in labels)
        + (f" ({', '.join(parents)})" if parents else ""),
        "标签: " + "，".join(lab["zh"] for lab in labels),
    ]
    if ocr:
        lines.append("text: " + ocr[:MAX_OCR_CHARS])
    for key in ("description", "datetime", "camera"):
        if key in facts:
            lines.append(f"{key}: {facts[key]}")
    return "\n".join(lines)


class ImageLoader:
    name = "image"
    extensions: tuple[str, ...] = (
        ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif",
    )

    def __init__(self, models: Sequence[str] | None = None):
        self.models = tuple(models) if models else image_models()

    def prefetch(self, paths: Sequence[Path]) -> None:
        """Classify a batch of files in one encoder run; bad files are left to :meth:`load`."""
        from ..vision.encoder import file_key, shared_encoder
        from ..vision.image_file import open_rgb

        encoder = shared_encoder(self.models)
        keys, images = [], []
        for path in paths:
            try:
                key = file_key(path)
                images.append(open_rgb(path, draft=encoder.resolution)[0])
                keys.append(key)
            except (IngestError, OSError):
                continue
        if images:
            encoder.remember(keys, encoder.encode(images))

    def load(self, path: Path) -> Iterable[Section]:
        from ..vision.encoder import shared_encoder
        from ..vision.image_file import open_rgb

        ocr_on = ocr_enabled()
        encoder = shared_encoder(self.models)
        image, facts = open_rgb(path, draft=1024 if ocr_on else encoder.resolution)
        probs = encoder.encode_file(path, image).probs[0]
        labels = top_labels(probs)
        ocr = _reader().read(image) if ocr_on else ""
        meta = {"path": str(path), "labels": labels, "ocr": ocr,
                **{k: v for k, v in facts.items() if k != "mode"}}
        return [Section(text=describe(path, labels, ocr, facts), modality="image", meta=meta)]


loaders.register("image")(ImageLoader)
