"""Which version of an index's manifest is on disk, and which this process wrote last.

A long-lived reader (``mmrag serve``) holds state built from the manifest (calibration,
fusion weights, the strategy). It is current while the manifest on disk is the one it read
at open or the one it wrote itself since; another process's write makes it stale, and
the command line (which asks such a server to search for it) then searches in-process.
"""

from __future__ import annotations

from pathlib import Path

# the manifest each index's last write by this process left, by the manifest's path
_written: dict[str, str | None] = {}


def identity(manifest: Path) -> str | None:
    """Inode, modification time and size: every write replaces the file (``os.replace``),
    so a new write is a new identity. None when there is no manifest."""
    try:
        st = manifest.stat()
    except OSError:
        return None
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


def note_written(manifest: Path) -> None:
    _written[str(manifest.resolve())] = identity(manifest)


def written_here(manifest: Path) -> str | None:
    """The identity this process's own last write of ``manifest`` left, if any."""
    return _written.get(str(manifest.resolve()))
