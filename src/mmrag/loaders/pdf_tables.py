"""Tables on a PDF's text-layer pages, found by pdfplumber (MIT, on pdfminer.six, MIT).

pdfium gives text runs, not cells; pdfplumber finds a table from the lines and rectangles
drawn around its cells (its default "lines" strategy) and reads each cell's text. It is
slower than pdfium (it parses the page's content again in Python), so only a page with at
least ``MIN_RULES`` drawn paths (a ruled table has a line per row and column) is given to
it, and the PDF is opened by it on the first such page: a PDF of plain text pages pays only
pdfium's count of its path objects. A table's characters are blanked out of the page's text
(the indices of the rest are kept, so passages are still located), and its rows become
table sections (:mod:`.tables`) located on the page by the table's box.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

MIN_RULES = 4
Bounds = tuple[float, float, float, float]  # left, bottom, right, top in PDF points


def may_hold_table(page: Any) -> bool:
    import pypdfium2.raw as raw

    paths = page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2)
    return len(list(itertools.islice(paths, MIN_RULES))) == MIN_RULES


class PdfTables:
    """The tables of one PDF's pages, pdfplumber opening it on the first page asked."""

    def __init__(self, path: Path):
        self.path = path
        self._pdf: Any = None
        self.missing = False  # pdfplumber not installed: pages are read without tables

    def on(self, page: Any, number: int) -> list[tuple[Bounds, list[list[Any]]]]:
        """Each table on ``page`` (its number ``number``): its bounds and its rows."""
        if self.missing or not may_hold_table(page):
            return []
        if self._pdf is None:
            try:
                import pdfplumber
            except ImportError:
                self.missing = True
                return []
            self._pdf = pdfplumber.open(str(self.path))
        plumbed = self._pdf.pages[number - 1]
        try:
            height = float(plumbed.height)
            found = []
            for table in plumbed.find_tables():
                rows = [row for row in table.extract() if any(row)]
                if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                    left, top, right, bottom = table.bbox  # from the top-left corner
                    found.append(((left, height - bottom, right, height - top), rows))
            return found
        except Exception:  # a page pdfminer can not parse keeps its text layer
            return []
        finally:
            plumbed.close()

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def blank(text: str, textpage: Any, tables: list[Bounds]) -> str:
    """``text`` (the page's, pdfium's indices) with the characters inside ``tables`` made
    spaces, so the page's passages leave out what its table sections hold."""
    chars = list(text)
    for i in range(min(len(chars), textpage.count_chars())):
        left, bottom, right, top = textpage.get_charbox(i)
        x, y = (left + right) / 2, (bottom + top) / 2
        if chars[i] != "\n" and any(a <= x <= c and b <= y <= d for a, b, c, d in tables):
            chars[i] = " "
    return "".join(chars)
