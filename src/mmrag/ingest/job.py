"""The ingest job: find files, skip what is unchanged, load, chunk, embed, write.

Files are identified by absolute path and versioned by a content hash, so a second run
over the same folder does no work and a changed file replaces its old chunks. Work is
written in batches of whole files, each batch embedded in one call. A bad file is
reported with its reason and skipped; the rest of the run goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..config import IndexConfig
from ..embedders import Embedder, VisionModels
from ..loaders import LoadContext, PrefetchingLoader, by_extension, loaders
from ..stores import SourceRecord, Store
from ..stores.capabilities import Capabilities
from .discovery import discover, file_hash, safe_str
from .embedding import EXTRAS, Embedded, embed_batch
from .prepare import Pending, read_file, why
from .report import FileProgressCallback, IngestReport, ProgressCallback
from .writing import write_batch

# Files looked ahead at once so that a loader with a model (images) runs it per batch.
PREFETCH = 32
# A file this big is written in a batch of its own, after the files before it are
# committed: stopping a long read of it must not take their commits with it.
LARGE_FILE = 8 * 2**20
# A file of more chunks than this is written in parts of this many, read as they are
# written: a 200 MB text is never all in memory (its record is saved with the last part).
PART_CHUNKS = 4096


class Ingestor:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        config: IndexConfig = IndexConfig(),
        *,
        batch_chunks: int = 256,
        skip: Sequence[Path] = (),
        media_dir: Path | None = None,
        transcriber: str = "whisper",
        loader_options: dict[str, dict[str, object]] | None = None,
        tags: Sequence[str] = (),
        extras: Collection[str] | None = None,
        hints: str = "",
        transcriber_options: dict[str, Any] | None = None,
        retranscribe: Collection[str] = (),
    ):
        self.store = store
        self.capabilities = Capabilities.of(store)
        # what the store keeps beside vectors; a Ray worker, which has no store, is told
        if extras is None:
            extras = self.capabilities.names() & EXTRAS
            if not config.strategy_vectors:
                extras -= {"alt_vectors"}
        self.extras = frozenset(extras)
        self._looked_up: dict[str, SourceRecord | None] = {}
        # what loaders' look-ahead made of the current window's files, handed to load()
        self._prefetched: dict[Path, Any] = {}
        self.embedder = embedder
        self.config = config
        self.batch_chunks = batch_chunks
        self.skip = skip
        self.media_dir = media_dir
        self.transcriber = transcriber
        self.hints = hints
        self.transcriber_options = dict(transcriber_options or {})
        # recordings (by path) read again although unchanged: their transcripts were made
        # with other hints or another model (``mmrag ingest --retranscribe``)
        self.retranscribe = frozenset(retranscribe)
        # Per-loader constructor options: the image loader labels with the same classifiers
        # the embedder uses, so each image is classified once and its labels match its vector.
        if loader_options is None:
            models = (embedder.variants if isinstance(embedder, VisionModels)
                      else config.image.models)
            loader_options = {"image": {"models": tuple(models)},
                              "mesh": {"models": tuple(models)}}
        self.loader_options = loader_options
        self.tags = sorted(set(tags))

    def worker_options(self) -> dict[str, Any]:
        """What a Ray worker's Ingestor is built with, besides its store and embedder."""
        return dict(config=self.config, media_dir=self.media_dir, transcriber=self.transcriber,
                    loader_options=self.loader_options, tags=self.tags, extras=self.extras,
                    hints=self.hints, transcriber_options=self.transcriber_options,
                    retranscribe=self.retranscribe)

    def run(
        self,
        paths: Sequence[str | Path],
        on_progress: ProgressCallback | None = None,
        on_file_progress: FileProgressCallback | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        report.recovered = self.store.recover()
        files = discover(paths, report, self.skip)
        pending: list[Pending] = []
        for done, (shown, path) in enumerate(files, 1):
            if (done - 1) % PREFETCH == 0:
                self._prefetch([p for _, p in files[done - 1 : done - 1 + PREFETCH]])
            if pending and _size_of(path) >= LARGE_FILE:
                self._flush(pending, report)
                pending = []
            item = self.prepare(shown, path, report, on_file_progress, part=PART_CHUNKS)
            if item is not None and item.rest is not None:
                self._flush(pending, report)
                pending = []
                self._write_parts(item, report)
            elif item is not None:
                pending.append(item)
            if sum(len(p.chunks) for p in pending) >= self.batch_chunks:
                self._flush(pending, report)
                pending = []
            if on_progress:
                on_progress(done, len(files), shown)
        self._flush(pending, report)
        self.finish(report)
        report.seconds = time.perf_counter() - started
        return report

    def finish(self, report: IngestReport) -> None:
        """After a run's writes: optimise the store if anything changed, else only rebuild
        the indexes an older mmrag made (so re-ingesting a folder brings them up to date)."""
        if report.added or report.updated or report.recovered:
            self.store.optimize()
        elif self.capabilities.upgradable is not None:
            self.capabilities.upgradable.upgrade()

    def _prefetch(self, paths: list[Path]) -> None:
        """Let loaders that run a model do it once for the files of a window that changed."""
        extensions = by_extension()
        groups: dict[str, list[Path]] = {}
        keys = [safe_str(p) for p in paths]
        self._looked_up.update(self.store.sources_at(keys))  # one query for the window
        for path, key in zip(paths, keys, strict=True):
            try:
                stat = path.stat()
            except OSError:
                continue
            previous = self._looked_up[key]
            if previous and previous.size == stat.st_size and previous.mtime == stat.st_mtime \
                    and key not in self.retranscribe:
                continue
            groups.setdefault(extensions[path.suffix.lower()], []).append(path)
        self._prefetched = {}  # a window's results are not kept past it
        context = self._context(None, None)
        for name, group in groups.items():
            loader = loaders.create(name, **self.loader_options.get(name, {}))
            if isinstance(loader, PrefetchingLoader):
                # A failed look-ahead only loses speed; load() reports the file's error.
                with contextlib.suppress(Exception):
                    self._prefetched.update(loader.prefetch(group, context))

    def prepare(
        self,
        shown: str,
        path: Path,
        report: IngestReport,
        on_file_progress: FileProgressCallback | None = None,
        part: int | None = None,
    ) -> Pending | None:
        """Read and chunk one file unless it is unchanged; ``None`` if unchanged or bad.
        ``part``: see :func:`.prepare.read_file` (a Ray worker's files come whole)."""
        try:
            stat = path.stat()
            digest = file_hash(path)
        except OSError as exc:
            report.errors.append((shown, f"cannot read file ({exc.strerror or exc})"))
            return None
        key = safe_str(path)
        # the look-ahead already read this file's record (the write lock keeps it current)
        previous = (self._looked_up.pop(key) if key in self._looked_up
                    else self.store.source(key))
        if previous is not None and previous.hash == digest and key not in self.retranscribe:
            report.unchanged.append(shown)
            return None
        name = by_extension()[path.suffix.lower()]
        context = replace(
            self._context(digest, self._prefetched.pop(path, None)),
            on_progress=(
                (lambda done, total: on_file_progress(shown, done, total))
                if on_file_progress else None
            ),
        )
        return read_file(
            shown, path, digest, stat.st_size, stat.st_mtime,
            loader=loaders.create(name, **self.loader_options.get(name, {})), context=context,
            chunker=self.config.chunker, tags=self.tags, previous=previous, report=report,
            part=part,
        )

    def _context(self, digest: str | None, prefetched: Any) -> LoadContext:
        return LoadContext(
            config=self.config,
            media_dir=self.media_dir / digest if self.media_dir and digest else None,
            transcriber=self.transcriber,
            transcriber_options=self.transcriber_options,
            hints=self.hints,
            modalities=frozenset(self.embedder.modalities),
            prefetched=prefetched,
        )

    def _flush(self, pending: list[Pending], report: IngestReport) -> None:
        if pending:
            self.write(self.embed(pending), report)

    def embed(self, pending: list[Pending]) -> Embedded:
        """The model work for a batch of files, with no store write (here or in a Ray
        worker): their vectors, and the extras the store keeps (``self.extras``)."""
        return embed_batch(self.embedder, pending, self.extras)

    def write(self, done: Embedded, report: IngestReport, *, replace: bool = True,
              commit: bool = True) -> None:
        """Write one embedded batch: chunks and vectors, then the extras."""
        write_batch(self.store, self.capabilities, done, report, self.media_dir,
                    replace=replace, commit=commit)

    def _write_parts(self, item: Pending, report: IngestReport) -> None:
        """A file of more chunks than a part, part by part. Its old version goes with the
        first part; a stop or a read error before the last leaves rows of no record, which
        ``recover`` removes, so the next run writes the file whole."""
        assert item.rest is not None
        part, written = item.chunks, 0
        while True:
            try:
                more = list(itertools.islice(item.rest, PART_CHUNKS))
            except Exception as exc:
                report.errors.append((item.record.source, why(exc, item.record.loader)))
                if written:
                    report.chunks -= written
                    self.store.recover()
                return
            record = replace(item.record, chunks=written + len(part))
            done = self.embed([Pending(record, part, item.new, item.replaced_hash)])
            self.write(done, report, replace=not written, commit=not more)
            if not more:
                return
            part, written = more, written + len(part)


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
