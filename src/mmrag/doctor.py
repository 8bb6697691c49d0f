"""``mmrag doctor``: what is wrong with an index directory, what to do, and what it repairs.

It looks without loading any model (the manifest gives the vectors' width): the manifest,
the write journal, the tables (a missing chunk table while the records remain, unreadable
files), the full-text index, rows no record owns and records whose chunks are gone. With
``repair`` it fixes what needs no guess (recovery, the full-text index, a journal that is
a folder) under the index's write lock; a lost manifest it only explains.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import MmragError
from .index import DEFAULT_STORE, MANIFEST, read_manifest, store_options, write_lock


@dataclass
class Finding:
    problem: str
    advice: str
    repaired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def examine(index_dir: Path, repair: bool = False) -> list[Finding]:
    """Every problem found in the index at ``index_dir`` (empty: healthy)."""
    if not index_dir.is_dir():
        what = "is a file" if index_dir.exists() else "does not exist"
        return [Finding(f"{index_dir} {what}, not an index folder",
                        "give --index the folder of an index (`mmrag ingest` makes one)")]
    lance = index_dir / "lance"
    try:
        manifest = read_manifest(index_dir)
    except MmragError as exc:
        return [Finding(str(exc), f"restore {MANIFEST} from a backup, or delete {index_dir} "
                        "and ingest again")]
    if manifest is None:
        if lance.is_dir() and any(lance.glob("*.lance")):
            return [Finding(
                f"{index_dir / MANIFEST} is missing but the index holds data: which embedder "
                "made its vectors is unknown, so no search can be trusted",
                f"restore {MANIFEST} from a backup, or delete {lance} and ingest your files "
                "again")]
        return [Finding(f"no index at {index_dir}", "run `mmrag ingest PATH` to make one")]
    if manifest.get("store", DEFAULT_STORE) != DEFAULT_STORE:
        return []  # a Milvus collection: its server keeps it; ingest recovers it
    with write_lock(index_dir) if repair else _nothing():
        return _lance(index_dir, manifest, repair)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _lance(index_dir: Path, manifest: dict[str, Any], repair: bool) -> list[Finding]:
    from .stores import lance_indexes as indexes
    from .stores import stores
    from .stores.lance_journal import JOURNAL, chunk_groups, side_paths

    found: list[Finding] = []
    lance = index_dir / "lance"
    journal = lance / JOURNAL
    if journal.is_dir():
        found.append(Finding(f"{journal} is a folder, which blocks every write",
                             "`mmrag doctor --repair` removes it", repaired=repair))
        if repair:
            shutil.rmtree(journal)
    tables = {p.name.removesuffix(".lance") for p in lance.glob("*.lance")}
    if "sources" in tables and "chunks" not in tables:
        found.append(Finding(
            "the chunk table is missing while the file records remain: search finds "
            "nothing and ingest would call every file unchanged",
            "`mmrag doctor --repair` drops the records; then ingest your folders again",
            repaired=repair))
        if not repair:
            return found
    try:
        store: Any = stores.create("lancedb", dim=int(manifest["embedder"]["dim"]),
                                   **store_options(index_dir, manifest))
        records = {r.path: r for r in store.sources()}
        groups = chunk_groups(store._chunks)
        fts_missing = indexes.fts_is_missing(store._chunks)
        sides = [side_paths(t) for t in store.side_tables()]
    except Exception as exc:  # a truncated or foreign file: name it, do not guess
        found.append(Finding(
            f"the index's tables cannot be read ({type(exc).__name__}: {exc})",
            f"restore {lance} from a backup, or delete it and ingest your files again"))
        return found
    have: dict[str, int] = {}
    stale = 0
    for row in groups:
        record = records.get(row["path"])
        if record is not None and record.hash == row["source_hash"]:
            have[row["path"]] = row["count_all"]
        else:
            stale += row["count_all"]
    broken = [p for p, r in records.items() if have.get(p, 0) != r.chunks]
    orphans = sum(len(paths - set(records)) for paths in sides)
    if store.interrupted():
        found.append(Finding("a write was cut short (its journal is still there)",
                             "the next ingest, or `mmrag doctor --repair`, recovers it",
                             repaired=repair))
    if stale:
        found.append(Finding(f"{stale} chunks belong to no file record (orphans)",
                             "`mmrag doctor --repair` removes them", repaired=repair))
    if broken:
        found.append(Finding(
            f"{len(broken)} recorded files have missing chunks, e.g. {sorted(broken)[0]}",
            "`mmrag doctor --repair` drops their records; ingest them again",
            repaired=repair))
    if orphans:
        found.append(Finding(f"side-table rows of {orphans} files no record owns",
                             "`mmrag doctor --repair` removes them", repaired=repair))
    if fts_missing and have:
        found.append(Finding("the full-text (BM25) index is missing: keyword search finds "
                             "nothing", "`mmrag doctor --repair` rebuilds it", repaired=repair))
    if repair and found:
        store.recover(force=True)
        if indexes.fts_is_missing(store._chunks):
            indexes.create_fts(store._chunks)
    return found
