"""Killed at random points, ingest leaves a consistent index and resumes to a clean one."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

from mmrag.pipeline import Pipeline
from mmrag.stores import SourceRecord
from mmrag.types import Chunk


def _corpus(root, n=120):
    root.mkdir()
    rng = random.Random(7)
    words = "panda bamboo tea china planet venus novel river mountain city harp memo".split()
    for i in range(n):
        text = " ".join(". ".join(" ".join(rng.choices(words, k=9)) for _ in range(6)).split())
        (root / f"doc{i:03d}.txt").write_text(f"Document {i}. {text}.", encoding="utf-8")
    return root


def _content(index):
    rag = Pipeline.open(index)
    rows = rag.store._chunks.to_arrow().select(["source", "text", "source_hash"]).to_pylist()
    records = {r.source: r for r in rag.sources()}
    # invariant: every chunk belongs to a recorded file, at the recorded content hash
    for row in rows:
        assert row["source"] in records
        assert records[row["source"]].hash == row["source_hash"]
    return Counter((r["source"], r["text"]) for r in rows), {s: r.hash for s, r in records.items()}


def _ingest_cmd(corpus, index):
    return [sys.executable, "-m", "mmrag", "ingest", str(corpus), "--index", str(index),
            "--embedder", "hash", "--no-progress", "--batch-chunks", "8"]


@pytest.mark.slow  # ingest subprocesses killed six times
def test_kill_nine_at_random_points_then_resume(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    clean = tmp_path / "clean"
    started = time.monotonic()
    subprocess.run(_ingest_cmd(corpus, clean), check=True, capture_output=True)
    # kills land within the time a whole ingest takes on this machine, not at fixed seconds
    # that a quiet machine's ingest outruns
    whole = time.monotonic() - started
    expected = _content(clean)

    index = tmp_path / "crashy"
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    kills = 0
    for _ in range(6):  # bounded: six kills at random moments
        proc = subprocess.Popen(_ingest_cmd(corpus, index), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.9) * whole)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        if (index / "mmrag.json").exists():
            _content(index)  # the invariant holds after the next open's recovery too
    assert kills >= 1, "the ingest finished before any kill; make the corpus bigger"
    final = subprocess.run(_ingest_cmd(corpus, index), check=True, capture_output=True,
                           text=True)
    assert "ingested" in final.stdout
    assert _content(index) == expected


def test_recover_removes_orphans_of_an_interrupted_write(rag):
    store = rag.store
    done = [Chunk(id="a0", source="a.txt", text="kept")]
    store.write([SourceRecord("/a.txt", "a.txt", "h1", 1, 0.0, 1, "text", 0.0)], done,
                np.ones((1, store.dim), dtype=np.float32))
    # simulate a crash after the chunks of b.txt and of a new version of a.txt were added
    # but before their records were saved
    pa = store._pa
    rows = store._chunks.to_arrow().to_pylist()
    extra = [dict(rows[0], id="b0", path="/b.txt", source="b.txt", source_hash="hb"),
             dict(rows[0], id="a1", source_hash="h2", text="new version")]
    store._chunks.add(pa.Table.from_pylist(extra, schema=store._chunk_schema()))
    assert store.count() == 3
    # no journal, but the chunks outnumber what the records say: damage, repaired too
    assert store.recover() == 2 and store.count() == 1
    assert store.recover() == 0  # a whole index: nothing touched
    store._chunks.add(pa.Table.from_pylist(extra, schema=store._chunk_schema()))
    (store.path / "write-journal").write_text("/b.txt\n/a.txt")  # the killed write's journal
    assert store.interrupted()
    assert store.recover() == 2 and not store.interrupted()
    assert [h.text for h in store.dense(np.ones(store.dim), k=5)] == ["kept"]


def test_opening_an_index_recovers_a_killed_write(rag, corpus):
    rag.ingest([corpus])
    before = rag.store.count()
    pa = rag.store._pa
    row = rag.store._chunks.to_arrow().to_pylist()[0]
    orphan = dict(row, id="orphan", source_hash="not-the-recorded-hash")
    rag.store._chunks.add(pa.Table.from_pylist([orphan], schema=rag.store._chunk_schema()))
    (rag.store.path / "write-journal").write_text(row["path"])
    reopened = Pipeline.open(rag.index_dir)
    assert reopened.store.count() == before and not reopened.store.interrupted()


@pytest.mark.slow  # ingest subprocesses racing on one index
@pytest.mark.parametrize("n", [2])
def test_two_concurrent_ingests_stay_correct(tmp_path, n):
    corpus = _corpus(tmp_path / "corpus", n=60)
    index = tmp_path / "shared"
    procs = [subprocess.Popen(_ingest_cmd(corpus, index), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    clean = tmp_path / "clean"
    subprocess.run(_ingest_cmd(corpus, clean), check=True, capture_output=True)
    assert _content(index) == _content(clean)


@pytest.mark.slow  # 4x4 processes, each importing lancedb
def test_processes_opening_one_new_index_at_once_all_succeed(tmp_path):
    # Without the creation lock, some of these failed: two built the same BM25 index and
    # LanceDB refused the loser's commit, or one opened a table still being created.
    from mmrag.stores.lance import LanceStore

    code = "import sys; from mmrag.stores.lance import LanceStore; LanceStore(sys.argv[1], dim=4)"
    for trial in range(4):
        path = tmp_path / f"t{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", code, str(path)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        indexes = LanceStore(path, dim=4)._chunks.list_indices()
        assert [i.index_type for i in indexes] == ["FTS"]
