"""The HTTP API and web page, built by :func:`create_app` around one pipeline.

Errors raised by the library are mapped to HTTP statuses in one table (``STATUS``); the
JSON shapes of hits, answers and reports are the library's own ``to_dict`` shapes. The
routes live in :mod:`.routes`, by concern; this module composes them.
"""

import threading
from pathlib import Path
from typing import Any

from .._lazy import require

require("fastapi", extra="server", purpose="mmrag serve")
require("python_multipart", extra="server", purpose="file uploads")

from fastapi import Depends, FastAPI, Request  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import MmragError  # noqa: E402
from . import docs, uploads  # noqa: E402
from .jobs import Jobs  # noqa: E402
from .routes.info import health_router, info_router  # noqa: E402
from .routes.ingest import ingest_router  # noqa: E402
from .routes.media import media_router, sources_router  # noqa: E402
from .routes.query import query_router  # noqa: E402
from .routes.vocab import vocab_router  # noqa: E402
from .security import COOKIE, check_bind, check_token  # noqa: E402
from .settings import Settings  # noqa: E402
from .statuses import error_body, status_of  # noqa: E402

STATIC = Path(__file__).parent / "static"


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
    # searches read concurrently; ingest jobs and deletes take turns on the store
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

    return app


def serve(pipeline: Any, settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    check_bind(host, settings.token)
    uvicorn = require("uvicorn", extra="server", purpose="mmrag serve")
    uvicorn.run(create_app(pipeline, settings), host=host, port=port, log_level="info",
                server_header=False)
