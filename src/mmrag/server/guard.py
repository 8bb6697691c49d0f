"""What every request passes before a route sees it, in plain ASGI (streamed answers must
not be buffered): one streaming body limit, and the Host and Origin checks.

The limit counts the bytes as they arrive, so a body sent without ``Content-Length``
(chunked) is stopped at the limit like a declared one: JSON bodies get 1 MiB (a query is
at most 2,000 characters), multipart uploads the operator's upload limit.

An open server (no token) listens on loopback only, but a web page elsewhere can still
reach it: by DNS rebinding (a request whose ``Host`` is the attacker's name) or by a
cross-origin form POST, which needs no preflight. So an open server answers only requests
for a loopback ``Host``, and any server refuses a state-changing request whose ``Origin``
is another site than its own (or one ``--cors-origin`` allows).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import JSONResponse

from .security import Forbidden, is_loopback
from .statuses import error_body
from .uploads import UploadTooLarge

JSON_LIMIT = 2**20
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class _Over(Exception):
    """Raised into the route reading a body past the limit (it answers 413 instead)."""


def _host_name(host: str) -> str:
    """``localhost:8000`` -> ``localhost``, ``[::1]:8000`` -> ``::1``."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class RequestGuard:
    def __init__(self, app: Any, *, upload_limit: int, open_server: bool,
                 cors_origins: tuple[str, ...] = (), json_limit: int = JSON_LIMIT):
        self.app = app
        self.upload_limit, self.json_limit = upload_limit, json_limit
        self.open_server = open_server
        self.cors_origins = set(cors_origins)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        refused = self._refused(scope, headers)
        if refused is not None:
            await JSONResponse(error_body(refused[1]), status_code=refused[0])(
                scope, receive, send)
            return
        multipart = headers.get("content-type", "").startswith("multipart/")
        limit = self.upload_limit if multipart else self.json_limit
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await self._too_large(scope, receive, send, limit, int(length))
            return
        await self._limited(scope, receive, send, limit)

    def _refused(self, scope: Any, headers: dict[str, str]) -> tuple[int, Exception] | None:
        host = headers.get("host", "")
        if self.open_server and not is_loopback(_host_name(host)):
            return 421, Forbidden(
                f"this open server answers only for a loopback host, not {host!r} (a web "
                "page on another name reaching it); set MMRAG_API_TOKEN to serve other names")
        origin = headers.get("origin")
        cross = bool(origin) and urlsplit(origin or "").netloc != host
        if scope["method"] in UNSAFE and cross and origin not in self.cors_origins:
            return 403, Forbidden(
                f"a {scope['method']} from the page at {origin!r} is refused: only the "
                "server's own page (or an origin allowed with --cors-origin) may change "
                "the index")
        if scope["method"] in UNSAFE and headers.get("sec-fetch-site") == "cross-site" \
                and origin not in self.cors_origins:
            return 403, Forbidden("a cross-site request may not change the index")
        return None

    async def _too_large(self, scope: Any, receive: Any, send: Any, limit: int,
                         size: int | None) -> None:
        said = f"of {size} bytes " if size is not None else ""
        exc = UploadTooLarge(f"request body {said}is over the limit of {limit} bytes")
        await JSONResponse(error_body(exc), status_code=413)(scope, receive, send)

    async def _limited(self, scope: Any, receive: Any, send: Any, limit: int) -> None:
        seen, over, started = 0, False, False

        async def counting_receive() -> Any:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _Over()
            return message

        async def checked_send(message: Any) -> None:
            nonlocal started
            if over:
                return  # whatever the route made of the cut body, the answer is the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, checked_send)
        except Exception:
            if not over:  # the route's own error: not ours to hide
                raise
        if over and not started:
            await self._too_large(scope, receive, send, limit, None)
