"""Who may call the API: a bearer token (or the page's cookie), and where a server may bind."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
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


def check_bind(host: str, token: str | bool | None) -> None:
    """Refuse to listen beyond loopback without a token: the API can read and delete files."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to serve on {host!r} without a token: set MMRAG_API_TOKEN, "
            "or bind to 127.0.0.1"
        )


def presented(authorization: str | None, cookie: str | None) -> str:
    """The token a request carries: its bearer header, else the page's cookie."""
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return unquote(cookie) if cookie else ""  # the page writes it URL-encoded


def _same(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def check_token(expected: str | None, authorization: str | None, cookie: str | None) -> None:
    if not expected:
        return
    if not _same(presented(authorization, cookie), expected):
        raise Unauthorized("missing or wrong API token: send 'Authorization: Bearer <token>'")


def readable(token: str | None, grants: Mapping[str, frozenset[str]],
             authorization: str | None, cookie: str | None) -> frozenset[str] | None:
    """The collections a request may read: None for all of them (an open server, or the
    server's own token), else the ones its collection token was granted. A token that is
    neither is refused (401) before any collection is looked at."""
    if not token and not grants:
        return None
    given = presented(authorization, cookie)
    if token and _same(given, token):
        return None
    # compared with every granted token, not looked up: the time says nothing either
    found = [names for granted, names in grants.items() if _same(given, granted)]
    if not found:
        raise Unauthorized("missing or wrong API token: send 'Authorization: Bearer <token>'")
    return found[0]


def check_collection(name: str, known: Iterable[str], allowed: frozenset[str] | None) -> None:
    """A collection the token may not read and one that does not exist get the same 403,
    so that a token learns nothing about the collections it was not given."""
    if name not in set(known) or (allowed is not None and name not in allowed):
        raise Forbidden(f"no collection {name!r} for this token")
