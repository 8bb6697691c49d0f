"""Loaders turn one file into sections of text (a page, a whole document).

A loader declares the file extensions it reads; :func:`loader_for` picks one by extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..config import IndexConfig
from ..registry import Registry
from ..types import Section


@runtime_checkable
class Loader(Protocol):
    name: str
    extensions: tuple[str, ...]

    def load(self, path: Path) -> Iterable[Section]:
        """Read ``path``; raise :class:`mmrag.errors.IngestError` naming the file on bad input."""
        ...


@runtime_checkable
class ContextLoader(Protocol):
    """A loader that needs more than a path (media loaders: images, audio, video, 3D):
    called as ``load(path, context)`` with the ingest job's :class:`LoadContext`."""

    name: str
    extensions: tuple[str, ...]
    accepts_context: bool

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]: ...


@runtime_checkable
class PrefetchingLoader(Protocol):
    """A loader that runs a model and would rather run it once for a window of files
    (images: one classifier batch) before they are loaded one by one. What it returns for
    a file comes back to its ``load`` as ``LoadContext.prefetched``."""

    def prefetch(self, paths: Sequence[Path], context: LoadContext) -> Mapping[Path, Any]: ...


loaders: Registry[Loader] = Registry("loader")


@dataclass(frozen=True)
class LoadContext:
    """What the ingest job offers a :class:`ContextLoader`.

    Media loaders need more than a path: the index's settings (OCR, mesh limits), where to
    keep derived files (video frames), which transcriber to run, what the embedder can
    read, and a way to report progress within one long file.
    """

    config: IndexConfig = IndexConfig()
    media_dir: Path | None = None
    transcriber: str = "whisper"
    # the transcriber's constructor options (a whisper model directory) and the names the
    # index's recordings may say (its vocabulary as hint text; see mmrag.vocab)
    transcriber_options: Mapping[str, Any] = field(default_factory=dict)
    hints: str = ""
    modalities: frozenset[str] = frozenset({"text"})
    # (units done, units in all or None); for audio the unit is seconds of audio
    on_progress: Callable[[float, float | None], None] | None = None
    # what the loader's own look-ahead (PrefetchingLoader.prefetch) made of this file
    prefetched: Any = None


# A section of a file inside the one read (a mail's attachment) says so in its meta under
# this key: {"key": its name inside the file, "hash", "size", "loader"}. Ingest makes each
# such file a source of its own (see mmrag.stores.inner), written with the outer one; a
# loader that gives such sections returns a list (the file is then chunked whole).
INNER = "inner"


def load(loader: Loader, path: Path, context: LoadContext) -> Iterable[Section]:
    if isinstance(loader, ContextLoader) and loader.accepts_context:
        return loader.load(path, context)
    return loader.load(path)


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
from . import audio, epub, html, image, mail, mesh, odt, pdf, text, video  # noqa: E402,F401,I001
from . import sheets, slides, word  # noqa: E402,F401
