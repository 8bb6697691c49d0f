"""PDF text, one section per page (pypdfium2: Apache-2.0/BSD, unlike AGPL PyMuPDF)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._lazy import require
from ..errors import IngestError
from ..types import Section, Span
from . import loaders


class PdfLoader:
    name = "pdf"
    extensions: tuple[str, ...] = (".pdf",)

    def load(self, path: Path) -> Iterable[Section]:
        pdfium = require("pypdfium2", purpose="reading PDF files")
        try:
            if path.stat().st_size == 0:
                raise IngestError(str(path), "file is empty")
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            reason = str(exc)
            if "password" in reason.lower():
                raise IngestError(str(path), "PDF is encrypted (password required)") from None
            raise IngestError(str(path), f"not a readable PDF ({reason})") from None
        except OSError as exc:
            raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
        sections = []
        try:
            for number in range(len(doc)):
                page = doc[number]
                textpage = page.get_textpage()
                text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                textpage.close()
                page.close()
                if text.strip():
                    sections.append(Section(text=text, span=Span(page=number + 1)))
        finally:
            doc.close()
        if not sections:
            raise IngestError(str(path), "PDF has no extractable text (scanned pages need OCR)")
        return sections


loaders.register("pdf")(PdfLoader)
