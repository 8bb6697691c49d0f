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
    # inside a long recording: seconds of audio read so far, of how many (None: unknown)
    seconds: float = 0.0
    seconds_total: float | None = None
    report: dict[str, Any] | None = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "state": self.state, "done": self.done, "total": self.total,
            "current": self.current, "seconds": round(self.seconds, 1),
            "seconds_total": None if self.seconds_total is None
            else round(self.seconds_total, 1),
            "report": self.report, "error": self.error,
        }


class Jobs:
    def __init__(self, pipeline: Any, write_lock: threading.Lock,
                 transcriber: str = "whisper"):
        self.pipeline = pipeline
        self.write_lock = write_lock
        self.transcriber = transcriber  # the server's, for uploads as for spoken queries
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._guard = threading.Lock()

    def start(self, paths: Sequence[str], after: Callable[[], None] | None = None,
              refused: Sequence[tuple[str, str]] = ()) -> Job:
        """``refused``: files of the request that never reached the index (an unsupported
        upload), reported among the job's errors."""
        job = Job(uuid.uuid4().hex[:16], total=len(paths), current=paths[0] if paths else "")
        with self._guard:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, list(paths), after, list(refused)),
                         daemon=True,
                         name=f"mmrag-ingest-{job.id}").start()
        return job

    def get(self, job_id: str) -> Job:
        with self._guard:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no ingest job {job_id!r}")
        return job

    def _run(self, job: Job, paths: list[str], after: Callable[[], None] | None,
             refused: list[tuple[str, str]]) -> None:
        def progress(done: int, total: int, path: str) -> None:
            # called when a file is finished: the one shown is the next one given (a
            # folder's files are not known ahead: then none, not the one just finished)
            nxt = paths[done] if total == len(paths) and done < len(paths) else ""
            job.done, job.total, job.current = done, total, nxt
            job.seconds, job.seconds_total = 0.0, None

        def recording(path: str, seconds: float, total: float | None) -> None:
            job.current, job.seconds, job.seconds_total = path, seconds, total

        try:
            with self.write_lock:
                job.state = "running"
                report = self.pipeline.ingest(paths, on_progress=progress,
                                              on_file_progress=recording,
                                              transcriber=self.transcriber)
            report.errors.extend(refused)
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
