"""A job that never ends (a file that blocks forever, a disk that hangs) must not take the
server with it: writes answer 503 in bounded time, reads go on, SIGTERM still stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from servers import SRC, free_port, wait_healthy

STUCK_SERVER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from mmrag import Pipeline
    from mmrag.index import write_lock
    from mmrag.server.app import serve
    from mmrag.server.settings import Settings

    index, folder, port = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rag = Pipeline.open(index, create=True, embedder="hash")
    rag.ingest([folder / "kept.txt"])

    def stuck(self, paths, *args, **kwargs):  # an ingest that holds the lock forever
        with write_lock(self.index_dir):
            threading.Event().wait()

    Pipeline.ingest = stuck
    serve(rag, Settings(allowed_paths=(folder,)), port=port)
""")


@pytest.fixture
def stuck_server(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kept.txt").write_text("Giant pandas eat bamboo in Sichuan.")
    (folder / "new.txt").write_text("Red pandas are not bears.")
    script = tmp_path / "stuck_server.py"
    script.write_text(STUCK_SERVER)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "index"), str(folder), str(port)],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, lambda: None if proc.poll() is None else "exited", 60)
        yield url, folder, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@pytest.mark.slow
def test_stuck_job_leaves_writes_busy_reads_working_and_sigterm_working(stuck_server):
    url, folder, proc = stuck_server
    job = httpx.post(f"{url}/api/ingest/path", json={"paths": [str(folder / "new.txt")]})
    assert job.status_code == 202, job.text
    time.sleep(0.5)  # the job has the lock now

    start = time.monotonic()
    gone = httpx.delete(f"{url}/api/sources", params={"path": str(folder / "kept.txt")},
                        timeout=60)
    waited = time.monotonic() - start
    assert gone.status_code == 503, gone.text
    assert gone.json()["error"] == "BusyError"
    assert "try again" in gone.json()["detail"]
    assert waited < 30

    vocab = httpx.put(f"{url}/api/vocab", json={"vocabulary": ["O'Carolan"]}, timeout=60)
    assert vocab.status_code == 503, vocab.text

    found = httpx.post(f"{url}/api/search", json={"query": "pandas bamboo", "k": 3})
    assert found.status_code == 200
    assert [h["source"] for h in found.json()["hits"]][:1] == [str(folder / "kept.txt")]

    proc.send_signal(signal.SIGTERM)
    start = time.monotonic()
    proc.wait(30)  # raises TimeoutExpired if the stuck job kept it alive
    assert time.monotonic() - start < 20
