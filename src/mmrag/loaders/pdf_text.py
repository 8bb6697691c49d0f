"""A PDF page's text layer cut into the chunker's windows, each located on its page: the
characters it spans in the page's text (``meta["chars"]``, pdfium's character indices) and
the rectangles those characters cover (``meta["boxes"]``, PDF points from the page's
bottom-left, ``meta["page_size"]`` to scale them), so a page image can highlight the cited
passage. The loader cuts the windows itself because only it still holds the page.
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


def located(text: str, textpage: Any,
            config: ChunkerConfig) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each window of ``text`` with where it lies on the page (empty when the window's
    words can not be found again in the page text: it is still indexed)."""
    cursor = 0
    for window in windows(text, config):
        head = _find(text, window[:_ANCHOR].rsplit(" ", 1)[0] or window[:_ANCHOR], cursor)
        if head is None:
            yield window, {}
            continue
        tail_words = window[-_ANCHOR:].split(" ", 1)[-1]
        tail = _find(text, tail_words, head.start())
        end = tail.end() if tail is not None else head.end()
        # the next window overlaps this one (the chunker repeats its last sentence)
        cursor = head.start() + 1
        yield window, {"chars": [head.start(), end], "boxes": boxes(textpage, head.start(),
                                                                   end)}


def boxes(textpage: Any, start: int, end: int) -> list[list[float]]:
    count = textpage.count_rects(start, end - start)
    found = []
    for i in range(min(count, MAX_BOXES)):
        left, bottom, right, top = textpage.get_rect(i)
        found.append([round(left, 1), round(bottom, 1), round(right, 1), round(top, 1)])
    return found
