"""Ingest with Ray Data: files are hashed, decoded, chunked and embedded in parallel tasks.

The driver lists the files and knows each one's recorded content hash; Ray workers (one
embedder per worker, built from the index's manifest) skip unchanged files and turn the
rest into chunks and vectors; the driver writes each result batch through the store
protocol, so any store (LanceDB, Milvus) and the crash-safe write order work unchanged.
On a cluster (``RAY_ADDRESS``) the workers run on many machines; here, on one, Ray only
adds overhead, so ``Pipeline.ingest`` stays the default and this is opt-in.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from ._lazy import require
from .embedders import describe, embedders
from .ingest import Ingestor, IngestReport, discover
from .stores import SourceRecord, Store


class _Known:
    """What a worker needs of the store: the content hash each file was recorded at."""

    def __init__(self, hashes: dict[str, str]):
        self.hashes = hashes

    def source(self, path: str) -> SourceRecord | None:
        digest = self.hashes.get(path)
        return SourceRecord(path, path, digest, 0, 0.0, 0, "", 0.0) if digest else None

    def sources_at(self, paths: Sequence[str]) -> dict[str, SourceRecord | None]:
        return {p: self.source(p) for p in paths}


class _Prepare:
    """A Ray Data map_batches worker: (shown, path) rows -> pickled embedded batches."""

    def __init__(self, embedder: dict[str, Any], hashes: dict[str, str], **ingest: Any):
        emb = embedders.create(embedder["name"], **embedder.get("config", {}))
        # a worker only prepares and embeds: it looks records up, and never writes
        self.ingestor = Ingestor(cast(Store, _Known(hashes)), emb, **ingest)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        report = IngestReport()
        pending = [
            self.ingestor.prepare(str(shown), Path(str(path)), report)
            for shown, path in zip(batch["shown"], batch["path"], strict=True)
        ]
        done = [p for p in pending if p is not None]
        # the same model work as a plain ingest: vectors (a 3D model's views pooled), image
        # features, shape descriptors and alternative vectors, for the driver to write
        embedded = self.ingestor.embed(done) if done else None
        return {"result": [pickle.dumps((embedded, report))]}


def ray_ingest(pipeline: Any, paths: Sequence[str | Path], files_per_task: int = 8,
               workers: int | None = None, transcriber: str = "whisper",
               tags: Sequence[str] = ()) -> IngestReport:
    """``pipeline.ingest(paths)`` with the per-file work in Ray Data tasks."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no telemetry by default
    ray = require("ray", extra="distributed", purpose="distributed ingest")
    require("ray.data", extra="distributed", purpose="distributed ingest")
    if not ray.is_initialized():
        # RAY_ADDRESS joins a cluster; otherwise a local one on this machine's cores
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    # Files are written in the order they were listed, as the plain ingest writes them,
    # so two indexes of one corpus break score ties the same way.
    ray.data.DataContext.get_current().execution_options.preserve_order = True
    from .index import write_lock

    started = time.perf_counter()
    store = pipeline.store
    writer = pipeline.ingestor(transcriber=transcriber, tags=tags)
    with write_lock(pipeline.index_dir):
        store.refresh()
        report = IngestReport(recovered=store.recover())
        files = discover(paths, report, [pipeline.index_dir])
        hashes = {r.path: r.hash for r in store.sources()}
        if files:
            ds = ray.data.from_items(
                [{"shown": shown, "path": str(path)} for shown, path in files]
            ).repartition(max(1, len(files) // files_per_task))
            ingest = writer.worker_options()
            results = ds.map_batches(
                _Prepare, batch_size=files_per_task, concurrency=workers or 1,
                fn_constructor_kwargs=dict(embedder=describe(pipeline.embedder),
                                           hashes=hashes, **ingest),
            )
            for batch in results.iter_batches(batch_size=1, batch_format="numpy"):
                for blob in batch["result"]:
                    embedded, part = pickle.loads(blob)
                    for name in ("unchanged", "errors", "notes"):
                        getattr(report, name).extend(getattr(part, name))
                    if embedded is not None:
                        writer.write(embedded, report)
        writer.finish(report)
        pipeline.calibration.refresh()
    report.seconds = time.perf_counter() - started
    return report
