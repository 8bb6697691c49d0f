"""Word documents (.docx, python-docx): the body in reading order, paragraphs grouped
under their headings, tables as tables (:mod:`.tables`), pictures as image items
(:mod:`.figures`) with the paragraphs around them. A .docx has no pages until Word lays
it out, so a section is cited by the heading it sits under (``meta["heading"]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._lazy import require
from ..errors import IngestError
from ..types import Section, Span
from . import LoadContext, loaders
from .figures import Figures
from .packages import check_package
from .tables import table_sections


def open_docx(path: Path) -> Any:
    check_package(path, ".docx")
    docx = require("docx", "documents", purpose="reading .docx files")
    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError/ValueError on a broken package
        raise IngestError(str(path), f"not a readable .docx ({exc})") from None


def table_rows(table: Any) -> Iterator[list[str]]:
    for row in table.rows:
        cells: list[str] = []
        for c in row.cells:  # a merged cell comes back once per grid column it spans
            text = c.text
            cells.append("" if cells and cells[-1] == text and text else text)
        yield cells


class DocxLoader:
    name = "docx"
    extensions: tuple[str, ...] = (".docx",)
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> list[Section]:
        document = open_docx(path)
        figures = Figures(path, context or LoadContext())
        sections: list[Section] = []
        heading = ""
        lines: list[str] = []
        tables = 0

        def flush() -> None:
            if any(line.strip() for line in lines):
                meta = {"heading": heading} if heading else {}
                sections.append(Section(text="\n\n".join(lines), meta=meta))
            lines.clear()

        table_type = require("docx.table", "documents").Table
        # pictures wait for the paragraph after them: it is usually their caption
        waiting: list[tuple[bytes, str]] = []

        def place(after: str) -> None:
            for blob, before in waiting:
                figure = figures.add(blob, span=Span(), where=f"figure {figures.kept + 1}",
                                     around=f"{before} {after}".strip())
                if figure is not None:
                    sections.append(figure)
            waiting.clear()

        for block in document.iter_inner_content():
            if isinstance(block, table_type):
                flush()
                place("")
                tables += 1
                title = f"table {tables}" + (f" under {heading!r}" if heading else "")
                sections += table_sections(table_rows(block), title=title,
                                           meta={"heading": heading} if heading else {})
                continue
            text = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if style.startswith(("Heading", "Title")) and text:
                flush()
                heading = text
            if text:
                place(text)
                lines.append(text)
            for run in block.runs:
                for item in run.iter_inner_content():
                    if getattr(item, "has_picture", False):  # a Drawing holding a picture
                        waiting.append((item.image.blob, " ".join(lines[-2:])))
        place("")
        flush()
        if not sections:
            raise IngestError(str(path), "no text, tables or pictures in the document")
        return sections


loaders.register("docx")(DocxLoader)
