"""OpenDocument text (.odt, odfpy): paragraphs and headings in order, grouped under their
headings as .docx is, tables as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._lazy import require
from ..errors import IngestError
from ..types import Section
from . import loaders
from .packages import check_package
from .tables import table_sections


class OdtLoader:
    name = "odt"
    extensions: tuple[str, ...] = (".odt",)

    def load(self, path: Path) -> list[Section]:
        check_package(path, ".odt")
        opendocument = require("odf.opendocument", "documents", purpose="reading .odt files")
        teletype = require("odf.teletype", "documents")
        try:
            document = opendocument.load(str(path))
        except Exception as exc:  # a broken package: KeyError, XML errors
            raise IngestError(str(path), f"not a readable .odt ({exc})") from None
        sections: list[Section] = []
        heading = ""
        lines: list[str] = []
        tables = 0

        def flush() -> None:
            if lines:
                sections.append(Section(text="\n\n".join(lines),
                                        meta={"heading": heading} if heading else {}))
            lines.clear()

        for node in _blocks(document.text):
            kind = node.qname[1]
            if kind == "table":
                flush()
                tables += 1
                rows = ([teletype.extractText(c) for c in _children(row, "table-cell")]
                        for row in _rows(node))
                sections += table_sections(rows, title=f"table {tables}")
                continue
            text = teletype.extractText(node).strip()
            if kind == "h" and text:
                flush()
                heading = text
            if text:
                lines.append(text)
        flush()
        if not sections:
            raise IngestError(str(path), "no text or tables in the document")
        return sections


def _children(node: Any, kind: str) -> list[Any]:
    return [c for c in node.childNodes if getattr(c, "qname", ("", ""))[1] == kind]


def _rows(table: Any) -> Any:
    """A table's rows in order, the header rows and row groups opened."""
    for child in table.childNodes:
        kind = getattr(child, "qname", ("", ""))[1]
        if kind == "table-row":
            yield child
        elif kind in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _rows(child)


def _blocks(node: Any) -> Any:
    """Paragraphs, headings and tables in document order (lists and sections opened)."""
    for child in node.childNodes:
        kind = getattr(child, "qname", ("", ""))[1]
        if kind in ("p", "h", "table"):
            yield child
        elif kind in ("list", "list-item", "section", "list-header"):
            yield from _blocks(child)


loaders.register("odt")(OdtLoader)
