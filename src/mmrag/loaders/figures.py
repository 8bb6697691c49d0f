"""Figures inside documents (a PDF's images, a .docx's pictures, a slide's photos) as image
items of their own: written once into the index's media folder, labelled and OCR'd by the
image loader like any photo, cited to their page or slide, with the text around them (a
caption, the paragraph) joined into their text, and so into their "average" vector.

Decorative images are skipped by one rule (:func:`decorative`): smaller than
``MIN_SIDE_PX`` on a side, covering less than ``MIN_PAGE_SHARE`` of the page where the page
size is known, or thinner than 1:``MAX_ASPECT`` (rules, bars); an image repeated in one
document (a logo in every header) is kept once. At most ``MAX_PER_DOCUMENT`` are kept.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import IngestError, MissingDependencyError
from ..types import Section, Span
from . import LoadContext

MIN_SIDE_PX = 64
MIN_PAGE_SHARE = 0.02
MAX_ASPECT = 8.0
MAX_PER_DOCUMENT = 500
MAX_CONTEXT_CHARS = 400


def decorative(width: int, height: int, page_share: float | None = None) -> bool:
    if min(width, height) < MIN_SIDE_PX:
        return True
    if max(width, height) / max(1, min(width, height)) > MAX_ASPECT:
        return True
    return page_share is not None and page_share < MIN_PAGE_SHARE


class Figures:
    """The figures of one document, numbered as they are kept."""

    def __init__(self, source: Path, context: LoadContext):
        self.source = source
        self.context = context
        self.kept = 0
        self._seen: set[str] = set()
        self._off = context.media_dir is None

    def add(self, image: Any | bytes, *, span: Span, where: str, around: str = "",
            page_share: float | None = None) -> Section | None:
        """The image item of one figure (a Pillow image, or an image file's bytes), or None
        if it is decorative, a repeat, unreadable, or images can not be read here."""
        if self._off or self.kept >= MAX_PER_DOCUMENT:
            return None
        try:
            from PIL import Image
        except ImportError:
            self._disable("figures need Pillow: pip install 'mmrag[image]'")
            return None
        try:
            picture: Any = Image.open(io.BytesIO(image)) if isinstance(image, bytes) else image
            width, height = picture.size
            if decorative(width, height, page_share):
                return None
            picture = picture.convert("RGB")
        except Exception:  # an embedded image Pillow can not decode (JBIG2, CMYK JPX...)
            return None
        digest = hashlib.blake2b(picture.tobytes(), digest_size=10).hexdigest()
        if digest in self._seen:
            return None
        self._seen.add(digest)
        assert self.context.media_dir is not None
        folder = self.context.media_dir / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        place = re.sub(r"[^\w]+", "", where)
        target = folder / f"{self.source.stem[:60]}-{place}-{len(self._seen)}.png"
        picture.save(target, "PNG")
        return self._section(target, span, where, around)

    def _section(self, target: Path, span: Span, where: str, around: str) -> Section | None:
        from .image import ImageLoader

        try:
            [section] = list(ImageLoader().load(target, self.context))
        except MissingDependencyError as exc:
            self._disable(str(exc))
            return None
        except IngestError:
            return None
        self.kept += 1
        around = " ".join(around.split())[:MAX_CONTEXT_CHARS]
        head = f"figure in {self.source.name} ({where})" + (f": {around}" if around else "")
        meta = {**section.meta, "figure_of": str(self.source), "context": around}
        return replace(section, text=f"{head}\n{section.text}", span=span, meta=meta)

    def _disable(self, why: str) -> None:
        self._off = True
        warnings.warn(f"{self.source}: figures not indexed ({why})", stacklevel=3)
