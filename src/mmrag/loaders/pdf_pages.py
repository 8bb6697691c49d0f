"""Rendering PDF pages: for OCR, and as the page thumbnails that citations show.

A thumbnail is a JPEG of ``THUMB_SIDE`` px on its long side in the file's media folder
(``pages/p<N>.jpg``), rendered once, the first time it is wanted: by the server's
``/api/thumb``, or by :func:`with_thumbs` for the hits the CLI prints. Ingest renders only
the pages it renders anyway, the scanned ones it OCRs: rendering and encoding every page
cost about 7 ms a page, a text-layer page's whole read taking about 3 ms without it, for
pictures few pages are ever cited for. ``pages/of`` names the PDF they are of.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from .._lazy import require
from ..errors import IngestError

THUMB_SIDE = 640
OCR_SIDE = 960  # what mmrag.vision.ocr.Ocr reads (its max_side): rendering more is waste


def open_pdf(path: Path) -> Any:
    """A pypdfium2 document, or IngestError naming the file and what is wrong with it."""
    pdfium = require("pypdfium2", purpose="reading PDF files")
    try:
        if path.stat().st_size == 0:
            raise IngestError(str(path), "file is empty")
        with RENDERING:
            return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise IngestError(str(path), "PDF is encrypted (password required)") from None
        raise IngestError(str(path), f"not a readable PDF ({reason})") from None
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None


def render(page: Any, side: int) -> Any:
    """The page as an RGB Pillow image ``side`` px on its long side."""
    width, height = page.get_size()
    scale = side / max(width, height, 1.0)
    image = page.render(scale=scale).to_pil()
    return image if image.mode == "RGB" else image.convert("RGB")


def thumb_path(folder: Path, number: int) -> Path:
    return folder / "pages" / f"p{number}.jpg"


def note_source(folder: Path, pdf: Path) -> None:
    """Say which PDF ``folder``'s page thumbnails are of (rendered later from it)."""
    target = folder / "pages" / "of"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(str(pdf.resolve()), encoding="utf-8")


def with_thumbs(hits: list[Any]) -> list[Any]:
    """``hits`` with the page thumbnails they name (``meta["thumb"]``) rendered where they
    are not yet; a hit whose PDF is gone loses its ``thumb``."""
    from dataclasses import replace

    out = []
    for hit in hits:
        thumb = hit.meta.get("thumb")
        if thumb and not Path(thumb).exists():
            pages = Path(thumb).parent
            try:
                number = int(Path(thumb).stem[1:])
                page_thumbnail(Path((pages / "of").read_text(encoding="utf-8")), number,
                               pages.parent)
            except (OSError, ValueError, IngestError):
                hit = replace(hit, meta={k: v for k, v in hit.meta.items() if k != "thumb"})
        out.append(hit)
    return out


def save_thumb(image: Any, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if max(image.size) > THUMB_SIDE:  # an OCR render: shrink a copy
        image = image.copy()
        image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    # written whole before it appears: a request that finds the file serves it as it is
    partial = target.with_name(f".{target.name}.{threading.get_ident()}.part")
    image.save(partial, "JPEG", quality=75)
    partial.replace(target)
    return target


# pdfium is not thread-safe: the server renders thumbnails in its request threads (a page
# of cards asks for several at once: two renders at a time crashed the process) while a job
# may be reading a PDF, so both take this lock (the loader for one page at a time)
RENDERING = threading.RLock()


def page_thumbnail(pdf: Path, number: int, folder: Path) -> Path:
    """The thumbnail of page ``number`` (1-based) of ``pdf`` under ``folder``, rendered now
    if it is not there yet; IngestError if the PDF has no such page."""
    target = thumb_path(folder, number)
    if target.exists():
        return target
    with RENDERING:
        if target.exists():  # rendered while this request waited
            return target
        return _render_thumbnail(pdf, number, target)


def _render_thumbnail(pdf: Path, number: int, target: Path) -> Path:
    doc = open_pdf(pdf)
    try:
        if not 1 <= number <= len(doc):
            raise IngestError(str(pdf), f"no page {number} (the PDF has {len(doc)})")
        page = doc[number - 1]
        try:
            return save_thumb(render(page, THUMB_SIDE), target)
        finally:
            page.close()
    finally:
        doc.close()
