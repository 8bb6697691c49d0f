"""The ingest job: find files, skip what is unchanged, load, chunk, embed, write.

Files are identified by absolute path and versioned by a content hash, so a second run
over the same folder does no work and a changed file replaces its old chunks. Work is
written in batches of whole files, each batch embedded in one call. A bad file is
reported with its reason and skipped; the rest of the run goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .embedders import Embedder, embed_texts, normalise
from .errors import IngestError, MissingDependencyError, NoContentError
from .loaders import LoadContext, by_extension, load, loaders
from .stores import SourceRecord, Store
from .text.chunker import ChunkerConfig, chunk_sections
from .types import Chunk, Content

ProgressCallback = Callable[[int, int, str], None]
# (source, units done, units in all or None) within one long file: seconds for audio
FileProgressCallback = Callable[[str, float, "float | None"], None]
# Files looked ahead at once so that a loader with a model (images) runs it per batch.
PREFETCH = 32


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # files that were read fine and recorded, but hold nothing to index (silence)
    notes: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    recovered: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when there was input and none of it could be ingested."""
        return bool(self.errors) and not (self.added or self.updated or self.unchanged)

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unsupported": self.unsupported,
            "errors": [{"source": s, "error": e} for s, e in self.errors],
            "notes": [{"source": s, "note": n} for s, n in self.notes],
            "chunks": self.chunks,
            "recovered": self.recovered,
            "seconds": round(self.seconds, 3),
        }


def safe_str(path: str | Path) -> str:
    """A path as text the index can store: bytes that are not UTF-8 (which Python keeps as
    lone surrogates) become backslash escapes, e.g. ``bad\\xffname.txt``."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(
    paths: Sequence[str | Path], report: IngestReport, skip: Sequence[Path] = ()
) -> list[tuple[str, Path]]:
    """(path as given, absolute path) for each supported file, in a stable order."""
    extensions = by_extension()
    skipped = {p.resolve() for p in skip}
    found: list[tuple[str, Path]] = []
    for given in paths:
        root = Path(given).expanduser()
        given = safe_str(given)
        if root.is_dir():
            for shown, path in _walk(given, root, skipped):
                if path.suffix.lower() in extensions:
                    found.append((shown, path))
                else:
                    report.unsupported.append(shown)
        elif root.is_file():
            if root.suffix.lower() in extensions:
                found.append((given, root.resolve()))
            elif root.is_symlink() and not root.exists():
                report.errors.append((given, "broken symbolic link"))
            else:
                report.errors.append(
                    (given, f"unsupported file type {root.suffix or '(none)'!r}; "
                            f"supported: {sorted(extensions)}")
                )
        elif root.is_symlink():
            report.errors.append((given, "broken symbolic link"))
        else:
            report.errors.append((given, "no such file or directory"))
    unique: dict[Path, str] = {}
    for shown, path in found:
        unique.setdefault(path, shown)
    return [(shown, path) for path, shown in unique.items()]


def _walk(given: str, root: Path, skipped: set[Path]) -> Iterator[tuple[str, Path]]:
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (base / d).resolve() not in skipped
        )
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            shown = safe_str(os.path.normpath(os.path.join(given, rel, name)))
            yield shown, (base / name).resolve()


@dataclass
class _Pending:
    record: SourceRecord
    chunks: list[Chunk]
    new: bool
    replaced_hash: str | None = None  # the content hash this file had before, if changed


class Ingestor:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        chunker: ChunkerConfig = ChunkerConfig(),
        batch_chunks: int = 256,
        skip: Sequence[Path] = (),
        media_dir: Path | None = None,
        transcriber: str = "whisper",
        loader_options: dict[str, dict[str, object]] | None = None,
        tags: Sequence[str] = (),
        extras: Collection[str] | None = None,
    ):
        self.store = store
        # what the store keeps beside vectors; a Ray worker, which has no store, is told
        self.extras = frozenset(extras) if extras is not None else store_extras(store)
        self._looked_up: dict[str, SourceRecord | None] = {}
        self.embedder = embedder
        self.chunker = chunker
        self.batch_chunks = batch_chunks
        self.skip = skip
        self.media_dir = media_dir
        self.transcriber = transcriber
        # Per-loader constructor options, e.g. the image models the embedder was built with.
        self.loader_options = loader_options or {}
        self.tags = sorted(set(tags))

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
        pending: list[_Pending] = []
        for done, (shown, path) in enumerate(files, 1):
            if (done - 1) % PREFETCH == 0:
                self._prefetch([p for _, p in files[done - 1 : done - 1 + PREFETCH]])
            item = self._prepare(shown, path, report, on_file_progress)
            if item is not None:
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
        elif hasattr(self.store, "upgrade"):
            self.store.upgrade()

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
            if previous and previous.size == stat.st_size and previous.mtime == stat.st_mtime:
                continue
            groups.setdefault(extensions[path.suffix.lower()], []).append(path)
        for name, group in groups.items():
            loader = loaders.create(name, **self.loader_options.get(name, {}))
            prefetch = getattr(loader, "prefetch", None)
            if prefetch is not None:
                # A failed look-ahead only loses speed; load() reports the file's error.
                with contextlib.suppress(Exception):
                    prefetch(group)

    def _prepare(
        self,
        shown: str,
        path: Path,
        report: IngestReport,
        on_file_progress: FileProgressCallback | None = None,
    ) -> _Pending | None:
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
        if previous is not None and previous.hash == digest:
            report.unchanged.append(shown)
            return None
        name = by_extension()[path.suffix.lower()]
        loader = loaders.create(name, **self.loader_options.get(name, {}))
        context = LoadContext(
            media_dir=self.media_dir / digest if self.media_dir else None,
            transcriber=self.transcriber,
            modalities=frozenset(self.embedder.modalities),
            on_progress=(
                (lambda done, total: on_file_progress(shown, done, total))
                if on_file_progress else None
            ),
        )
        silent = False
        try:
            sections = list(load(loader, path, context))
            chunks = chunk_sections(
                sections, source=shown, source_key=safe_str(path), content_hash=digest,
                config=self.chunker,
            )
            for chunk in chunks:
                if self.tags:
                    chunk.meta["tags"] = self.tags
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
            path=safe_str(path), source=shown, hash=digest, size=stat.st_size, mtime=stat.st_mtime,
            chunks=len(chunks), loader=loader.name, ingested_at=time.time(),
        )
        replaced = previous.hash if previous is not None else None
        return _Pending(record, chunks, new=previous is None, replaced_hash=replaced)

    def _flush(self, pending: list[_Pending], report: IngestReport) -> None:
        if pending:
            self.write(self.embed(pending), report)

    def embed(self, pending: list[_Pending]) -> Embedded:
        """The model work for a batch of files, with no store write: their vectors, and the
        extras the store keeps (``self.extras``). Run here or in a Ray worker."""
        chunks = [c for p in pending for c in p.chunks]
        # a mesh's descriptor goes to the store's shape table, not into every hit's meta
        shapes = {c.id: c.meta.pop("shape_descriptor") for c in chunks
                  if "shape_descriptor" in c.meta}
        contents, owner = embedder_inputs(chunks, self.embedder.modalities)
        if contents:
            vectors = pool_views(self.embedder.embed(contents, role="document"), owner,
                                 len(chunks))
        else:  # only files with nothing to index, e.g. silent recordings
            vectors = np.zeros((0, self.embedder.dim), dtype=np.float32)
        path_of = {p.record.source: p.record.path for p in pending}
        done = Embedded(pending, vectors)
        if "shapes" in self.extras:
            done.shapes = shapes
        if "image_features" in self.extras:
            done.features = self._image_features(chunks, contents, owner, path_of)
        if "alt_vectors" in self.extras:
            first = {row: i for i, row in reversed(list(enumerate(owner)))}
            single = [i for i, c in enumerate(chunks) if c.modality != "mesh"]
            done.alt = self._alt_vectors(
                [chunks[i] for i in single], [contents[first[i]] for i in single],
                vectors[single], path_of)
        return done

    def write(self, done: Embedded, report: IngestReport) -> None:
        """Write one embedded batch: chunks and vectors, then the extras."""
        chunks = [c for p in done.pending for c in p.chunks]
        self.store.write([p.record for p in done.pending], chunks, done.vectors)
        path_of = {p.record.source: p.record.path for p in done.pending}
        if done.features is not None:
            self.store.write_image_features(*done.features)  # type: ignore[attr-defined]
        if done.shapes:
            found = [c for c in chunks if c.id in done.shapes]
            self.store.write_shape_descriptors(  # type: ignore[attr-defined]
                [c.id for c in found], [path_of[c.source] for c in found],
                np.asarray([done.shapes[c.id] for c in found], dtype=np.float32))
        if done.alt is not None:
            ids, paths, texts, averages = done.alt
            self.store.write_alt_vectors("text", ids, paths, texts)  # type: ignore[attr-defined]
            self.store.write_alt_vectors(  # type: ignore[attr-defined]
                "average", ids, paths, averages)
        for p in done.pending:
            (report.added if p.new else report.updated).append(p.record.source)
        report.chunks += len(chunks)
        replaced = [p.replaced_hash for p in done.pending if p.replaced_hash]
        if self.media_dir is not None and replaced:
            drop_media(self.media_dir, replaced, self.store)

    def _alt_vectors(
        self,
        chunks: list[Chunk],
        contents: list[Content],
        vectors: np.ndarray,
        path_of: dict[str, str],
    ) -> tuple[list[str], list[str], np.ndarray, np.ndarray] | None:
        """For items embedded as images, also keep their text's embedding (strategy "text":
        everything as text) and the mean of both (strategy "average", seed 002's combined
        item vector), so one index can be searched either way."""
        rows = [i for i, c in enumerate(contents) if c.modality == "image"]
        if not rows:
            return None
        texts = embed_texts(self.embedder, [chunks[i].text for i in rows], "document")
        ids = [chunks[i].id for i in rows]
        paths = [path_of[chunks[i].source] for i in rows]  # as the store deletes by
        return ids, paths, texts, normalise(texts + vectors[rows])

    def _image_features(
        self, chunks: list[Chunk], contents: list[Content], owner: list[int],
        path_of: dict[str, str],
    ) -> tuple[list[str], list[str], np.ndarray] | None:
        """Image features for image-to-image search: one row per image, and one per
        rendered view of a 3D model (all under the model's id, so a photo finds it by its
        best view)."""
        featurize = getattr(self.embedder, "image_features", None)
        rows = [i for i, c in enumerate(contents) if c.modality == "image"]
        if not rows or featurize is None:
            return None
        features = featurize([contents[i] for i in rows])
        ids = [chunks[owner[i]].id for i in rows]
        paths = [
            path_of[chunks[owner[i]].source] if chunks[owner[i]].modality == "mesh"
            else str(contents[i].path)
            for i in rows
        ]
        return ids, paths, features


EXTRAS = {  # what a store may keep beside chunks and vectors, and the method that writes it
    "image_features": "write_image_features",
    "shapes": "write_shape_descriptors",
    "alt_vectors": "write_alt_vectors",
}


def store_extras(store: object) -> frozenset[str]:
    """The extras ``store`` can keep (a store without them still takes chunks and vectors)."""
    return frozenset(name for name, method in EXTRAS.items() if hasattr(store, method))


@dataclass
class Embedded:
    """A batch of files after the model work, before the store write (picklable)."""

    pending: list[_Pending]
    vectors: np.ndarray
    shapes: dict[str, list[float]] = field(default_factory=dict)
    features: tuple[list[str], list[str], np.ndarray] | None = None
    alt: tuple[list[str], list[str], np.ndarray, np.ndarray] | None = None


class Item(Protocol):
    """What the embedder inputs are made from: a chunk being ingested, or a stored hit."""

    @property
    def modality(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def meta(self) -> dict[str, Any]: ...


def embedder_inputs(
    items: Sequence[Item], modalities: Collection[str]
) -> tuple[list[Content], list[int]]:
    """What the embedder reads for each item, and the item each content belongs to:
    one content per item, except a 3D model, read as each of its rendered views."""
    contents: list[Content] = []
    owner: list[int] = []
    for row, item in enumerate(items):
        views = item.meta.get("views") if item.modality == "mesh" else None
        if views and "image" in modalities:
            contents += [Content("image", path=str(v["path"])) for v in views]
            owner += [row] * len(views)
        else:
            contents.append(content_for(item, modalities))
            owner.append(row)
    return contents, owner


def content_for(item: Item, modalities: Collection[str]) -> Content:
    """What the embedder reads: an image (a photo, a video frame) by its file when the
    embedder reads images, with its OCR text; everything else by its text (a photo's
    labels and OCR text for a text-only embedder, a recording's transcript)."""
    meta = item.meta
    if item.modality == "image" and "image" in modalities and "path" in meta:
        return Content("image", text=meta.get("ocr") or None, path=str(meta["path"]))
    return Content.of_text(item.text)


def pool_views(vectors: np.ndarray, owner: list[int], rows: int) -> np.ndarray:
    """One vector per item: a model's views averaged (then normalised)."""
    if len(owner) == rows:
        return vectors
    pooled = np.zeros((rows, vectors.shape[1]), dtype=np.float32)
    np.add.at(pooled, np.asarray(owner), vectors)
    return normalise(pooled)


def drop_media(media_dir: Path, hashes: Sequence[str], store: Store) -> None:
    """Remove the derived files (video frames) of content hashes no file in ``store`` has.

    Media folders are keyed by content hash, so two copies of one video share one.
    """
    in_use = {r.hash for r in store.sources()}
    for digest in set(hashes) - in_use:
        shutil.rmtree(media_dir / digest, ignore_errors=True)
