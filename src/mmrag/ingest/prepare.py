"""Preparing one file: read it with its loader and chunk it, or say why not.

A bad file is reported with its reason and the run goes on; a file that reads fine but
holds nothing to index (silence) is recorded with a note, so it is not retried each run.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import IngestError, MissingDependencyError, NoContentError
from ..loaders import LoadContext, Loader, load
from ..stores import SourceRecord
from ..text.chunker import ChunkerConfig, iter_chunks
from ..types import Chunk
from .discovery import safe_str
from .report import IngestReport


@dataclass
class Pending:
    """A file read and chunked, waiting for the model work and the write."""

    record: SourceRecord
    chunks: list[Chunk]
    new: bool
    replaced_hash: str | None = None  # the content hash this file had before, if changed
    # A file of more chunks than a part: ``chunks`` is its first part, these the rest,
    # read (and so loaded) only as the parts are written (never picklable)
    rest: Iterator[Chunk] | None = None


def read_file(
    shown: str, path: Path, digest: str, size: int, mtime: float, *,
    loader: Loader, context: LoadContext, chunker: ChunkerConfig, tags: Sequence[str],
    previous: SourceRecord | None, report: IngestReport, part: int | None = None,
) -> Pending | None:
    """Load and chunk one changed file; ``None`` (with the reason in ``report``) if bad.
    With ``part``, a file of more chunks than that comes back with only its first
    ``part`` chunks read and the others in ``Pending.rest``."""
    silent = False
    rest = None
    try:
        stream = tagged(iter_chunks(
            load(loader, path, context), source=shown, source_key=safe_str(path),
            content_hash=digest, config=chunker,
        ), tags)
        chunks = list(itertools.islice(stream, part) if part else stream)
        if part and len(chunks) == part:
            more = next(stream, None)
            rest = None if more is None else itertools.chain([more], stream)
    except Exception as exc:
        if isinstance(exc, NoContentError):
            report.notes.append((shown, exc.reason))
            chunks, silent = [], True
        else:
            report.errors.append((shown, why(exc, loader.name)))
            return None
    if not chunks and not silent:
        report.errors.append((shown, "no text found in file"))
        return None
    record = SourceRecord(
        path=safe_str(path), source=shown, hash=digest, size=size, mtime=mtime,
        chunks=len(chunks), loader=loader.name, ingested_at=time.time(),
    )
    replaced = previous.hash if previous is not None else None
    return Pending(record, chunks, new=previous is None, replaced_hash=replaced, rest=rest)


def tagged(chunks: Iterable[Chunk], tags: Sequence[str]) -> Iterator[Chunk]:
    for chunk in chunks:
        if tags:
            chunk.meta["tags"] = list(tags)
        yield chunk


def why(exc: Exception, loader: str) -> str:
    """What a file's report line says for an error while reading it."""
    if isinstance(exc, IngestError):
        return exc.reason
    if isinstance(exc, MissingDependencyError):  # e.g. audio without mmrag[audio]
        return str(exc)
    return f"{loader} loader failed: {exc!r}"  # a decoder bug must not end the whole run
