"""Progress names the file being read, not the one just finished: the CLI's bars and the
server's ingest job (what the page shows while a long recording is read)."""

from __future__ import annotations

import threading
from pathlib import Path

from mmrag.cli.progress import IngestBars
from mmrag.server.jobs import Jobs


def test_the_cli_bars_name_the_recording_being_read():
    bars = IngestBars()
    try:
        bars.files(1, 2, "notes.txt")  # notes.txt is done
        bars.recording("talk.wav", 30.0, 110.0)  # talk.wav is being read
        assert "talk.wav" in bars.bar.postfix and "notes" not in bars.bar.postfix
        assert bars.inner[0].n == 30 and bars.inner[0].total == 110
    finally:
        bars.close()


class _Pipeline:
    """Ingests like the real one, reporting as it goes; each step waits for the test."""

    def __init__(self):
        self.step = threading.Semaphore(0)
        self.seen = threading.Semaphore(0)

    def ingest(self, paths, on_progress=None, on_file_progress=None, **options):
        from mmrag.ingest.report import IngestReport

        def wait():
            self.seen.release()
            assert self.step.acquire(timeout=10)

        wait()
        on_progress(1, 2, paths[0])
        wait()
        on_file_progress(paths[1], 40.0, 110.0)
        wait()
        on_progress(2, 2, paths[1])
        report = IngestReport()
        report.added.extend(paths)
        return report


def test_a_job_names_the_file_being_read_and_its_seconds(tmp_path: Path):
    pipeline = _Pipeline()
    empty = ("empty.pdf", "empty.pdf: the file is empty")
    job = Jobs(pipeline, threading.Lock()).start(["notes.txt", "talk.wav"], refused=[empty])
    states = []
    for _ in range(3):
        assert pipeline.seen.acquire(timeout=10)
        d = job.to_dict()
        states.append((d["done"], d["current"], d["seconds"], d["seconds_total"]))
        pipeline.step.release()
    assert job.finished.wait(10)
    assert states == [(0, "notes.txt", 0.0, None), (1, "talk.wav", 0.0, None),
                      (1, "talk.wav", 40.0, 110.0)]
    assert job.state == "done" and job.report is not None
    assert job.report["errors"] == [{"source": empty[0], "error": empty[1]}]
