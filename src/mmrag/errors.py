"""One exception root for mmrag, with a shallow tree.

The CLI and the server map these once to exit codes and HTTP statuses; the library
itself never prints or exits.
"""

from __future__ import annotations

import errno


class MmragError(Exception):
    """Root of every error mmrag raises on purpose."""

    exit_code = 1


class ConfigError(MmragError, ValueError):
    """A setting, argument or name is not valid; the message lists the valid choices."""

    exit_code = 2


class IndexMismatchError(MmragError):
    """The index on disk was built with other parts than the ones asked for."""

    exit_code = 3


class NotFoundError(MmragError):
    """A file, source or job that was asked for is not there (not in the index, unknown id)."""


class IngestError(MmragError):
    """One input could not be ingested. Always names the file and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NoContentError(IngestError):
    """The file reads fine but holds nothing to index (silence, no speech).

    Ingest records such a file with no chunks and a note, so it is neither lost nor
    retried on every run.
    """


class MissingDependencyError(MmragError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    exit_code = 4


class BusyError(MmragError):
    """Another writer (an ingest) holds the index longer than a caller may wait."""

    exit_code = 6


class StorageError(MmragError):
    """The disk said no (full, read-only, not a folder): the message says what to do."""

    exit_code = 5


def busy(index_dir: object) -> BusyError:
    return BusyError(f"{index_dir}: another writer (an ingest) is using the index; try again "
                     "when it ends")


def explain(exc: BaseException) -> MmragError:
    """The named mmrag error for one from below (the OS, the store's files), with advice;
    the one mapping the CLI and the server share. mmrag's own errors pass through."""
    if isinstance(exc, MmragError):
        return exc
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        what = exc.strerror or str(exc)
        advice = {
            errno.ENOSPC: "the disk is full: free space and run again (a write cut short is "
                          "repaired on the next run)",
            errno.EROFS: "the file system is read-only: use an --index folder you can write",
            errno.EACCES: "permission denied: use an --index folder you can write, or fix "
                          "its permissions",
            errno.ENOTDIR: "a path that should be a folder is a file: check --index",
            errno.EISDIR: "a path that should be a file is a folder: remove it "
                          "(`mmrag doctor --repair` does, inside an index)",
        }.get(exc.errno or 0, "")
        return StorageError(f"{where}{what}" + (f"; {advice}" if advice else ""))
    return MmragError(
        f"unexpected {type(exc).__name__}: {exc}. If it names a file of the index, the index "
        "may be damaged: run `mmrag doctor` to check it and `mmrag doctor --repair` to fix "
        "what can be fixed")
