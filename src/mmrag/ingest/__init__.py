"""Ingest, in four steps, each a module: :mod:`.discovery` (which files, and whether they
changed), :mod:`.prepare` (load and chunk one file), :mod:`.embedding` (the model work of a
batch, picklable for Ray workers) and :mod:`.writing` (the store write), run by the
:class:`Ingestor` job of :mod:`.job`."""

from __future__ import annotations

from .discovery import discover, file_hash, safe_str
from .embedding import EXTRAS, Embedded, content_for, embedder_inputs, pool_views
from .job import PREFETCH, Ingestor
from .prepare import Pending
from .report import FileProgressCallback, IngestReport, ProgressCallback
from .writing import drop_media

__all__ = [
    "EXTRAS", "PREFETCH", "Embedded", "FileProgressCallback", "IngestReport", "Ingestor",
    "Pending", "ProgressCallback", "content_for", "discover", "drop_media", "embedder_inputs",
    "file_hash", "pool_views", "safe_str",
]
