"""The one table from mmrag's errors to HTTP statuses, and the JSON body of an error."""

from __future__ import annotations

from ..errors import (
    ConfigError,
    IndexMismatchError,
    IngestError,
    MissingDependencyError,
    MmragError,
    NotFoundError,
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
    MmragError: 400,
}


def status_of(exc: BaseException) -> int:
    """The HTTP status of an error: the first class of its MRO in ``STATUS``, else 500."""
    return next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)


def error_body(exc: BaseException) -> dict[str, str]:
    return {"error": type(exc).__name__, "detail": str(exc)}
