"""What is in the index: GET/DELETE /api/sources, and the files themselves (GET /api/media,
/api/thumb), only ever the index's own (see :mod:`..media`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ...errors import ConfigError, NotFoundError
from ...ingest import safe_str
from .. import media
from ..jobs import WRITE_WAIT_S, writing
from ..schemas import DeleteResponse


def resolve_source(pipeline: Any, path: str) -> str:
    """A source as the index names it (the path given at ingest) to its absolute path."""
    try:
        if pipeline.store.source(str(Path(path).expanduser().resolve())) is not None:
            return path
    except (OSError, RuntimeError, ValueError):
        pass
    for record in pipeline.sources():
        if path in (record.source, record.path):
            return str(record.path)
    return path


def sources_router(pipeline: Any, write_lock: threading.Lock, upload_dir: Path) -> APIRouter:
    router = APIRouter(tags=["index"])

    @router.get("/sources")
    def sources() -> list[dict[str, Any]]:
        return [dict(r.__dict__) for r in pipeline.sources()]

    @router.delete("/sources", response_model=DeleteResponse)
    def delete(
        path: Annotated[str, Query(description="a source's path, or a folder")],
        folder: Annotated[bool, Query(description="confirm deleting every source under a "
                                      "folder (one call could empty the index)")] = False,
    ) -> Any:
        target = resolve_source(pipeline, path)
        if not folder:
            whole = safe_str(Path(target).expanduser().resolve())
            if pipeline.store.source(whole) is None:
                under = [r for r in pipeline.sources()
                         if r.path.startswith(whole.rstrip("/") + "/")]
                if under:
                    raise ConfigError(
                        f"{path} is a folder of {len(under)} indexed files: add folder=true "
                        "to delete them all")
        with writing(write_lock, pipeline.index_dir):
            gone = pipeline.delete(target, wait=WRITE_WAIT_S)
        if not gone:
            raise NotFoundError(f"{path}: not in the index")
        for record in gone:
            stored = Path(record.path)
            if stored.parent == upload_dir:
                stored.unlink(missing_ok=True)
        return {"deleted": [r.source for r in gone], "chunks": sum(r.chunks for r in gone)}

    return router


def media_router(pipeline: Any) -> APIRouter:
    router = APIRouter(tags=["media"])

    @router.get("/media", response_class=FileResponse)
    def media_file(path: str) -> FileResponse:
        """An indexed file (Range requests supported, for audio and video seeking)."""
        found = media.indexed_file(pipeline, resolve_source(pipeline, path))
        kind = media.media_type(found)
        return FileResponse(found, media_type=kind, headers=media.headers(kind),
                            content_disposition_type="inline")

    @router.get("/thumb", response_class=FileResponse)
    def thumb(path: str, page: Annotated[int, Query(ge=1)] = 1) -> FileResponse:
        """A small JPEG of an indexed image (the image itself when Pillow is missing), or
        of a PDF's ``page``, rendered once; 404 for any other file."""
        found = media.indexed_file(pipeline, resolve_source(pipeline, path))
        small = (media.pdf_page(pipeline, found, page) if found.suffix.lower() == ".pdf"
                 else media.thumbnail(found, Path(pipeline.index_dir) / "thumbs"))
        if small is None:
            raise NotFoundError(f"{path}: no thumbnail (not an image or a PDF)")
        kind = media.media_type(small)
        return FileResponse(small, media_type=kind, headers=media.headers(kind))

    return router
