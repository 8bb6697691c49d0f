"""Crash safety of the LanceDB store: the write journal, and the recovery that makes an
index whole again after a write was killed (or a table was damaged).

A batch is written in this order, each step one LanceDB commit: journal the files' paths;
remove their source records; remove their chunks and side-table rows; add the new chunks;
add the side tables' rows (image features, shape descriptors, alt vectors); save the
records; remove the journal. A source record is the commit point: it means "this file is
fully in the index at this content hash, side tables included". A kill anywhere before it
leaves rows without a record, which :func:`recover` removes, so the next ingest sees the
file as new and writes it whole; a kill after it leaves only the journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import MmragError
from .filters import quote
from .rows import in_list

JOURNAL = "write-journal"


class Journal:
    """The file that says "a write is under way" while one is."""

    def __init__(self, folder: Path):
        self.file = folder / JOURNAL

    def begin(self, paths: Sequence[str]) -> None:
        try:
            self.file.write_text("\n".join(paths), encoding="utf-8")
        except IsADirectoryError:
            raise MmragError(
                f"{self.file} is a directory, not mmrag's write journal: remove it "
                "(`mmrag doctor --repair` does) and run again") from None

    def exists(self) -> bool:
        return self.file.exists()

    def done(self) -> None:
        if self.file.is_dir():
            return  # begin() names it; an empty directory here is not ours to remove
        self.file.unlink(missing_ok=True)


def _batches(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def chunk_groups(chunks: Any) -> list[dict[str, Any]]:
    """(path, source_hash, count_all) of every file's chunks."""
    return list(
        chunks.to_arrow().select(["path", "source_hash"]).group_by(["path", "source_hash"])
        .aggregate([([], "count_all")]).to_pylist()
    )


def recover(store: Any, force: bool = False) -> int:
    """Remove what an interrupted write (or a damaged table) left: chunks of no record or of
    other content than the record's, records whose chunks are not all there (so ingest
    writes those files again), side-table rows of no record. Returns the chunks and
    side-table rows removed.

    Without a journal (and without ``force``) a cheap count tells whether to look at all.
    """
    records = {r.path: r for r in store.sources()}
    journaled = store.journal.exists()
    if not (journaled or force) and store.count() == sum(r.chunks for r in records.values()):
        return 0
    removed = 0
    have: dict[str, int] = {}
    for row in chunk_groups(store._chunks):
        kept = records.get(row["path"])
        if kept is not None and kept.hash == row["source_hash"]:
            have[row["path"]] = row["count_all"]
            continue
        store._chunks.delete(
            f"path = {quote(row['path'])} AND source_hash = {quote(row['source_hash'])}")
        removed += row["count_all"]
    broken = sorted(p for p, r in records.items() if have.get(p, 0) != r.chunks)
    for part in _batches(broken):
        where = in_list("path", part)
        store._sources.delete(where)
        store._chunks.delete(where)
        removed += sum(have.get(p, 0) for p in part)  # a part of a file's chunks
    kept_paths = set(records) - set(broken)
    removed += prune(store.side_tables(), kept_paths)
    store.journal.done()
    return removed


def side_paths(table: Any) -> set[str]:
    """The distinct paths a side table has rows for."""
    return set(table.to_arrow().select(["path"]).column("path").unique().to_pylist())


def prune(tables: Iterable[Any], keep: set[str]) -> int:
    """Delete every row of ``tables`` whose path is not in ``keep``; rows removed."""
    removed = 0
    for table in tables:
        stale = sorted(side_paths(table) - keep)
        for part in _batches(stale):
            where = in_list("path", part)
            removed += table.count_rows(where)
            table.delete(where)
    return removed
