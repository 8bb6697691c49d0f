"""Live mmrag servers on a free loopback port, for tests and benchmarks.

Each context manager starts a server, waits until ``/api/health`` answers, yields its base
URL, and stops it however the block ends: :func:`serve_app` runs an app in a uvicorn thread
of this process (the test can reach into the pipeline), :func:`serve_cli` runs
``python -m mmrag serve`` in its own process (what a user starts).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

SRC = Path(__file__).resolve().parent.parent / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, alive: Callable[[], str | None], timeout: float) -> None:
    """Poll ``url``/api/health until it answers 200; ``alive`` says why the server is gone
    (None while it runs)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/api/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        gone = alive()
        if gone is not None:
            raise RuntimeError(f"the server at {url} exited: {gone}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not answer in {timeout:g} s")
        time.sleep(0.05)


@contextmanager
def serve_app(app: Any, timeout: float = 20) -> Iterator[str]:
    """``app`` (from ``mmrag.server.create_app``) served by uvicorn in a thread."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, lambda: None if thread.is_alive() else "thread ended", timeout)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def serve_cli(index: Path, *args: str, timeout: float = 60, src: Path = SRC) -> Iterator[str]:
    """``python -m mmrag serve --index INDEX *args`` on loopback without a token, this
    checkout's ``src`` first on the path (or another tree's, for a before/after run)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("MMRAG_API_TOKEN", None)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mmrag", "serve", "--index", str(index), *args,
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=log)

        def alive() -> str | None:
            if proc.poll() is None:
                return None
            log.seek(0)
            return log.read().decode(errors="replace")[-2000:]

        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, alive, timeout)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def send_chat_stream(handler: Any, pieces: list[str]) -> None:
    """Answer an OpenAI-style chat request from ``handler`` (a BaseHTTPRequestHandler) with
    ``pieces`` as streamed deltas; the caller ends the stream (``[DONE]``) or does not."""
    import json

    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.end_headers()
    for piece in pieces:
        event = {"choices": [{"delta": {"content": piece}}]}
        handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        handler.wfile.flush()


@contextmanager
def serve_handler(handler: type) -> Iterator[str]:
    """A scripted HTTP server (``handler``'s class) on a free loopback port: yields its
    OpenAI-style base URL, stopped however the block ends."""
    from http.server import ThreadingHTTPServer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
