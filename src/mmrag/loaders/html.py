"""HTML: visible text only, block elements kept as paragraph breaks."""

from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from ..types import Section
from . import loaders
from .charset import read_text

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

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    body = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in body.split("\n\n")]
    text = "\n\n".join(p for p in paragraphs if p)
    title = " ".join(parser.title.split())
    return f"{title}\n\n{text}" if title and not text.startswith(title) else text


class HtmlLoader:
    name = "html"
    extensions: tuple[str, ...] = (".html", ".htm", ".xhtml")

    def load(self, path: Path) -> Iterable[Section]:
        return [Section(text=html_to_text(read_text(path)))]


loaders.register("html")(HtmlLoader)
