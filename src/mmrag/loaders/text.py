"""Plain text and Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..types import Section
from . import loaders
from .charset import BLOCK, iter_text, read_text

# A file this big is read a block at a time, one section a block, so that ingest can
# write its chunks in parts and never hold the whole text.
STREAM_BYTES = 8 * BLOCK


class TextLoader:
    name = "text"
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst", ".text")

    def load(self, path: Path) -> Iterable[Section]:
        try:
            big = path.stat().st_size >= STREAM_BYTES
        except OSError:
            big = False  # read_text names the problem
        return _sections(path) if big else [Section(text=read_text(path))]


def _sections(path: Path) -> Iterator[Section]:
    """Blocks cut at their last line break (a chunk rarely spans two), as sections."""
    carry = ""
    for text in iter_text(path):
        text = carry + text
        cut = text.rfind("\n") + 1 or len(text)
        carry = text[cut:]
        if text[:cut].strip():
            yield Section(text=text[:cut])
    if carry.strip():
        yield Section(text=carry)


loaders.register("text")(TextLoader)
