"""Who may call the API: a bearer token (or the page's cookie), and where a server may bind."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import unquote

from ..errors import ConfigError, MmragError

COOKIE = "mmrag_token"


class Unauthorized(MmragError):
    """The request carries no token or a wrong one."""


class Forbidden(MmragError):
    """The request is authenticated but asks for something the operator did not allow."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token: the API can read and delete files."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to serve on {host!r} without a token: set MMRAG_API_TOKEN, "
            "or bind to 127.0.0.1"
        )


def check_token(expected: str | None, authorization: str | None, cookie: str | None) -> None:
    if not expected:
        return
    given = ""
    if authorization and authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
    elif cookie:
        given = unquote(cookie)  # the page writes it URL-encoded
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("missing or wrong API token: send 'Authorization: Bearer <token>'")
