"""PDFs page by page (pypdfium2: Apache-2.0/BSD, unlike AGPL PyMuPDF).

Each page is read, cited and let go before the next (a 2,000-page PDF is never held
whole): its text layer when it has one; else, for a scanned page (fewer than
``MIN_TEXT_CHARS`` letters in its text layer), the page rendered and OCR'd by the OCR
images get (RapidOCR, zh + en). The figures on a page become image items of their own
(:mod:`.figures`), and every page gets a thumbnail in the file's media folder
(:mod:`.pdf_pages`) that hits carry as ``meta["thumb"]``; a text-layer passage also
carries where it lies on its page (:mod:`.pdf_text`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import IngestError, MissingDependencyError
from ..types import Section, Span
from . import LoadContext, loaders
from .figures import Figures
from .pdf_pages import (
    OCR_SIDE,
    RENDERING,
    note_source,
    open_pdf,
    render,
    save_thumb,
    thumb_path,
)
from .pdf_tables import PdfTables, blank
from .pdf_text import Box, located, ocr_located, page_text
from .tables import table_sections

MIN_TEXT_CHARS = 16
# a page image covering this much of a page without a text layer is the scan itself
SCAN_SHARE = 0.8


def _text_layer(page: Any) -> tuple[str, Any]:
    textpage = page.get_textpage()
    return page_text(textpage), textpage


class PdfLoader:
    name = "pdf"
    extensions: tuple[str, ...] = (".pdf",)
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> Iterator[Section]:
        doc = open_pdf(path)  # raises before the first page, naming the problem
        return self._pages(path, doc, context or LoadContext())

    def _pages(self, path: Path, doc: Any, context: LoadContext) -> Iterator[Section]:
        figures = Figures(path, context)
        if context.media_dir is not None:
            note_source(context.media_dir, path)
        tables = PdfTables(path)
        ocr_missing: MissingDependencyError | None = None
        found = scanned = 0
        try:
            total = len(doc)
            for number in range(1, total + 1):
                # pdfium is not thread-safe: a page is read under the lock the server's
                # thumbnails take, and its sections are handed on after it is let go
                sections: list[Section] = []
                with RENDERING:
                    page = doc[number - 1]
                    try:
                        text, textpage = _text_layer(page)
                        try:
                            scan = len("".join(text.split())) < MIN_TEXT_CHARS
                            image: Any = None
                            lines: list[tuple[str, Box]] = []
                            if scan:
                                scanned += 1
                                image = render(page, OCR_SIDE)
                                if ocr_missing is None and context.config.image.ocr:
                                    try:
                                        lines = _ocr(image)
                                    except MissingDependencyError as exc:
                                        ocr_missing = exc
                                text = "\n".join(line for line, _ in lines)
                            meta = self._thumb(image, number, context)
                            found_tables = [] if scan else tables.on(page, number)
                            if found_tables:
                                text = blank(text, textpage, [b for b, _ in found_tables])
                            if text.strip() or found_tables:
                                found += 1
                                sections.extend(self._passages(
                                    page, textpage, number, text, lines, image, meta, context))
                                for k, (bounds, rows) in enumerate(found_tables, 1):
                                    box = [round(v, 1) for v in bounds]
                                    size = [round(v, 1) for v in page.get_size()]
                                    sections.extend(table_sections(
                                        rows, title=f"table {k} on p.{number}",
                                        span=Span(page=number),
                                        meta={**meta, "boxes": [box], "page_size": size}))
                            if context.media_dir is not None:  # where figures are kept
                                sections.extend(self._figures(
                                    page, textpage, number, scan, meta, figures))
                        finally:
                            textpage.close()
                    finally:
                        page.close()
                yield from sections
        finally:
            tables.close()
            with RENDERING:
                doc.close()
        if ocr_missing is not None and scanned:
            if not found:
                raise ocr_missing
            warnings.warn(f"{path}: {scanned} scanned pages not read ({ocr_missing})",
                          stacklevel=2)
        if not found and not figures.kept:
            why = ("OCR is off for this index" if not context.config.image.ocr
                   else f"OCR found no text on its {scanned} scanned pages")
            raise IngestError(str(path), f"PDF has no text layer and {why}")

    @staticmethod
    def _passages(page: Any, textpage: Any, number: int, text: str, lines: list[Any],
                  image: Any, meta: dict[str, Any], context: LoadContext
                  ) -> Iterator[Section]:
        """A page's text in the chunker's windows, each located on the page: from the text
        layer, or (``lines``, a scan) from the OCR's lines."""
        size = [round(v, 1) for v in page.get_size()]
        chunker = context.config.chunker
        pieces = (ocr_located(lines, image.size, page.get_size(), chunker) if lines
                  else located(text, textpage, chunker))
        for piece, where in pieces:
            yield Section(text=piece, span=Span(page=number), chunked=True, meta={
                **meta, **where, "page_size": size, **({"text_from": "ocr"} if lines else {})})

    @staticmethod
    def _thumb(image: Any, number: int, context: LoadContext) -> dict[str, Any]:
        """Where the page's thumbnail is kept: made now from a scan's render, else the
        first time it is wanted (see :mod:`.pdf_pages`)."""
        if context.media_dir is None:
            return {}
        target = thumb_path(context.media_dir, number)
        if image is not None:
            save_thumb(image, target)
        return {"thumb": str(target)}

    @staticmethod
    def _figures(page: Any, textpage: Any, number: int, scan: bool, meta: dict[str, Any],
                 figures: Figures) -> Iterator[Section]:
        import pypdfium2.raw as raw

        width, height = page.get_size()
        area = max(1.0, width * height)
        for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            share = (right - left) * (top - bottom) / area
            if scan and share >= SCAN_SHARE:
                continue  # the scanned page itself, read by OCR above
            try:
                picture = obj.get_bitmap(render=False).to_pil()
            except Exception:  # an image pdfium can not decode: leave it
                continue
            # its caption and the lines just above: the text in a band around the image
            around = "" if scan else textpage.get_text_bounded(
                left=max(0.0, left - 36), bottom=max(0.0, bottom - 72),
                right=min(width, right + 36), top=min(height, top + 24))
            section = figures.add(picture, span=Span(page=number), where=f"p.{number}",
                                  around=around, page_share=share)
            if section is not None:
                yield Section(text=section.text, span=section.span, modality="image",
                              meta={**section.meta, **meta}, encoded=section.encoded)


_reader: Any = None


def _ocr(image: Any) -> list[tuple[str, Box]]:
    """The page image's text lines, each with its box in the image's pixels."""
    global _reader
    if _reader is None:
        from ..vision.ocr import Ocr

        _reader = Ocr(max_side=OCR_SIDE)
    return list(_reader.read_lines(image))


loaders.register("pdf")(PdfLoader)
