"""A PDF page's text layer cut into the chunker's windows, each located on its page: the
characters it spans in the page's text (``meta["chars"]``, pdfium's character indices) and
the rectangles those characters cover (``meta["boxes"]``, PDF points from the page's
bottom-left, ``meta["page_size"]`` to scale them), so a page image can highlight the cited
passage. The loader cuts the windows itself because only it still holds the page. An
OCR'd page's windows are located the same way from RapidOCR's line boxes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..text.chunker import ChunkerConfig, windows

MAX_BOXES = 64  # a passage's rectangles (about one a line) kept with it
_ANCHOR = 24  # characters of a window's start and end looked for in the page text


def page_text(textpage: Any) -> str:
    """The text layer with pdfium's character indices kept: "\\r\\n" (two characters in
    pdfium) becomes " \\n", not "\\n"."""
    return str(textpage.get_text_range()).replace("\r\n", " \n").replace("\r", "\n")


def _pattern(snippet: str) -> re.Pattern[str]:
    words = snippet.split()
    return re.compile(r"\s+".join(re.escape(w) for w in words))


def _find(text: str, snippet: str, start: int) -> re.Match[str] | None:
    snippet = snippet.strip()
    return _pattern(snippet).search(text, start) if snippet.split() else None


def spans(text: str, config: ChunkerConfig) -> Iterator[tuple[str, tuple[int, int] | None]]:
    """Each window of ``text`` with the characters it spans there (None when its words can
    not be found again in the text: it is still indexed)."""
    cursor = 0
    for window in windows(text, config):
        head = _find(text, window[:_ANCHOR].rsplit(" ", 1)[0] or window[:_ANCHOR], cursor)
        if head is None:
            yield window, None
            continue
        tail_words = window[-_ANCHOR:].split(" ", 1)[-1]
        tail = _find(text, tail_words, head.start())
        # the next window overlaps this one (the chunker repeats its last sentence)
        cursor = head.start() + 1
        yield window, (head.start(), tail.end() if tail is not None else head.end())


def located(text: str, textpage: Any,
            config: ChunkerConfig) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each window of ``text`` with where it lies on the page (empty when not found)."""
    for window, where in spans(text, config):
        yield window, {} if where is None else {
            "chars": list(where), "boxes": boxes(textpage, *where)}


Box = tuple[float, float, float, float]


def ocr_located(lines: list[tuple[str, Box]], image_size: tuple[int, int],
                page_size: tuple[float, float], config: ChunkerConfig
                ) -> Iterator[tuple[str, dict[str, Any]]]:
    """The windows of an OCR'd page's text (its lines joined by newlines), each with the
    same ``chars`` (in that text) and ``boxes`` (PDF points from the bottom-left) as a
    text-layer passage: the OCR line boxes it covers, a line taken in part cut in
    proportion to the characters taken (OCR gives lines, not characters)."""
    text = "\n".join(line for line, _ in lines)
    sx, sy = page_size[0] / image_size[0], page_size[1] / image_size[1]
    for window, where in spans(text, config):
        if where is None:
            yield window, {}
            continue
        found: list[list[float]] = []
        offset = 0
        for line, (left, top, right, bottom) in lines:
            a, b = max(where[0], offset), min(where[1], offset + len(line))
            if a < b and len(found) < MAX_BOXES:
                width = (right - left) / max(1, len(line))
                x0, x1 = left + (a - offset) * width, left + (b - offset) * width
                found.append([round(x0 * sx, 1), round(page_size[1] - bottom * sy, 1),
                              round(x1 * sx, 1), round(page_size[1] - top * sy, 1)])
            offset += len(line) + 1
        yield window, {"chars": list(where), "boxes": found}


def boxes(textpage: Any, start: int, end: int) -> list[list[float]]:
    count = textpage.count_rects(start, end - start)
    found = []
    for i in range(min(count, MAX_BOXES)):
        left, bottom, right, top = textpage.get_rect(i)
        found.append([round(left, 1), round(bottom, 1), round(right, 1), round(top, 1)])
    return found
