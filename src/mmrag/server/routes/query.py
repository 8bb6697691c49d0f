"""Searching and asking: POST /api/search (and /image, /audio, /mesh), /api/ask, /api/ask/stream."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from ...errors import ConfigError
from ...types import Hit
from .. import capabilities, uploads
from ..answers import answer_events
from ..discovery import View
from ..schemas import AskRequest, SearchRequest, SearchResponse
from ..settings import Settings

QueryK = Annotated[int, Form(ge=1, le=100)]
IMAGE_SUFFIXES = {".png", ".jpg", ".gif", ".webp"}
MESH_SUFFIXES = {".ply", ".obj", ".stl", ".glb", ".off"}  # .gltf may need side files
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".flac", ".webm", ".m4a", ".mp4"}
STREAM_EVENTS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}},
          "description": "events: citations (the retrieved passages, numbered), token "
          "(answer text as it is written; a preview), done (the final answer, "
          "Answer.to_dict()), error ({status, error, detail})"}}


def found(query: str, hits: list[Hit]) -> JSONResponse:
    """A search's answer as ``SearchResponse`` (its schema in the API docs) writes it.

    Returned as a response, not a dict: FastAPI would validate every hit against the model
    and walk it through ``jsonable_encoder`` before encoding it (with the encoding, 6% of a
    search request's server time in a profile), for a body ``Hit.to_dict`` already makes
    of plain JSON values; the bytes are the same."""
    return JSONResponse({"query": query, "hits": [h.to_dict() for h in hits]})


@contextmanager
def query_file(file: Any, settings: Settings, suffixes: set[str]) -> Iterator[Path]:
    """An uploaded query (image, recording) in a temporary file, gone after use."""
    with tempfile.TemporaryDirectory(prefix="mmrag-query-") as tmp:
        yield uploads.save(file.filename or "query", file.file, Path(tmp),
                           settings.max_upload_bytes, suffixes)


def query_router(pipeline: Any, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["query"])
    view = View(pipeline.index_dir)

    @router.post("/search", response_model=SearchResponse)
    def search(body: SearchRequest, x_mmrag_manifest: Annotated[
            str | None, Header(include_in_schema=False)] = None) -> Any:
        if x_mmrag_manifest is not None:  # the CLI (.discovery): answer as it would itself
            view.check(x_mmrag_manifest)
            pipeline.store.refresh()  # another process's ingest a moment ago included
        hits = pipeline.search(body.query, body.k, where=body.where(), strategy=body.strategy,
                               min_relevance=body.min_relevance)
        return found(body.query, hits)

    @router.post("/search/image", response_model=SearchResponse)
    def search_image(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """Image-to-image search (needs an index built with an image embedder)."""
        with query_file(file, settings, IMAGE_SUFFIXES) as path:
            hits = pipeline.search_image(path, k)
        return found(file.filename or "image", hits)

    @router.post("/search/mesh", response_model=SearchResponse)
    def search_mesh(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """3D-to-3D search: the indexed 3D models nearest in shape to an uploaded one."""
        with query_file(file, settings, MESH_SUFFIXES) as path:
            hits = pipeline.search_mesh(path, k)
        return found(file.filename or "mesh", hits)

    @router.post("/search/audio", response_model=SearchResponse)
    def search_audio(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """A spoken query: transcribed, then searched as text."""
        transcribe = capabilities.speech_transcriber()
        with query_file(file, settings, AUDIO_SUFFIXES) as path:
            text = transcribe(path, settings.transcriber).strip()
        if not text:
            raise ConfigError("no speech was heard in the recording")
        hits = pipeline.search(text, k)
        return found(text, hits)

    @router.post("/ask")
    def ask(body: AskRequest) -> dict[str, Any]:
        answer = pipeline.ask(body.question, body.k, where=body.where(), strategy=body.strategy,
                              min_relevance=body.min_relevance)
        return answer.to_dict()

    @router.post("/ask/stream", response_class=StreamingResponse, responses=STREAM_EVENTS)
    async def ask_stream(body: AskRequest) -> StreamingResponse:
        where = body.where()
        hits: list[Hit] = await run_in_threadpool(
            lambda: pipeline.search(body.question, body.k, where=where, strategy=body.strategy,
                                    min_relevance=body.min_relevance))
        return StreamingResponse(
            answer_events(pipeline, body.question, hits), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router
