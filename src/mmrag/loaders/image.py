"""Images: one section per file whose text says what is in it ("to text", strategy S2).

The text holds the top ImageNet labels in English and Chinese with their WordNet parents
("Beagle ... hound, dog") and the concepts they add up to, the COCO objects detected with
their counts ("objects: 2 people, 1 dog", and in Chinese; boxes kept in the meta), the text
OCR finds in the image, the file name and EXIF facts,
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


def describe(path: Path, labels: list[dict[str, Any]], ocr: str, facts: dict[str, Any],
             kinds: Sequence[dict[str, Any]] = (), objects: str = "") -> str:
    words = re.sub(r"[_\-.]+", " ", path.stem).strip()
    parents = list(dict.fromkeys(h for lab in labels for h in lab["hypernyms"]))
    lines = [
        f"image {path.name}: {words}",
        "labels: " + ", ".join(lab["name"] for lab in labels)
        + (f" ({', '.join(parents)})" if parents else ""),
        "标签: " + "，".join(lab["zh"] for lab in labels),
    ]
    # WordNet concepts the classes add up to (ten terriers at 0.08 each: "dog")
    named = {lab["name"].lower() for lab in labels} | {h.lower() for h in parents}
    broad = [k["name"] for k in kinds if k["name"].lower() not in named]
    if broad:
        lines.append("kinds: " + ", ".join(broad))
    if objects:
        lines.append(objects)
    if ocr:
        lines.append("text: " + ocr[:MAX_OCR_CHARS])
    for key in ("description", "datetime", "camera"):
        if key in facts:
            lines.append(f"{key}: {facts[key]}")
    return "\n".join(lines)


MAX_VECTOR_CHARS = 240


def vector_text(meta: dict[str, Any]) -> str:
    """What an image's "text" vector (and so its "average" one) embeds: the words that
    say what is in it, those that matter most first, at most ``MAX_VECTOR_CHARS``.

    :func:`describe`'s text (for BM25 and display) is about 120 tokens, most of them
    the file name's digits ("1000268201 693b08cb0e"), the labels' WordNet parents and
    EXIF facts; embedding it cost several times the photo's classification. This one
    keeps a figure's caption, the file name's words, the counted objects, the labels
    and broad kinds in English and Chinese, and the OCR text, in that order.
    """
    labels = meta.get("labels") or []
    english, _, chinese = (meta.get("objects_text") or "").partition("\n")
    words = " ".join(w for w in re.split(r"[\s_\-.]+", Path(str(meta.get("path", ""))).stem)
                     if w and not any(c.isdigit() for c in w))
    named = {lab["name"].lower() for lab in labels}
    kinds = ", ".join(k["name"] for k in meta.get("kinds") or ()
                      if k["name"].lower() not in named)
    lines = [meta.get("context") or "", words, english,
             ", ".join(lab["name"] for lab in labels), kinds,
             chinese, "，".join(lab["zh"] for lab in labels), meta.get("ocr") or ""]
    return "\n".join(line for line in lines if line)[:MAX_VECTOR_CHARS]


_detector: Any = None


def _objects(images: Sequence[Any]) -> list[list[Any]] | None:
    """The COCO detections of each image, or None where the detector is unavailable
    (no npm and no cached model: said once, as a warning; ingest goes on without)."""
    global _detector
    from ..vision.detector import Detector, DetectorUnavailable

    if _detector is False:
        return None
    if _detector is None:
        _detector = Detector()
    try:
        return _detector.detect(list(images))
    except DetectorUnavailable as exc:
        import warnings

        warnings.warn(str(exc), stacklevel=2)
        _detector = False
        return None


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
        images = [image for image, _ in decoded.values()]
        encoded = encoder.encode([self._classifier_input(p, image, facts, context)
                                  for p, (image, facts) in decoded.items()])
        found = _objects(images) if context.config.image.objects else None
        return {path: (image, facts, encoded.row(i), found[i] if found is not None else None)
                for i, (path, (image, facts)) in enumerate(decoded.items())}

    def _decode(self, path: Path, context: LoadContext) -> tuple[Any, dict[str, Any]]:
        """The image at the size its readers need: OCR reads fine print, the classifier
        only its input size (JPEGs then decode several times faster)."""
        from ..vision.encoder import shared_encoder
        from ..vision.image_file import open_rgb

        size = 1024 if context.config.image.ocr else shared_encoder(self.models).resolution
        return open_rgb(path, draft=size)

    def _classifier_input(self, path: Path, image: Any, facts: dict[str, Any],
                          context: LoadContext) -> Any:
        """The pixels the classifier reads, the same as for a query image: a JPEG read for
        OCR at 1024 px decodes differently from one drafted at the classifier's size, so
        only then is it decoded a second time (other formats reuse the one decode)."""
        if not context.config.image.ocr or facts.get("format") != "JPEG":
            return image
        from ..vision.encoder import shared_encoder
        from ..vision.image_file import open_rgb

        return open_rgb(path, draft=shared_encoder(self.models).resolution)[0]

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]:
        from ..vision.encoder import shared_encoder

        context = context or LoadContext()
        if context.prefetched is not None:
            image, facts, encoded, found = context.prefetched
        else:
            image, facts = self._decode(path, context)
            encoded = shared_encoder(self.models).encode(
                [self._classifier_input(path, image, facts, context)])
            detected = _objects([image]) if context.config.image.objects else None
            found = detected[0] if detected else None
        from ..vision.hierarchy import broad_labels

        labels = top_labels(encoded.probs[0])
        kinds = broad_labels(encoded.probs[0])
        ocr = _reader().read(image) if context.config.image.ocr else ""
        meta = {"path": str(path), "labels": labels, "kinds": kinds, "ocr": ocr,
                **{k: v for k, v in facts.items() if k != "mode"}}
        objects = ""
        if found is not None:
            from ..vision.coco import summary

            # boxes for the page; the counted sentence for BM25 and the image's vector
            meta["objects"] = [d.to_meta() for d in found]
            objects = meta["objects_text"] = summary(found)
        return [Section(text=describe(path, labels, ocr, facts, kinds, objects),
                        modality="image", meta=meta, encoded=encoded)]


loaders.register("image")(ImageLoader)
