"""A file of more chunks than a part is read and written part by part: the same index as a
whole write, nothing left behind when reading it fails or a write is stopped half-way, and
an unchanged second run."""

from __future__ import annotations

import pytest

from mmrag.errors import IngestError
from mmrag.ingest import job
from mmrag.loaders import charset
from mmrag.loaders import text as text_loader
from mmrag.pipeline import Pipeline

WORDS = "panda bamboo tea river mountain city novel planet".split()


def _story(n: int) -> str:
    return "\n".join(f"Line {i}: the {WORDS[i % 8]} and the {WORDS[(i * 3) % 8]} met {i} times."
                     for i in range(n))


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(job, "PART_CHUNKS", 4)
    monkeypatch.setattr(text_loader, "STREAM_BYTES", 512)
    monkeypatch.setattr(text_loader, "iter_text",
                        lambda path: charset.iter_text(path, block=300))


def _rows(rag: Pipeline) -> list[tuple[str, str]]:
    table = rag.store._chunks.to_arrow().select(["id", "text"]).to_pylist()
    return sorted((r["id"], r["text"]) for r in table)


def test_parts_make_the_index_a_whole_write_makes(tmp_path, small_parts, monkeypatch):
    (tmp_path / "big.txt").write_text(_story(200))
    (tmp_path / "small.txt").write_text("Giant pandas eat bamboo.")
    rag = Pipeline.open(tmp_path / "index", create=True, embedder="hash")
    writes = []
    real = rag.store.write
    monkeypatch.setattr(rag.store, "write", lambda *a, **k: writes.append(k) or real(*a, **k))
    report = rag.ingest([tmp_path])
    assert sorted(report.added) == [str(tmp_path / "big.txt"), str(tmp_path / "small.txt")]
    assert not report.errors
    record = rag.store.source(str(tmp_path / "big.txt"))
    assert record is not None and record.chunks == rag.store.count() - 1 > 8
    assert report.chunks == rag.store.count()
    parts = [w for w in writes if not w.get("commit", True)]
    assert len(parts) >= 2  # written in parts, the record only with the last
    assert [w.get("replace", True) for w in writes].count(True) == 2  # big's first, small
    hits = rag.search("Line 117 mountain", k=3)
    assert any("Line 117:" in h.text for h in hits)
    assert len(rag.ingest([tmp_path]).unchanged) == 2

    whole = Pipeline.open(tmp_path / "whole", create=True, embedder="hash")
    monkeypatch.setattr(job, "PART_CHUNKS", 10_000)
    monkeypatch.setattr(text_loader, "STREAM_BYTES", 10**9)
    whole.ingest([tmp_path / "big.txt"])
    # blocks end at line ends, so a chunk never holds half a line, and every line is kept;
    # a block's end also ends a chunk: at most one more chunk a block (1 MiB in use)
    for rows in (_rows(whole), _rows(rag)):
        assert all(any(f"Line {i}: " in t for _, t in rows) for i in range(200))
        assert all(t.count("Line ") == t.count("times.") for _, t in rows)
    blocks = -(-record.size // 300)
    assert len(_rows(whole)) <= record.chunks <= len(_rows(whole)) + blocks


def test_a_read_error_half_way_leaves_nothing_and_keeps_the_rest(tmp_path, small_parts,
                                                                 monkeypatch):
    (tmp_path / "big.txt").write_text(_story(200))
    (tmp_path / "small.txt").write_text("Giant pandas eat bamboo.")
    real = text_loader._sections

    def breaks(path):
        for n, section in enumerate(real(path)):
            if n == 6:
                raise IngestError(str(path), "disk read failed half-way")
            yield section

    monkeypatch.setattr(text_loader, "_sections", breaks)
    rag = Pipeline.open(tmp_path / "index", create=True, embedder="hash")
    report = rag.ingest([tmp_path])
    assert report.errors == [(str(tmp_path / "big.txt"), "disk read failed half-way")]
    assert report.added == [str(tmp_path / "small.txt")]
    assert rag.store.count() == 1 == report.chunks  # no part of big.txt is left
    monkeypatch.setattr(text_loader, "_sections", real)
    assert rag.ingest([tmp_path]).added == [str(tmp_path / "big.txt")]
    assert rag.store.count() == rag.store.source(str(tmp_path / "big.txt")).chunks + 1


class Killed(BaseException):
    pass


def test_a_stop_between_parts_is_repaired_by_the_next_run(tmp_path, small_parts, monkeypatch):
    (tmp_path / "big.txt").write_text(_story(200))
    rag = Pipeline.open(tmp_path / "index", create=True, embedder="hash")
    real = rag.store.write
    calls = []

    def stop_at_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(rag.store, "write", stop_at_third)
    with pytest.raises(Killed):
        rag.ingest([tmp_path])
    assert rag.store.count() > 0 and rag.store.source(str(tmp_path / "big.txt")) is None
    monkeypatch.setattr(rag.store, "write", real)
    again = Pipeline.open(tmp_path / "index", embedder="hash")
    report = again.ingest([tmp_path])
    assert report.added == [str(tmp_path / "big.txt")]
    assert again.store.count() == again.store.source(str(tmp_path / "big.txt")).chunks
