"""Preparing one file: read it with its loader and chunk it, or say why not.

A bad file is reported with its reason and the run goes on; a file that reads fine but
holds nothing to index (silence) is recorded with a note, so it is not retried each run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import IngestError, MissingDependencyError, NoContentError
from ..loaders import LoadContext, Loader, load
from ..stores import SourceRecord
from ..text.chunker import ChunkerConfig, chunk_sections
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


def read_file(
    shown: str, path: Path, digest: str, size: int, mtime: float, *,
    loader: Loader, context: LoadContext, chunker: ChunkerConfig, tags: Sequence[str],
    previous: SourceRecord | None, report: IngestReport,
) -> Pending | None:
    """Load and chunk one changed file; ``None`` (with the reason in ``report``) if bad."""
    silent = False
    try:
        sections = list(load(loader, path, context))
        chunks = chunk_sections(
            sections, source=shown, source_key=safe_str(path), content_hash=digest,
            config=chunker,
        )
        for chunk in chunks:
            if tags:
                chunk.meta["tags"] = list(tags)
    except NoContentError as exc:
        report.notes.append((shown, exc.reason))
        chunks, silent = [], True
    except IngestError as exc:
        report.errors.append((shown, exc.reason))
        return None
    except MissingDependencyError as exc:  # e.g. audio without mmrag[audio]
        report.errors.append((shown, str(exc)))
        return None
    except Exception as exc:  # a decoder bug must not end the whole run
        report.errors.append((shown, f"{loader.name} loader failed: {exc!r}"))
        return None
    if not chunks and not silent:
        report.errors.append((shown, "no text found in file"))
        return None
    record = SourceRecord(
        path=safe_str(path), source=shown, hash=digest, size=size, mtime=mtime,
        chunks=len(chunks), loader=loader.name, ingested_at=time.time(),
    )
    replaced = previous.hash if previous is not None else None
    return Pending(record, chunks, new=previous is None, replaced_hash=replaced)
