"""Preparing one file: read it with its loader and chunk it, or say why not.

A bad file is reported with its reason and the run goes on; a file that reads fine but
holds nothing to index (silence) is recorded with a note, so it is not retried each run.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import IngestError, MissingDependencyError, NoContentError
from ..loaders import INNER, LoadContext, Loader, load
from ..stores import SourceRecord
from ..stores.inner import inner_path
from ..text.chunker import ChunkerConfig, iter_chunks
from ..types import Chunk, Section
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
    # the files inside this one (a mail's attachments), sources of their own whose
    # chunks are among ``chunks``; written with it, in the same crash-safe write
    inner: list[SourceRecord] = field(default_factory=list)

    def records(self) -> list[SourceRecord]:
        return [self.record, *self.inner]


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
    inner: dict[str, list[Section]] = {}
    try:
        sections = load(loader, path, context)
        if isinstance(sections, list) and any(INNER in s.meta for s in sections):
            part = None  # files inside (a mailbox's attachments): read whole, as it is held
        stream = tagged(iter_chunks(
            outer_sections(sections, inner), source=shown,
            source_key=safe_str(path), content_hash=digest, config=chunker,
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
    inner_records = []
    for sections in inner.values():
        about = sections[0].meta[INNER]
        found = list(tagged(iter_chunks(
            (replace(s, meta={k: v for k, v in s.meta.items() if k != INNER})
             for s in sections),
            source=inner_path(shown, about["key"]),
            source_key=inner_path(record.path, about["key"]),
            content_hash=about["hash"], config=chunker), tags))
        inner_records.append(replace(
            record, path=inner_path(record.path, about["key"]),
            source=inner_path(shown, about["key"]), hash=about["hash"],
            size=about["size"], chunks=len(found), loader=about["loader"]))
        chunks += found
    replaced = previous.hash if previous is not None else None
    return Pending(record, chunks, new=previous is None, replaced_hash=replaced, rest=rest,
                   inner=inner_records)


def outer_sections(sections: Iterable[Section], inner: dict[str, list[Section]]
                   ) -> Iterator[Section]:
    """``sections`` of the file itself, as they come; those of a file inside it
    (``meta[INNER]``) are put aside in ``inner``, by their name inside it."""
    for section in sections:
        about = section.meta.get(INNER)
        if about is None:
            yield section
        else:
            inner.setdefault(about["key"], []).append(section)


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
