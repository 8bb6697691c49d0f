"""Keeping folders indexed as they change: ``mmrag watch DIR...`` and ``serve --watch``.

The first pass is one :func:`sync` of the watched folders: the ordinary ingest of each folder
(the same crash-safe job as ``mmrag ingest``, which skips files whose content hash is
unchanged) and then the removal of the sources under them that the same discovery no longer
finds. After it, every debounced burst of changes runs :func:`sync_paths` on the paths the
burst touched: those gone (deleted, moved away, the old name of a rename) leave the index with
whatever was under them, and those there are ingested by the same job, a file only if a
folder walk would have found it (not hidden, not through a linked folder, no link out of the
folder, a supported type). So whatever happened in the burst, and in what order, the index
ends as a clean ingest of the folders as they are, at a cost that follows the changes, not
the folder. A burst of more than ``FULL_SYNC`` paths is one full sync. Changes inside the
index folder are ignored (an index kept under a watched folder must not wake the watcher).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._lazy import require
from ..stores.inner import outer_of
from .discovery import discover, safe_str
from .report import IngestReport


@dataclass
class SyncReport:
    ingest: IngestReport
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {**self.ingest.to_dict(), "removed": list(self.removed),
                "seconds": round(self.seconds, 3)}


def sync(pipeline: Any, roots: Sequence[Path]) -> SyncReport:
    """Make the index hold exactly what a clean ingest of ``roots`` would."""
    import time

    started = time.perf_counter()
    roots = [Path(r).expanduser().resolve() for r in roots]
    report = pipeline.ingest(roots)
    present = {safe_str(path) for _, path in discover(roots, IngestReport(),
                                                       skip=[pipeline.index_dir])}
    under = tuple(safe_str(r).rstrip("/") + "/" for r in roots)
    removed = []
    for record in pipeline.sources():
        # a mail's attachment stays while its mail does (and goes with it)
        if record.path.startswith(under) and (outer_of(record.path) or record.path) \
                not in present:
            removed += [r.source for r in pipeline.delete(record.path)]
    return SyncReport(report, removed, time.perf_counter() - started)


FULL_SYNC = 2000


def _walkable(path: Path, root: Path, skip: Path) -> bool:
    """Whether a walk of ``root`` reaches ``path`` (a file or folder that exists)."""
    rel = path.relative_to(root)
    if path.is_relative_to(skip) or any(part.startswith(".") for part in rel.parts):
        return False
    # a linked folder is not entered; a linked file may not lead out of the root
    if any((root / Path(*rel.parts[:i])).is_symlink() for i in range(1, len(rel.parts))):
        return False
    if path.is_symlink():
        try:
            return path.resolve().is_relative_to(root)
        except (OSError, RuntimeError):
            return False
    return True


def sync_paths(pipeline: Any, roots: Sequence[Path], changed: Sequence[str | Path]
               ) -> SyncReport:
    """Bring the index up to date with the ``changed`` paths under ``roots`` (see above)."""
    import time

    from ..loaders import by_extension

    started = time.perf_counter()
    roots = [Path(r).expanduser().resolve() for r in roots]
    skip, extensions = Path(pipeline.index_dir).resolve(), by_extension()
    gone, there = [], []
    for name in sorted({str(p) for p in changed}):
        path = Path(name)
        root = next((r for r in roots if path.is_relative_to(r) and path != r), None)
        if root is None:
            continue
        exists = path.is_dir() or path.is_file()
        if exists and _walkable(path, root, skip) and (
                path.is_dir() or path.suffix.lower() in extensions):
            there.append(path)
        elif not exists or not path.is_dir():
            gone.append(safe_str(path))
    removed = []
    if gone:
        under = tuple(g.rstrip("/") + "/" for g in gone)
        for record in pipeline.sources():
            if record.path in gone or record.path.startswith(under):
                removed += [r.source for r in pipeline.delete(record.path)]
    report = pipeline.ingest(there) if there else IngestReport()
    return SyncReport(report, removed, time.perf_counter() - started)


def watch(pipeline: Any, roots: Sequence[Path], *, debounce_ms: int = 300,
          stop: threading.Event | None = None,
          on_sync: Callable[[SyncReport], None] | None = None) -> None:
    """Sync once (what changed while nobody watched), then after each burst of changes
    until ``stop`` is set. A burst ends when ``debounce_ms`` pass without a new change."""
    watchfiles = require("watchfiles", extra="watch", purpose="mmrag watch")
    roots = [Path(r).expanduser().resolve() for r in roots]
    for root in roots:
        if not root.is_dir():
            from ..errors import ConfigError

            raise ConfigError(f"{root}: not a folder to watch")
    index = Path(pipeline.index_dir).resolve()

    def outside_index(change: Any, path: str) -> bool:
        return not Path(path).is_relative_to(index)

    first = sync(pipeline, roots)
    if on_sync is not None:
        on_sync(first)
    # step: how often the burst is looked at; debounce: the quiet that ends it
    for changes in watchfiles.watch(*roots, watch_filter=outside_index, debounce=60_000,
                                    step=debounce_ms, stop_event=stop, yield_on_timeout=False,
                                    raise_interrupt=False):
        paths = {path for _, path in changes}
        report = sync(pipeline, roots) if len(paths) > FULL_SYNC else \
            sync_paths(pipeline, roots, sorted(paths))
        if on_sync is not None:
            on_sync(report)
