"""E-books (.epub, ebooklib, an extra of its own: it is AGPL-3.0): one section per
chapter in spine order, its text through the HTML loader's reader, its tables as tables,
its pictures as image items."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .._lazy import require
from ..errors import IngestError
from ..types import Section, Span
from . import LoadContext, loaders
from .figures import Figures
from .html import html_sections
from .packages import check_package


class EpubLoader:
    name = "epub"
    extensions: tuple[str, ...] = (".epub",)
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> list[Section]:
        check_package(path, ".epub")
        ebooklib = require("ebooklib", "epub", purpose="reading .epub files")
        epub = require("ebooklib.epub", "epub")
        try:
            book = epub.read_epub(str(path), options={"ignore_ncx": True})
        except Exception as exc:  # a broken package: KeyError, EpubException, lxml errors
            raise IngestError(str(path), f"not a readable .epub ({exc})") from None
        sections: list[Section] = []
        chapter = 0
        for item_id, _linear in book.spine:
            item = book.get_item_with_id(item_id)
            if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
                continue
            markup = item.get_content().decode("utf-8", errors="replace")
            found = html_sections(markup, title=f"chapter {chapter + 1}")
            if found:
                chapter += 1
                sections += [replace(s, meta={**s.meta, "chapter": chapter}) for s in found]
        figures = Figures(path, context or LoadContext())
        for item in book.get_items_of_type(ebooklib.ITEM_IMAGE):
            figure = figures.add(item.get_content(), span=Span(),
                                 where=Path(item.get_name()).stem)
            if figure is not None:
                sections.append(figure)
        if not sections:
            raise IngestError(str(path), "no text in any chapter")
        return sections


loaders.register("epub")(EpubLoader)
