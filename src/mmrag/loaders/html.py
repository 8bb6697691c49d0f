"""HTML: visible text, block elements kept as paragraph breaks, and tables kept as
tables (:mod:`.tables`: rows grouped with their header, shown as Markdown)."""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from ..types import Section
from . import loaders
from .charset import read_text
from .tables import table_sections

_SKIP = {"script", "style", "noscript", "template", "svg", "head"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "title", "dd", "dt",
}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        # the outermost table being read: its rows of cells (a nested table is cell text)
        self.tables: list[list[list[str]]] = []
        self._table_depth = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag == "table":
            self._table_depth += 1
            if self._table_depth == 1:
                self.tables.append([])
        elif self._table_depth == 1 and tag == "tr":
            self.tables[-1].append([])
        elif self._table_depth == 1 and tag in ("td", "th") and self.tables[-1]:
            self._cell = []
        if tag in _BLOCK and not self._table_depth:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in ("td", "th") and self._cell is not None and self._table_depth == 1:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table" and self._table_depth:
            self._table_depth -= 1
        if tag in _BLOCK and not self._table_depth:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip:
            return
        elif self._table_depth:
            if self._cell is not None:
                self._cell.append(data)
        else:
            self.parts.append(data)


def _parse(markup: str) -> tuple[str, list[list[list[str]]]]:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    body = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
    text = "\n\n".join(p for p in paragraphs if p)
    title = " ".join(parser.title.split())
    text = f"{title}\n\n{text}" if title and not text.startswith(title) else text
    return text, parser.tables


def html_to_text(markup: str) -> str:
    """The visible text, tables included as lines of cells."""
    text, tables = _parse(markup)
    rows = ["\n".join(" | ".join(r) for r in table) for table in tables]
    return "\n\n".join(t for t in [text, *rows] if t.strip())


def html_sections(markup: str, title: str = "") -> list[Section]:
    """The text as one section, and each table's row groups as table sections."""
    text, tables = _parse(markup)
    sections = [Section(text=text)] if text.strip() else []
    name = text.split("\n", 1)[0][:80] or title
    for n, rows in enumerate(tables, 1):
        sections += table_sections(rows, title=f"{name}: table {n}" if name else f"table {n}")
    return sections


class HtmlLoader:
    name = "html"
    extensions: tuple[str, ...] = (".html", ".htm", ".xhtml")

    def load(self, path: Path) -> Iterable[Section]:
        return html_sections(read_text(path))


loaders.register("html")(HtmlLoader)
