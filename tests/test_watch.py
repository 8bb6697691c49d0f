"""A watched folder ends as a clean ingest of what is in it, whatever happened in between:
files created, edited, renamed, moved and deleted while ``watch`` runs (hash embedder)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mmrag.ingest.watch import SyncReport, sync, watch
from mmrag.pipeline import Pipeline

pytest.importorskip("watchfiles", reason="watching needs mmrag[watch]")


def state(rag: Pipeline, root: Path) -> list[tuple[str, str, int]]:
    base = str(root.resolve()) + "/"
    return sorted((r.path.removeprefix(base), r.hash, r.chunks) for r in rag.sources())


def hits(rag: Pipeline, root: Path, query: str) -> list[tuple[str, str]]:
    base = str(root.resolve()) + "/"
    return [(h.source.removeprefix(base), h.text) for h in rag.search(query, 5)]


def clean(root: Path, where: Path) -> Pipeline:
    rag = Pipeline.open(where, embedder="hash", create=True)
    rag.ingest([root])
    return rag


@contextmanager
def watching(rag: Pipeline, root: Path) -> Iterator[list[SyncReport]]:
    reports: list[SyncReport] = []
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(rag, [root]),
                              kwargs={"debounce_ms": 150, "stop": stop,
                                      "on_sync": reports.append}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not reports and time.monotonic() < deadline:  # the first sync: ready to watch
        time.sleep(0.02)
    try:
        yield reports
    finally:
        stop.set()
        thread.join(15)
        assert not thread.is_alive()


def settle(rag: Pipeline, root: Path, want: list, timeout: float = 60) -> float:
    """Seconds until the watched index holds ``want``; fails if it never does."""
    started = time.monotonic()
    while (got := state(rag, root)) != want:
        if time.monotonic() - started > timeout:
            assert got == want
        time.sleep(0.05)
    return time.monotonic() - started


def test_edits_renames_moves_and_deletes_end_as_a_clean_ingest(tmp_path: Path):
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "old.txt").write_text("Green tea is hardly oxidised at all.", encoding="utf-8")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    with watching(rag, root) as reports:
        assert [Path(p).name for p in reports[0].ingest.added] == ["old.txt"]

        (root / "panda.md").write_text("Pandas eat bamboo in Sichuan.", encoding="utf-8")
        (root / "sub" / "planets.txt").write_text("Jupiter is the largest planet.",
                                                  encoding="utf-8")
        (root / "ignored.xyz").write_text("no loader reads this", encoding="utf-8")
        (root / ".hidden.txt").write_text("hidden files are skipped", encoding="utf-8")
        step = clean(root, tmp_path / "clean1")
        settle(rag, root, state(step, root))

        (root / "panda.md").write_text("Pandas eat bamboo and sometimes fruit.",
                                       encoding="utf-8")
        (root / "old.txt").rename(root / "sub" / "renamed.txt")
        shutil.move(str(root / "sub" / "planets.txt"), str(root / "planets.txt"))
        step = clean(root, tmp_path / "clean2")
        settle(rag, root, state(step, root))

        (root / "planets.txt").unlink()
        shutil.rmtree(root / "sub")
        (root / "new.txt").write_text("Mars has Olympus Mons, the tallest volcano.",
                                      encoding="utf-8")
        final = clean(root, tmp_path / "clean3")
        settle(rag, root, state(final, root))
    assert {p for p, _, _ in state(rag, root)} == {"panda.md", "new.txt"}
    for query in ("pandas fruit", "volcano", "green tea", "Jupiter"):
        assert hits(rag, root, query) == hits(final, root, query)


def test_a_burst_of_a_thousand_changes(tmp_path: Path):
    """1,000 changes in one burst: 500 files created, 200 edited, 200 renamed (100 of them
    edited first), 100 deleted."""
    root = tmp_path / "burst"
    root.mkdir()
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    with watching(rag, root) as reports:
        for i in range(500):
            (root / f"f{i:03}.txt").write_text(f"note {i} about topic{i % 17}", encoding="utf-8")
        for i in range(0, 200):
            (root / f"f{i:03}.txt").write_text(f"edited note {i} on subject{i % 5}",
                                               encoding="utf-8")
        for i in range(200, 300):
            (root / f"f{i:03}.txt").rename(root / f"moved{i:03}.txt")
        for i in range(300, 400):
            (root / f"f{i:03}.txt").unlink()
        for i in range(100, 200):
            (root / f"f{i:03}.txt").rename(root / f"r{i:03}.txt")
        final = clean(root, tmp_path / "clean")
        settle(rag, root, state(final, root), timeout=120)
    assert len(state(rag, root)) == 400
    assert hits(rag, root, "edited note 7 subject2") == hits(final, root, "edited note 7 subject2")
    assert len(reports) < 50  # debounced: a few syncs, not one per change


def test_sync_once_removes_what_left_the_folder(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("alpha text", encoding="utf-8")
    (root / "b.txt").write_text("beta text", encoding="utf-8")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    other = tmp_path / "elsewhere.txt"
    other.write_text("not under the watched folder", encoding="utf-8")
    rag.ingest([other])
    assert len(sync(rag, [root]).ingest.added) == 2
    (root / "b.txt").unlink()
    report = sync(rag, [root])
    assert [Path(p).name for p in report.removed] == ["b.txt"]
    assert sorted(Path(r.path).name for r in rag.sources()) == ["a.txt", "elsewhere.txt"]


def test_changed_paths_follow_the_folder_walk_s_rules(tmp_path: Path):
    from mmrag.ingest.watch import sync_paths

    root, outside = tmp_path / "docs", tmp_path / "secret.txt"
    (root / "linked").mkdir(parents=True)
    outside.write_text("a file outside the watched folder", encoding="utf-8")
    (root / "a.txt").write_text("alpha text", encoding="utf-8")
    (root / "out.txt").symlink_to(outside)  # a link out: a folder walk refuses it
    (root / "in.txt").symlink_to(root / "a.txt")  # a link inside: the same file as a.txt
    (root / "via").symlink_to(root / "linked", target_is_directory=True)
    (root / "linked" / "b.txt").write_text("beta text", encoding="utf-8")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    changed = [root / n for n in ("a.txt", "out.txt", "in.txt", "via", "via/b.txt",
                                  "linked/b.txt")]
    sync_paths(rag, [root], changed)
    assert state(rag, root) == state(clean(root, tmp_path / "clean1"), root)

    (root / "a.txt").rename(root / ".a.txt")  # hidden now: leaves the index
    (root / "in.txt").unlink()
    report = sync_paths(rag, [root], [root / "a.txt", root / ".a.txt", root / "in.txt"])
    assert [Path(p).name for p in report.removed] == ["a.txt"]
    assert state(rag, root) == state(clean(root, tmp_path / "clean2"), root)


def test_watch_once_from_the_command_line(tmp_path: Path):
    import subprocess
    import sys

    from servers import SRC

    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("alpha text", encoding="utf-8")
    (root / "bad.pdf").write_bytes(b"%PDF-1.4 this is not a real PDF")
    index = tmp_path / "index"
    command = [sys.executable, "-m", "mmrag", "watch", "--once", str(root), "--index",
               str(index), "--embedder", "hash"]
    run = subprocess.run(command, capture_output=True, text=True, env={"PYTHONPATH": str(SRC)},
                         timeout=120)
    assert "1 added" in run.stderr and "1 errors" in run.stderr, run.stderr
    assert "bad.pdf" in run.stderr  # the file that could not be read, named with its reason
    (root / "a.txt").unlink()
    run = subprocess.run(command, capture_output=True, text=True, env={"PYTHONPATH": str(SRC)},
                         timeout=120)
    assert "1 removed" in run.stderr, run.stderr
    assert Pipeline.open(index).sources() == []


def test_an_index_inside_the_watched_folder_does_not_wake_the_watcher(tmp_path: Path):
    root = tmp_path / "docs"
    root.mkdir()
    rag = Pipeline.open(root / "idx", embedder="hash", create=True)  # not hidden
    with watching(rag, root) as reports:
        (root / "a.txt").write_text("alpha text", encoding="utf-8")
        settle(rag, root, state(clean(root, tmp_path / "clean"), root))
        time.sleep(1.5)  # the index's own writes, had they been seen, would sync again
        syncs = len(reports)
        time.sleep(1.5)
        assert len(reports) == syncs <= 3
    assert [p for p, _, _ in state(rag, root)] == ["a.txt"]
