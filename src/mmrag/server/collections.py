"""Named collections: one server over several indexes, each request reading the one it names.

``/api/...`` is the first collection; ``/c/NAME/api/...`` is collection NAME, served by an
app of its own built by ``create_app`` (so every route works per collection unchanged, each
with its own ingest jobs). ``/v1`` names a collection in its model id and MCP tools in a
``collection`` argument; both get the pipeline from :meth:`Reader.pipeline`.

A token reads the collections it was granted (``Settings.grants``) and the server's own token
reads them all. A collection a token may not read answers exactly as one that does not
exist: 403, ``no collection 'NAME' for this token``, whatever the path under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import MmragError, NotFoundError
from .security import COOKIE, check_collection, readable
from .settings import Settings
from .statuses import error_body, status_of


@dataclass(frozen=True)
class Collections:
    pipelines: Mapping[str, Any]
    settings: Settings

    @property
    def default(self) -> str:
        return next(iter(self.pipelines))

    def reader(self, authorization: str | None, cookie: str | None) -> Reader:
        """What a request with these credentials may read (401 for a wrong token)."""
        allowed = readable(self.settings.token, self.settings.grants, authorization, cookie)
        return Reader(self, allowed)


@dataclass(frozen=True)
class Reader:
    """One caller's view: the collections it may read, by name."""

    collections: Collections
    allowed: frozenset[str] | None

    def names(self) -> list[str]:
        return [n for n in self.collections.pipelines
                if self.allowed is None or n in self.allowed]

    def name(self, name: str | None) -> str:
        """``name``, or for None the first collection this caller may read."""
        if name is not None:
            return name
        return next(iter(self.names()), self.collections.default)

    def pipeline(self, name: str | None = None) -> Any:
        """The named collection's pipeline (None: the first the caller may read), or the
        403 of one it may not."""
        name = self.name(name)
        check_collection(name, self.collections.pipelines, self.allowed)
        return self.collections.pipelines[name]


def request_reader(request: Request) -> Reader:
    """The FastAPI dependency of /v1 and the MCP mount."""
    collections: Collections = request.app.state.collections
    return collections.reader(request.headers.get("authorization"), request.cookies.get(COOKIE))


class CollectionGate:
    """``/c/{name}``: the collection's own app, for a caller that may read it; for anyone
    else (unknown name included) the same 403 whatever the path, the page and health too."""

    def __init__(self, collections: Collections, apps: Mapping[str, Any]):
        self.collections, self.apps = collections, apps

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        name = scope.get("path_params", {}).get("name", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        cookie = cookie_of(headers.get("cookie", ""))
        try:
            self.collections.reader(headers.get("authorization"), cookie).pipeline(name)
            inner = scope.get("path", "")[len(scope.get("root_path", "")):]
            if name != self.collections.default and inner in ("", "/"):
                # the page calls /api, the first collection: at /c/NAME/ it would show
                # another collection's files under this one's name
                raise NotFoundError(f"the web page is at / and reads the first collection; "
                                    f"collection {name!r} is at /c/{name}/api/...")
        except MmragError as exc:
            await JSONResponse(error_body(exc), status_code=status_of(exc))(scope, receive, send)
            return
        await self.apps[name](scope, receive, send)


def cookie_of(header: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == COOKIE:
            return value
    return None


def connect(app: FastAPI, pipelines: Mapping[str, Any], settings: Settings) -> None:
    """Give the top app its collections: ``/c/{name}``, ``/v1`` and ``/mcp``."""
    from starlette.routing import Mount

    from .app import create_app
    from .routes.openai_compat import OpenAIErrors, openai_router

    collections = Collections(dict(pipelines), settings)
    app.state.collections = collections
    apps = {name: app if name == collections.default else
            create_app(p, replace(settings, collection=name), nested=True)
            for name, p in collections.pipelines.items()}
    app.router.routes.append(Mount("/c/{name}", app=CollectionGate(collections, apps)))
    app.include_router(openai_router(settings), prefix="/v1")
    app.add_middleware(OpenAIErrors)
    try:
        from .mcp_server import mount_mcp
    except ImportError:  # mmrag[mcp] not installed: the rest of the server still runs
        return
    mount_mcp(app, collections)
