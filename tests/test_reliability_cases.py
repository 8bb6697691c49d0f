"""The numbered cases of issue 24 that are not the corpus, crash or server-request tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmrag.cli.main import main
from mmrag.errors import IndexMismatchError
from mmrag.ingest import job as job_module
from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app
from mmrag.stores import lance_indexes
from mmrag.text.chunker import windows


def test_two_files_linked_to_each_other_do_not_stop_the_ingest(rag, tmp_path):  # case 1
    root = tmp_path / "L"
    root.mkdir()
    (root / "fine.txt").write_text("ok fine text")
    os.symlink("b.txt", root / "a.txt")
    os.symlink("a.txt", root / "b.txt")
    report = rag.ingest([root])
    assert report.added == [str(root / "fine.txt")]
    assert dict(report.errors) == {str(root / "a.txt"): "symbolic link loop",
                                   str(root / "b.txt"): "symbolic link loop"}


def test_allow_path_is_not_escaped_through_a_file_link(rag, tmp_path):  # case 2
    allowed, elsewhere = tmp_path / "allowed", tmp_path / "elsewhere"
    allowed.mkdir()
    elsewhere.mkdir()
    (elsewhere / "private.txt").write_text("private words")
    os.symlink(elsewhere / "private.txt", allowed / "escape.txt")
    client = TestClient(create_app(rag, Settings(allowed_paths=(allowed,))),
                        base_url="http://127.0.0.1")
    job = client.post("/api/ingest/path?wait=true", json={"paths": [str(allowed)]}).json()
    assert "outside" in job["report"]["errors"][0]["error"] and not rag.sources()
    r = client.get("/api/media", params={"path": str(elsewhere / "private.txt")})
    assert r.status_code == 404


def test_a_line_without_spaces_is_split_into_bounded_chunks():  # case 3
    for text in ("x" * 400_000, "!" * 100_000, "熊" * 50_000):
        pieces = windows(text)
        assert len(pieces) > 10 and max(map(len, pieces)) <= 8000
        assert "".join(pieces) == text


def test_small_files_are_committed_before_a_large_one(rag, tmp_path, monkeypatch):  # case 3
    monkeypatch.setattr(job_module, "LARGE_FILE", 1000)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("small file one")
    (tmp_path / "c" / "b.txt").write_text("big file. " * 200)
    written = []
    real = rag.store.write
    monkeypatch.setattr(rag.store, "write", lambda r, *a, **k: (
        written.append([x.source for x in r]), real(r, *a, **k)))
    rag.ingest([tmp_path / "c"])
    assert [len(w) for w in written] == [1, 1]  # a.txt in its own commit, before b.txt


def test_a_damaged_index_is_found_and_repaired(rag, corpus, capsys):  # case 8
    rag.ingest([corpus])
    n, count = len(rag.sources()), rag.store.count()
    lance = rag.index_dir / "lance"
    shutil.rmtree(lance / "chunks.lance")
    assert main(["doctor", "--index", str(rag.index_dir)]) == 3
    assert "chunk table is missing" in capsys.readouterr().out
    assert main(["doctor", "--index", str(rag.index_dir), "--repair"]) == 0
    again = Pipeline.open(rag.index_dir)
    report = again.ingest([corpus])
    assert len(report.added) == n and again.store.count() == count
    # a missing full-text index is rebuilt by the next ingest
    again.store._chunks.drop_index(next(i.name for i in again.store._chunks.list_indices()
                                        if i.index_type == "FTS"))
    assert lance_indexes.fts_is_missing(again.store._chunks)
    again.ingest([corpus])
    assert not lance_indexes.fts_is_missing(again.store._chunks)
    assert again.search("tea", k=1, strategy="bm25")


def test_a_lost_manifest_is_not_rewritten_with_another_embedder(rag, corpus):  # case 8
    rag.ingest([corpus])
    (rag.index_dir / "mmrag.json").unlink()
    with pytest.raises(IndexMismatchError, match="manifest"):
        Pipeline.open(rag.index_dir, embedder="hash", create=True)
    assert main(["doctor", "--index", str(rag.index_dir)]) == 3


@pytest.mark.parametrize("argv,words", [
    (["search", "x", "--after", "nan"], "finite"),
    (["search", "x", "--after", "inf"], "finite"),
    (["search", "x\udcff"], "not text"),
])
def test_cli_errors_are_named(rag, corpus, capsys, argv, words):  # case 9
    rag.ingest([corpus])
    assert main([*argv, "--index", str(rag.index_dir)]) == 2
    assert words in capsys.readouterr().err


def test_cli_index_problems_are_named_not_tracebacks(tmp_path):  # case 9
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    (tmp_path / "file").write_text("x")
    run = subprocess.run([sys.executable, "-m", "mmrag", "sources", "--index",
                          str(tmp_path / "file")], capture_output=True, text=True, env=env)
    assert run.returncode == 2 and "is a file" in run.stderr and "Traceback" not in run.stderr
    index = tmp_path / "idx"
    Pipeline.open(index, embedder="hash", create=True)
    (index / "lance" / "write-journal").mkdir()
    (tmp_path / "a.txt").write_text("some text")
    run = subprocess.run([sys.executable, "-m", "mmrag", "ingest", str(tmp_path / "a.txt"),
                          "--index", str(index), "--no-progress"],
                         capture_output=True, text=True, env=env)
    assert "Traceback" not in run.stderr and "doctor --repair" in run.stderr
    head = subprocess.run(f"{sys.executable} -m mmrag sources --index {index} --json | head -c1",
                          shell=True, capture_output=True, text=True, env=env)
    assert "Traceback" not in head.stderr


def test_a_truncated_lance_file_gets_advice_not_a_traceback(rag, corpus, capsys):  # case 9
    rag.ingest([corpus])
    data = sorted((rag.index_dir / "lance" / "chunks.lance" / "data").glob("*.lance"))
    assert data
    for file in data:  # what a full disk or a killed copy leaves
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    index = str(rag.index_dir)
    code = main(["search", "pandas", "--index", index])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    assert "mmrag doctor" in err
    assert main(["doctor", "--index", index]) != 0
    out = capsys.readouterr().out
    assert "cannot be read" in out and "ingest your files again" in out
