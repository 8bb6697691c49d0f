"""The HTTP API and web page, built by :func:`create_app` around one pipeline.

Errors raised by the library are mapped to HTTP statuses in one table (``STATUS``); the
JSON shapes of hits, answers and reports are the library's own ``to_dict`` shapes.
"""

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from .._lazy import require

require("fastapi", extra="server", purpose="mmrag serve")
require("python_multipart", extra="server", purpose="file uploads")

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile  # noqa: E402
from fastapi.concurrency import run_in_threadpool  # noqa: E402
from fastapi.responses import (  # noqa: E402
    FileResponse,
    JSONResponse,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import (  # noqa: E402
    ConfigError,
    MissingDependencyError,
    MmragError,
    NotFoundError,
)
from ..ingest import file_hash  # noqa: E402
from ..loaders import by_extension  # noqa: E402
from ..types import Hit  # noqa: E402
from . import docs, media, uploads  # noqa: E402
from .answers import answer_events  # noqa: E402
from .jobs import Jobs  # noqa: E402
from .schemas import (  # noqa: E402
    AskRequest,
    DeleteResponse,
    IngestPathRequest,
    JobResponse,
    SearchRequest,
    SearchResponse,
)
from .security import COOKIE, Forbidden, check_bind, check_token  # noqa: E402
from .settings import Settings  # noqa: E402
from .statuses import error_body, status_of  # noqa: E402

STATIC = Path(__file__).parent / "static"
QueryK = Annotated[int, Form(ge=1, le=100)]

class BodyLimit:
    """Refuse a request whose declared body is over the limit before it is read (uploads
    also count the bytes they copy). Plain ASGI: it must not buffer the streamed answers."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > self.limit:
                exc = uploads.UploadTooLarge(
                    f"request body of {int(length)} bytes is over the limit of {self.limit} bytes")
                await JSONResponse(error_body(exc), status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(pipeline: Any, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    write_lock = threading.Lock()
    jobs = Jobs(pipeline, write_lock)
    upload_dir = Path(pipeline.index_dir) / "uploads"

    app = FastAPI(
        title="mmrag",
        version=__version__,
        description="Multimodal retrieval-augmented generation: ingest files, search them, "
        "ask questions answered with numbered citations.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.pipeline = pipeline
    app.state.settings = settings

    @app.exception_handler(MmragError)
    async def _mmrag_error(request: Request, exc: MmragError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=status_of(exc))

    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization"],
        )

    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + 2**20)

    def auth(request: Request) -> None:
        check_token(settings.token, request.headers.get("authorization"),
                    request.cookies.get(COOKIE))

    api = APIRouter(prefix="/api", dependencies=[Depends(auth)])

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, Any]:
        """Liveness, without a token: says whether the API wants one."""
        return {"status": "ok", "version": __version__, "auth": bool(settings.token)}

    @api.get("/info", tags=["server"])
    def info() -> dict[str, Any]:
        records = pipeline.sources()
        return {
            "index": str(pipeline.index_dir),
            "embedder": pipeline.embedder.name,
            "generator": pipeline.generator.name,
            "strategy": pipeline.strategy,
            "sources": len(records),
            "chunks": sum(r.chunks for r in records),
            "extensions": sorted(by_extension()),
            "max_upload_bytes": settings.max_upload_bytes,
            "allowed_paths": [str(p) for p in settings.allowed_paths],
            "capabilities": capabilities(pipeline),
        }

    @api.get("/sources", tags=["index"])
    def sources() -> list[dict[str, Any]]:
        return [dict(r.__dict__) for r in pipeline.sources()]

    @api.delete("/sources", tags=["index"], response_model=DeleteResponse)
    def delete(path: Annotated[str, Query(description="a source's path, or a folder")]) -> Any:
        target = resolve_source(pipeline, path)
        with write_lock:
            gone = pipeline.delete(target)
        if not gone:
            raise NotFoundError(f"{path}: not in the index")
        for record in gone:
            stored = Path(record.path)
            if stored.parent == upload_dir:
                stored.unlink(missing_ok=True)
        return {"deleted": [r.source for r in gone], "chunks": sum(r.chunks for r in gone)}

    @api.post("/search", tags=["query"], response_model=SearchResponse)
    def search(body: SearchRequest) -> Any:
        hits = pipeline.search(body.query, body.k, where=body.where(), strategy=body.strategy)
        return {"query": body.query, "hits": [h.to_dict() for h in hits]}

    @api.post("/search/image", tags=["query"], response_model=SearchResponse)
    def search_image(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """Image-to-image search (needs an index built with an image embedder)."""
        if not hasattr(pipeline, "search_image"):
            raise MissingDependencyError("this mmrag has no image search; install mmrag with "
                                         "image support")
        with query_file(file, settings, IMAGE_SUFFIXES) as path:
            hits = pipeline.search_image(path, k)
        return {"query": file.filename or "image", "hits": [h.to_dict() for h in hits]}

    @api.post("/search/mesh", tags=["query"], response_model=SearchResponse)
    def search_mesh(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """3D-to-3D search: the indexed 3D models nearest in shape to an uploaded one."""
        with query_file(file, settings, MESH_SUFFIXES) as path:
            hits = pipeline.search_mesh(path, k)
        return {"query": file.filename or "mesh", "hits": [h.to_dict() for h in hits]}

    @api.post("/search/audio", tags=["query"], response_model=SearchResponse)
    def search_audio(file: Annotated[UploadFile, File()], k: QueryK = 10) -> Any:
        """A spoken query: transcribed, then searched as text."""
        transcribe = speech_transcriber()
        with query_file(file, settings, AUDIO_SUFFIXES) as path:
            text = transcribe(path, settings.transcriber).strip()
        if not text:
            raise ConfigError("no speech was heard in the recording")
        hits = pipeline.search(text, k)
        return {"query": text, "hits": [h.to_dict() for h in hits]}

    @api.post("/ask", tags=["query"])
    def ask(body: AskRequest) -> dict[str, Any]:
        answer = pipeline.ask(body.question, body.k, where=body.where(), strategy=body.strategy)
        return answer.to_dict()

    @api.post("/ask/stream", tags=["query"], response_class=StreamingResponse, responses={
        200: {"content": {"text/event-stream": {}},
              "description": "events: citations (the retrieved passages, numbered), token "
              "(answer text as it is written; a preview), done (the final answer, "
              "Answer.to_dict()), error ({status, error, detail})"}})
    async def ask_stream(body: AskRequest) -> StreamingResponse:
        hits: list[Hit] = await run_in_threadpool(
            lambda: pipeline.search(body.question, body.k, where=body.where(),
                                    strategy=body.strategy))
        return StreamingResponse(
            answer_events(pipeline, body.question, hits), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @api.post("/ingest/upload", tags=["index"], response_model=JobResponse, status_code=202)
    def ingest_upload(
        files: Annotated[list[UploadFile], File()],
        wait: Annotated[bool, Query(description="answer when the job has finished")] = False,
    ) -> Any:
        """Upload files to index. They are stored under the index with generated names."""
        supported = by_extension()
        saved: list[Path] = []
        try:
            for f in files:
                saved.append(uploads.save(f.filename or "upload", f.file, upload_dir,
                                          settings.max_upload_bytes, supported))
        except BaseException:
            for path in saved:
                path.unlink(missing_ok=True)
            raise

        saved = reuse_uploaded(pipeline, saved, upload_dir)

        def forget_failed() -> None:
            for path in saved:
                if pipeline.store.source(str(path)) is None:
                    path.unlink(missing_ok=True)

        job = jobs.start([str(p) for p in saved], after=forget_failed)
        return finish(job, wait)

    @api.post("/ingest/path", tags=["index"], response_model=JobResponse, status_code=202)
    def ingest_path(body: IngestPathRequest, wait: bool = False) -> Any:
        """Index files or folders on the server, under a root the operator allowed
        (``mmrag serve --allow-path DIR``)."""
        paths = [str(allowed_path(p, settings)) for p in body.paths]
        return finish(jobs.start(paths), wait)

    @api.get("/ingest/{job_id}", tags=["index"], response_model=JobResponse)
    def ingest_job(job_id: str) -> Any:
        return jobs.get(job_id).to_dict()

    def finish(job: Any, wait: bool) -> Any:
        if wait:
            job.finished.wait()
        return JSONResponse(job.to_dict(), status_code=200 if wait else 202)

    @api.get("/media", tags=["media"], response_class=FileResponse)
    def media_file(path: str) -> FileResponse:
        """An indexed file (Range requests supported, for audio and video seeking)."""
        found = media.indexed_file(pipeline, resolve_source(pipeline, path))
        return FileResponse(found, media_type=media.media_type(found), headers=media.HEADERS,
                            content_disposition_type="inline")

    @api.get("/thumb", tags=["media"], response_class=FileResponse)
    def thumb(path: str) -> FileResponse:
        """A small JPEG of an indexed image (the image itself when Pillow is missing)."""
        found = media.indexed_file(pipeline, resolve_source(pipeline, path))
        small = media.thumbnail(found, Path(pipeline.index_dir) / "thumbs")
        return FileResponse(small, media_type=media.media_type(small), headers=media.HEADERS)

    app.include_router(api)
    docs.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    return app


IMAGE_SUFFIXES = {".png", ".jpg", ".gif", ".webp"}
MESH_SUFFIXES = {".ply", ".obj", ".stl", ".glb", ".off"}  # .gltf may need side files
AUDIO_SUFFIXES = {".wav", ".mp3", ".ogg", ".flac", ".webm", ".m4a", ".mp4"}


def capabilities(pipeline: Any) -> dict[str, bool]:
    image = hasattr(pipeline, "search_image") and "image" in getattr(
        pipeline.embedder, "modalities", ())
    try:
        speech_transcriber()
        audio = True
    except MissingDependencyError:
        audio = False
    mesh = hasattr(getattr(pipeline, "store", None), "shape_descriptors")
    return {"image_query": image, "audio_query": audio, "mesh_query": mesh, "stream": True}


def speech_transcriber() -> Any:
    try:
        from .. import speech as module
    except ImportError:
        return _no_speech()
    transcribe = getattr(module, "transcribe_text", None)
    return transcribe if transcribe is not None else _no_speech()


def _no_speech() -> Any:
    raise MissingDependencyError("this mmrag has no speech support for spoken queries")


@contextmanager
def query_file(file: Any, settings: Settings, suffixes: set[str]) -> Iterator[Path]:
    """An uploaded query (image, recording) in a temporary file, gone after use."""
    with tempfile.TemporaryDirectory(prefix="mmrag-query-") as tmp:
        yield uploads.save(file.filename or "query", file.file, Path(tmp),
                           settings.max_upload_bytes, suffixes)


def reuse_uploaded(pipeline: Any, saved: list[Path], folder: Path) -> list[Path]:
    """An upload whose content is already an uploaded source is that source (reported as
    unchanged), so sending a file twice does not index it twice."""
    known = {r.hash: Path(r.path) for r in pipeline.sources() if Path(r.path).parent == folder}
    kept = []
    for path in saved:
        same = known.get(file_hash(path))
        if same is not None and same != path and same.is_file():
            path.unlink(missing_ok=True)
            path = same
        kept.append(path)
    return kept


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


def allowed_path(path: str, settings: Settings) -> Path:
    resolved = Path(path).expanduser().resolve()
    for root in settings.allowed_paths:
        if resolved.is_relative_to(Path(root).expanduser().resolve()):
            return resolved
    roots = [str(r) for r in settings.allowed_paths]
    raise Forbidden(
        f"{path}: not under a folder the server allows (allowed: {roots}; "
        "start the server with --allow-path DIR)"
    )


def serve(pipeline: Any, settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    check_bind(host, settings.token)
    uvicorn = require("uvicorn", extra="server", purpose="mmrag serve")
    uvicorn.run(create_app(pipeline, settings), host=host, port=port, log_level="info",
                server_header=False)
