"""Images: one section per file whose text says what is in it ("to text", strategy S2).

The text holds the top ImageNet labels in English and Chinese with their WordNet parents
("Beagle ... hound, dog"), the text OCR finds in the image, the file name and EXIF facts,
so BM25 and any text embedder can search pictures. The section's meta keeps the path,
labels and OCR text for display.

The classifiers are the loader's ``models`` (the index's image embedder's own, else
:class:`mmrag.config.ImageConfig`'s); whether OCR runs is the index's ``ImageConfig.ocr``,
handed over in the :class:`LoadContext`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ImageConfig
from ..errors import IngestError
from ..types import Section
from . import LoadContext, loaders

MAX_OCR_CHARS = 2000


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

    accepts_context = True

    def __init__(self, models: Sequence[str] | None = None):
        self.models = tuple(models) if models else ImageConfig().models

    def prefetch(self, paths: Sequence[Path], context: LoadContext) -> dict[Path, Any]:
        """Decode a window of files and classify them in one encoder run; :meth:`load`
        takes each one's result as ``context.prefetched``. Bad files are left to ``load``,
        which names their error."""
        from ..vision.encoder import shared_encoder

        encoder = shared_encoder(self.models)
        decoded: dict[Path, tuple[Any, dict[str, Any]]] = {}
        for path in paths:
            try:
                decoded[path] = self._decode(path, context)
            except (IngestError, OSError):
                continue
        if not decoded:
            return {}
        encoded = encoder.encode([image for image, _ in decoded.values()])
        return {path: (image, facts, encoded.row(i))
                for i, (path, (image, facts)) in enumerate(decoded.items())}

    def _decode(self, path: Path, context: LoadContext) -> tuple[Any, dict[str, Any]]:
        """The image at the size its readers need: OCR reads fine print, the classifier
        only its input size (JPEGs then decode several times faster)."""
        from ..vision.encoder import shared_encoder
        from ..vision.image_file import open_rgb

        size = 1024 if context.config.image.ocr else shared_encoder(self.models).resolution
        return open_rgb(path, draft=size)

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]:
        from ..vision.encoder import shared_encoder

        context = context or LoadContext()
        if context.prefetched is not None:
            image, facts, encoded = context.prefetched
        else:
            image, facts = self._decode(path, context)
            encoded = shared_encoder(self.models).encode([image])
        labels = top_labels(encoded.probs[0])
        ocr = _reader().read(image) if context.config.image.ocr else ""
        meta = {"path": str(path), "labels": labels, "ocr": ocr,
                **{k: v for k, v in facts.items() if k != "mode"}}
        return [Section(text=describe(path, labels, ocr, facts), modality="image", meta=meta,
                        encoded=encoded)]


loaders.register("image")(ImageLoader)
