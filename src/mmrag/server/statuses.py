"""The one table from mmrag's errors to HTTP statuses, and the JSON body of an error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import (
    BusyError,
    ConfigError,
    IndexMismatchError,
    IngestError,
    MissingDependencyError,
    MmragError,
    NotFoundError,
    StorageError,
)
from .security import Forbidden, Unauthorized
from .uploads import UnsupportedUpload, UploadTooLarge

# Most specific first: the first class in an error's MRO found here gives its status.
STATUS: dict[type[BaseException], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    NotFoundError: 404,
    IndexMismatchError: 409,
    UploadTooLarge: 413,
    UnsupportedUpload: 415,
    IngestError: 422,
    ConfigError: 400,
    MissingDependencyError: 501,
    BusyError: 503,
    StorageError: 507,
    MmragError: 400,
}


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error: the first class of its MRO in ``STATUS``, else 500."""
    return next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)


def error_body(exc: BaseException) -> dict[str, str]:
    return {"error": type(exc).__name__, "detail": str(exc)}


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    """A 422 in mmrag's error shape: where and what is wrong, never the input echoed back
    (a 1 MB query would come back whole)."""
    problems = []
    for error in list(errors)[:10]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        problems.append({"field": where, "problem": str(error.get("msg", ""))[:200]})
    detail = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return {"error": "ValidationError", "detail": detail, "problems": problems}
