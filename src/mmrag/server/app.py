"""The HTTP API and web page, built by :func:`create_app` around one pipeline.

Errors raised by the library are mapped to HTTP statuses in one table (``STATUS``); the
JSON shapes of hits, answers and reports are the library's own ``to_dict`` shapes. The
routes live in :mod:`.routes`, by concern; this module composes them.
"""

import threading
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._lazy import require

require("fastapi", extra="server", purpose="mmrag serve")
require("python_multipart", extra="server", purpose="file uploads")

from fastapi import Depends, FastAPI, Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import ConfigError, MmragError, explain  # noqa: E402
from . import docs  # noqa: E402
from .discovery import announced  # noqa: E402
from .guard import RequestGuard  # noqa: E402
from .jobs import Jobs  # noqa: E402
from .routes.info import health_router, info_router  # noqa: E402
from .routes.ingest import ingest_router  # noqa: E402
from .routes.media import media_router, sources_router  # noqa: E402
from .routes.query import query_router  # noqa: E402
from .routes.vocab import vocab_router  # noqa: E402
from .security import COOKIE, check_bind, check_collection, readable  # noqa: E402
from .settings import Settings  # noqa: E402
from .statuses import error_body, status_of, validation_body  # noqa: E402

STATIC = Path(__file__).parent / "static"


def create_app(pipeline: Any, settings: Settings | None = None,
               collections: Mapping[str, Any] | None = None, *, nested: bool = False) -> FastAPI:
    """``collections``: every index the server serves by name (default: ``pipeline`` alone,
    as ``settings.collection``); ``nested`` builds one collection's app for the top one."""
    settings = settings or Settings()
    if collections and not nested:  # the top app's /api is the first collection
        first = next(iter(collections))
        if collections[first] is not pipeline:
            raise ConfigError(f"create_app: the pipeline must be the first collection's "
                              f"({first!r}), whose routes /api serves")
        settings = replace(settings, collection=first)
    # searches read concurrently; ingest jobs and deletes take turns on the store
    write_lock = threading.Lock()
    jobs = Jobs(pipeline, write_lock, settings.transcriber)
    # absolute, as the store keeps paths: a relative --index must not make every upload
    # look unindexed (and be deleted after its ingest)
    upload_dir = Path(pipeline.index_dir).resolve() / "uploads"

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        error = explain(exc)  # the disk, a damaged index: named, with what to do
        return JSONResponse(error_body(error), status_code=status_of(error)
                            if isinstance(exc, OSError) else 500)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc.errors()), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        # an unknown route or method, in the same {"error", "detail"} shape as the rest
        name = "".join(w.capitalize() for w in str(exc.detail).split()) or "HTTPError"
        return JSONResponse({"error": name, "detail": f"{request.method} {request.url.path}: "
                             f"{exc.detail}"}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization"],
        )

    app.add_middleware(RequestGuard, upload_limit=settings.max_upload_bytes + 2**20,
                       open_server=not settings.auth_required, cors_origins=settings.cors_origins)

    # async: FastAPI runs a plain-def dependency on its thread pool, a hand-off there and
    # back on every request for a check that never blocks
    async def auth(request: Request) -> None:
        allowed = readable(settings.token, settings.grants, request.headers.get("authorization"),
                           request.cookies.get(COOKIE))
        check_collection(settings.collection, [settings.collection], allowed)

    app.include_router(health_router(settings))
    for router in (
        info_router(pipeline, settings),
        sources_router(pipeline, write_lock, upload_dir),
        query_router(pipeline, settings),
        ingest_router(pipeline, settings, jobs, upload_dir),
        media_router(pipeline),
        vocab_router(pipeline),
    ):
        app.include_router(router, prefix="/api", dependencies=[Depends(auth)])
    docs.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    if not nested:
        from .collections import connect

        connect(app, collections or {settings.collection: pipeline}, settings)
    return app


def serve(pipeline: Any, settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          collections: Mapping[str, Any] | None = None) -> None:
    check_bind(host, settings.token or bool(settings.grants))
    uvicorn = require("uvicorn", extra="server", purpose="mmrag serve")
    # a bounded graceful shutdown: SIGTERM ends the server even while a request or an
    # ingest job is stuck (jobs run on daemon threads; their writes are crash-safe)
    app = create_app(pipeline, settings, collections)
    with announced(collections or {settings.collection: pipeline}, host, port,
                   settings.auth_required):
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                    timeout_graceful_shutdown=5)
