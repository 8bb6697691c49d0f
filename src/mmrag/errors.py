"""One exception root for mmrag, with a shallow tree.

The CLI and the server map these once to exit codes and HTTP statuses; the library
itself never prints or exits.
"""

from __future__ import annotations


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
