"""Loaders turn one file into sections of text (a page, a whole document).

A loader declares the file extensions it reads; :func:`loader_for` picks one by extension.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..registry import Registry
from ..types import Section


@runtime_checkable
class Loader(Protocol):
    name: str
    extensions: tuple[str, ...]

    def load(self, path: Path) -> Iterable[Section]:
        """Read ``path``; raise :class:`mmrag.errors.IngestError` naming the file on bad input."""
        ...


loaders: Registry[Loader] = Registry("loader")


def by_extension() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in loaders.names():
        for ext in loaders.create(name).extensions:
            table.setdefault(ext, name)
    return table


def loader_for(path: Path) -> Loader | None:
    name = by_extension().get(path.suffix.lower())
    return loaders.create(name) if name else None


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import html, image, pdf, text  # noqa: E402,F401
