"""Keeping folders indexed as they change: ``mmrag watch DIR...`` and ``serve --watch``.

Every debounced burst of changes runs one :func:`sync` of the watched folders: the ordinary
ingest of each folder (the same crash-safe job as ``mmrag ingest``, which skips files whose
content hash is unchanged) and then the removal of the sources under them that the same
discovery no longer finds (deleted, moved away, renamed: a rename is the old path removed
and the new one added). So whatever happened in the burst, and in what order, the index
ends as a clean ingest of the folders as they are. Changes inside the index folder are
ignored (an index kept under a watched folder must not wake the watcher with its writes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._lazy import require
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
        if record.path.startswith(under) and record.path not in present:
            removed += [r.source for r in pipeline.delete(record.path)]
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
    for _changes in watchfiles.watch(*roots, watch_filter=outside_index, debounce=60_000,
                                     step=debounce_ms, stop_event=stop, yield_on_timeout=False,
                                     raise_interrupt=False):
        report = sync(pipeline, roots)
        if on_sync is not None:
            on_sync(report)
