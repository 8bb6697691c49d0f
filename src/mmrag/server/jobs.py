"""Ingest jobs: run one at a time behind the pipeline's write lock, with progress to poll.

The store is shared by FastAPI's worker threads: searches read concurrently, but ingest and
delete hold ``write_lock`` so two uploads never interleave one file's chunks.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import MmragError, NotFoundError, busy

KEEP = 100
# How long a request waits for a running ingest before it answers 503: a stuck or hour-long
# job must not leave DELETE unanswered, nor keep SIGTERM's graceful shutdown waiting.
WRITE_WAIT_S = 10.0


@contextmanager
def writing(lock: threading.Lock, index_dir: Path, wait: float = WRITE_WAIT_S) -> Iterator[None]:
    """Hold the server's write lock for a request, or raise :class:`BusyError` in time."""
    if not lock.acquire(timeout=wait):
        raise busy(index_dir)
    try:
        yield
    finally:
        lock.release()


@dataclass
class Job:
    id: str
    state: str = "queued"
    done: int = 0
    total: int = 0
    current: str = ""
    report: dict[str, Any] | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "state": self.state, "done": self.done, "total": self.total,
            "current": self.current, "report": self.report, "error": self.error,
        }


class Jobs:
    def __init__(self, pipeline: Any, write_lock: threading.Lock):
        self.pipeline = pipeline
        self.write_lock = write_lock
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._guard = threading.Lock()

    def start(self, paths: Sequence[str], after: Callable[[], None] | None = None) -> Job:
        job = Job(uuid.uuid4().hex[:16], total=len(paths))
        with self._guard:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, list(paths), after), daemon=True,
                         name=f"mmrag-ingest-{job.id}").start()
        return job

    def get(self, job_id: str) -> Job:
        with self._guard:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no ingest job {job_id!r}")
        return job

    def _run(self, job: Job, paths: list[str], after: Callable[[], None] | None) -> None:
        def progress(done: int, total: int, path: str) -> None:
            job.done, job.total, job.current = done, total, path

        try:
            with self.write_lock:
                job.state = "running"
                report = self.pipeline.ingest(paths, on_progress=progress)
            job.report = report.to_dict()
            job.state = "failed" if report.failed else "done"
        except MmragError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # the job must end, and say why, whatever happened
            job.error, job.state = f"ingest failed: {exc!r}", "failed"
        finally:
            if after is not None:
                after()
            job.finished.set()
