"""How the command line finds a running ``mmrag serve`` on its index, and how the server
tells whether its view of that index is still the one on disk.

The server writes ``serve.json`` into each index it serves (its process, its machine, the
collection's API address, whether it wants a token) and removes it when it stops. The
command line reads it with the standard library alone, so a search sent to a warm server
skips the seconds that importing lancedb and loading the models cost a fresh process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .. import manifest_versions as versions
from ..errors import IndexMismatchError

RECORD = "serve.json"
MANIFEST = "mmrag.json"  # mmrag.index.MANIFEST, named here to keep the CLI's import light


def api_base(host: str, port: int, name: str, first: bool) -> str:
    reach = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)
    reach = f"[{reach}]" if ":" in reach and not reach.startswith("[") else reach
    return f"http://{reach}:{port}" + ("/api" if first else f"/c/{name}/api")


@contextlib.contextmanager
def announced(pipelines: Mapping[str, Any], host: str, port: int, auth: bool) -> Iterator[None]:
    """``serve.json`` in every served index while the server runs (best effort: an index
    the server may not write to is served all the same, the CLI then searches in-process)."""
    written = []
    for n, (name, pipeline) in enumerate(pipelines.items()):
        record = {"pid": os.getpid(), "machine": socket.gethostname(), "auth": auth,
                  "api": api_base(host, port, name, n == 0)}
        path = Path(pipeline.index_dir) / RECORD
        tmp = path.with_name(f"{RECORD}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(record), encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
        except OSError:
            tmp.unlink(missing_ok=True)
    try:
        with _terminate_as_exit():
            yield
    finally:
        for path in written:
            if (find(path.parent) or {}).get("pid") == os.getpid():
                path.unlink(missing_ok=True)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM ends the process through ``finally`` blocks: uvicorn stops on it, then
    raises it again with the handler it found, whose default kills the process before the
    records are removed (a stale record is ignored, its process being gone, but tidy)."""
    def leave(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = [signal.signal(signal.SIGTERM, leave)]
    except ValueError:  # not the main thread, which alone may set handlers
        previous = []
    try:
        yield
    finally:
        for handler in previous:
            signal.signal(signal.SIGTERM, handler)


def find(index_dir: Path) -> dict[str, Any] | None:
    """The record of a live server on ``index_dir`` on this machine, else None."""
    try:
        record = json.loads((index_dir / RECORD).read_text(encoding="utf-8"))
        pid, api = int(record["pid"]), str(record["api"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.get("machine") != socket.gethostname() or not api.startswith("http://"):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return dict(record)


def on_disk(index_dir: Path) -> str | None:
    """The manifest version a client sees (sent as ``X-Mmrag-Manifest``)."""
    return versions.identity(index_dir / MANIFEST)


class View:
    """The manifest version a served pipeline was opened from; :meth:`check` refuses
    (409) a client that sees another one, unless this process wrote it itself."""

    def __init__(self, index_dir: Path):
        self.manifest = Path(index_dir) / MANIFEST
        self.opened = versions.identity(self.manifest)

    def check(self, seen: str) -> None:
        now = versions.identity(self.manifest)
        if seen != now or now not in (self.opened, versions.written_here(self.manifest)):
            raise IndexMismatchError(
                f"{self.manifest} changed since this server opened it (another process "
                f"ingested, tuned or redrew the calibration): restart the server to see it")
