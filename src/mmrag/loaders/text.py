"""Plain text and Markdown."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..types import Section
from . import loaders
from .charset import read_text


class TextLoader:
    name = "text"
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst", ".text")

    def load(self, path: Path) -> Iterable[Section]:
        return [Section(text=read_text(path))]


loaders.register("text")(TextLoader)
