"""mmrag as an MCP server: the same tools over stdio (``mmrag mcp``) and on the HTTP server
(streamable HTTP at ``/mcp``), built on the official ``mcp`` SDK's ``MCPServer``.

The official SDK rather than ``fastmcp``: its ``MCPServer`` has the decorators that package
is known for, its streamable HTTP app mounts on our FastAPI app (one server, one auth, one
request guard), and its ``Client`` is the reference the tests hold us to.

Tools: ``search``, ``ask``, ``sources``, ``ingest`` (paths under the folders the operator
allowed, as ``POST /api/ingest/path``) and ``delete`` (listed only when the operator allows
it). Every tool takes ``collection`` (default: the first the caller may read). A cited file
is the resource ``mmrag://COLLECTION/media?path=...`` (``thumb`` for an image's JPEG), the
URIs each hit carries. Over HTTP the caller is who its bearer token says, as on ``/api``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import anyio

from .._lazy import require

require("mcp", extra="mcp", purpose="mmrag mcp")

from mcp.server.mcpserver import Context, MCPServer  # noqa: E402
from mcp.server.mcpserver.exceptions import ResourceError, ToolError  # noqa: E402
from mcp.server.mcpserver.resources import ResourceSecurity  # noqa: E402

from .. import __version__  # noqa: E402
from ..errors import MmragError, NotFoundError  # noqa: E402
from ..stores.filters import Filter  # noqa: E402
from . import media  # noqa: E402
from .collections import Collections, Reader  # noqa: E402
from .routes.ingest import allowed_path  # noqa: E402
from .routes.media import resolve_source  # noqa: E402
from .security import COOKIE  # noqa: E402
from .settings import Settings  # noqa: E402

# Whose call a tool runs: the HTTP request's token, or the local user over stdio.
ReaderOf = Callable[[Context], Reader]


def http_reader(collections: Collections) -> ReaderOf:
    def reader(ctx: Context) -> Reader:
        request = ctx.request_context.request
        headers = getattr(request, "headers", None) or {}
        cookies = getattr(request, "cookies", None) or {}
        return collections.reader(headers.get("authorization"), cookies.get(COOKIE))
    return reader


def local_reader(collections: Collections) -> ReaderOf:
    """stdio: the process belongs to the user who started it; every collection is theirs."""
    return lambda ctx: Reader(collections, None)


def resource_uri(collection: str, kind: str, path: str) -> str:
    return f"mmrag://{collection}/{kind}?path={quote(path, safe='')}"


def hit_dict(collection: str, hit: Any) -> dict[str, Any]:
    out = hit.to_dict()
    out["resource"] = resource_uri(collection, "media", hit.source)
    if hit.modality == "image":
        out["thumbnail"] = resource_uri(collection, "thumb", hit.source)
    return out


async def _run(work: Callable[[], Any]) -> Any:
    """Pipeline work off the event loop; mmrag's errors become the tool's error text."""
    try:
        return await anyio.to_thread.run_sync(work)
    except MmragError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from None


def _filter(modality: list[str] | None, source: str | None, tags: list[str] | None,
            after: float | None, before: float | None) -> Callable[[], Filter]:
    """The filter, built where _run turns its validation error into the tool's error."""
    return lambda: Filter(tuple(modality or ()), source, tuple(tags or ()), after, before)


def build_mcp(collections: Collections, settings: Settings, reader_of: ReaderOf) -> MCPServer:
    # log_level: the SDK calls logging.basicConfig (a no-op where logging is set up already);
    # at WARNING it adds no INFO line per tool call to a server's log
    mcp = MCPServer("mmrag", version=__version__, log_level="WARNING", instructions=(
        "Search and ask the user's indexed files (text, PDFs, images, audio, video, 3D). "
        "Answers cite passages as [n]; each hit names its source file and a resource URI."))

    def pick(ctx: Context, collection: str | None) -> tuple[str, Any]:
        reader = reader_of(ctx)
        try:
            pipeline = reader.pipeline(collection)
            return reader.name(collection), pipeline
        except MmragError as exc:
            raise ToolError(f"{type(exc).__name__}: {exc}") from None

    @mcp.tool()
    async def search(query: str, ctx: Context, k: int = 10, modality: list[str] | None = None,
                     source: str | None = None, tags: list[str] | None = None,
                     after: float | None = None, before: float | None = None,
                     collection: str | None = None) -> dict[str, Any]:
        """Search the index: hits by calibrated relevance, each with its source file, span
        (page, seconds) and a resource URI. modality: text, image, audio, video, mesh;
        source: a glob on the file path; tags: any of these ingest tags; after/before:
        seconds of audio and video."""
        name, pipeline = pick(ctx, collection)
        where = _filter(modality, source, tags, after, before)
        hits = await _run(lambda: list(pipeline.search(query, k, where=where())))
        return {"collection": name, "query": query, "hits": [hit_dict(name, h) for h in hits]}

    @mcp.tool()
    async def ask(question: str, ctx: Context, k: int = 5, modality: list[str] | None = None,
                  source: str | None = None, tags: list[str] | None = None,
                  after: float | None = None, before: float | None = None,
                  collection: str | None = None) -> dict[str, Any]:
        """Answer a question from the index; [n] in the answer is citations[n-1]. The
        filters are search's."""
        name, pipeline = pick(ctx, collection)
        where = _filter(modality, source, tags, after, before)
        answer = await _run(lambda: pipeline.ask(question, k, where=where()))
        out = answer.to_dict()
        out["citations"] = [{"n": i, **hit_dict(name, h)}
                            for i, h in enumerate(answer.citations, 1)]
        return {"collection": name, **out}

    @mcp.tool()
    async def sources(ctx: Context, collection: str | None = None) -> dict[str, Any]:
        """The files in the index, with their chunk counts."""
        name, pipeline = pick(ctx, collection)
        records = await _run(pipeline.sources)
        return {"collection": name, "sources": [dict(r.__dict__) for r in records]}

    @mcp.tool()
    async def ingest(paths: list[str], ctx: Context, collection: str | None = None
                     ) -> dict[str, Any]:
        """Index files or folders on the server, under the folders the operator allowed
        (serve/mcp --allow-path DIR). Unchanged files are skipped."""
        name, pipeline = pick(ctx, collection)
        if not paths:
            raise ToolError("paths: give at least one file or folder")

        def work() -> Any:
            return pipeline.ingest([str(allowed_path(p, settings)) for p in paths])
        report = await _run(work)
        return {"collection": name, **report.to_dict()}

    if settings.mcp_delete:
        @mcp.tool()
        async def delete(path: str, ctx: Context, collection: str | None = None
                         ) -> dict[str, Any]:
            """Remove a file (or every file under a folder) from the index; the file
            itself stays on disk."""
            name, pipeline = pick(ctx, collection)
            gone = await _run(lambda: pipeline.delete(resolve_source(pipeline, path)))
            if not gone:
                raise ToolError(f"NotFoundError: {path}: not in the index")
            return {"collection": name, "deleted": [r.source for r in gone],
                    "chunks": sum(r.chunks for r in gone)}

    def read(ctx: Context, collection: str, path: str, thumb: bool) -> bytes:
        try:
            pipeline = reader_of(ctx).pipeline(collection)
            found = media.indexed_file(pipeline, resolve_source(pipeline, path))
            if thumb:
                small = media.thumbnail(found, pipeline.index_dir / "thumbs")
                if small is None:
                    raise NotFoundError(f"{path}: no thumbnail (not an image)")
                found = small
            return found.read_bytes()
        except MmragError as exc:
            raise ResourceError(f"{type(exc).__name__}: {exc}") from None

    anywhere = ResourceSecurity(exempt_params={"path"})  # only indexed files are served

    @mcp.resource("mmrag://{collection}/media{?path}", security=anywhere,
                  mime_type="application/octet-stream")
    def media_file(collection: str, ctx: Context, path: str = "") -> bytes:
        """A file the index holds (a cited source, a video's key frame)."""
        return read(ctx, collection, path, thumb=False)

    @mcp.resource("mmrag://{collection}/thumb{?path}", security=anywhere,
                  mime_type="image/jpeg")
    def thumb_file(collection: str, ctx: Context, path: str = "") -> bytes:
        """A small JPEG of an indexed image."""
        return read(ctx, collection, path, thumb=True)

    return mcp


def mount_mcp(app: Any, collections: Collections) -> None:
    """``/mcp`` on the FastAPI app: streamable HTTP behind the app's token check (the request
    guard already checks Host and Origin, so the SDK's own check is off)."""
    from contextlib import asynccontextmanager

    from fastapi.responses import JSONResponse
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.routing import Route

    from .collections import cookie_of
    from .statuses import error_body, status_of

    mcp = build_mcp(collections, collections.settings, http_reader(collections))
    inner = mcp.streamable_http_app(transport_security=TransportSecuritySettings(
        enable_dns_rebinding_protection=False))
    endpoint = next(r.endpoint for r in inner.routes
                    if isinstance(r, Route) and r.path == "/mcp")

    class Gate:  # an ASGI class: Starlette would take a function for a request handler
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            try:
                collections.reader(headers.get("authorization"),
                                   cookie_of(headers.get("cookie", "")))
            except MmragError as exc:
                await JSONResponse(error_body(exc), status_code=status_of(exc))(
                    scope, receive, send)
                return
            await endpoint(scope, receive, send)

    app.router.routes.append(Route("/mcp", endpoint=Gate(), methods=["GET", "POST", "DELETE"]))
    before = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> Any:
        async with before(running) as state, mcp.session_manager.run():
            yield state

    app.router.lifespan_context = lifespan
