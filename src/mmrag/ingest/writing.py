"""Writing an embedded batch: chunks, vectors and the rows of the side tables the store
declares (:class:`mmrag.stores.Capabilities`), all in the store's one crash-safe write."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..stores import SideRows, SourceRecord, Store
from ..stores.capabilities import Capabilities
from ..stores.inner import outer_of
from .embedding import Embedded
from .prepare import Pending
from .report import IngestReport


def write_batch(
    store: Store, capabilities: Capabilities, done: Embedded, report: IngestReport,
    media_dir: Path | None, *, replace: bool = True, commit: bool = True,
) -> None:
    """``replace``/``commit`` as in :meth:`mmrag.stores.Store.write`: a big file is
    written in parts, and only its last part is reported."""
    chunks = [c for p in done.pending for c in p.chunks]
    path_of = {r.source: r.path for p in done.pending for r in p.records()}
    side = SideRows()
    if done.features is not None and capabilities.images is not None:
        side = dataclasses.replace(side, image_features=done.features)
    if done.shapes and capabilities.shapes is not None:
        found = [c for c in chunks if c.id in done.shapes]
        side = dataclasses.replace(side, shapes=(
            [c.id for c in found], [path_of[c.source] for c in found],
            np.asarray([done.shapes[c.id] for c in found], dtype=np.float32)))
    if done.alt is not None and capabilities.alt is not None:
        ids, paths, texts, averages = done.alt
        side = dataclasses.replace(
            side, alt={"text": (ids, paths, texts), "average": (ids, paths, averages)})
    # the side rows go inside the store's crash-safe write: a kill between the chunks and
    # them must not leave a file recorded as done without its image features
    records = [r for p in done.pending for r in p.records()]
    # attachments a changed mail no longer has: each removed in its own journaled delete
    # first, so a kill leaves the mail's old record (read again next run), never them
    stale = stale_inner(store, done.pending) if replace else []
    if side:
        store.write(records, chunks, done.vectors, side, replace=replace, commit=commit)
    else:
        store.write(records, chunks, done.vectors, replace=replace, commit=commit)
    report.chunks += len(chunks)
    if not commit:
        return
    for p in done.pending:
        (report.added if p.new else report.updated).append(p.record.source)
    replaced = [p.replaced_hash for p in done.pending if p.replaced_hash]
    replaced += [r.hash for r in stale]
    if media_dir is not None and replaced:
        drop_media(media_dir, replaced, store)


def stale_inner(store: Store, pending: Sequence[Pending]) -> list[SourceRecord]:
    """Remove the files inside changed files (attachments) that their new versions lack;
    the records removed."""
    changed = {p.record.path: {r.path for r in p.inner} for p in pending if p.replaced_hash}
    if not changed:
        return []
    gone = []
    for record in store.sources():
        outer = outer_of(record.path)
        if outer in changed and record.path not in changed[outer]:
            gone += store.delete(record.path)
    return gone


def drop_media(media_dir: Path, hashes: Sequence[str], store: Store) -> None:
    """Remove the derived files (video frames) of content hashes no file in ``store`` has.

    Media folders are keyed by content hash, so two copies of one video share one.
    """
    in_use = {r.hash for r in store.sources()}
    for digest in set(hashes) - in_use:
        shutil.rmtree(media_dir / digest, ignore_errors=True)
