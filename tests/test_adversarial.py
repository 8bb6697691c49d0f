"""A hostile corpus, generated at test time: every file ends as indexed content, a named
error or a note; the ingest never hangs (a timeout), never prints a traceback, and the good
files beside the bad ones are all searchable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fixtures import make_pdf

GOOD = {
    "good/panda.txt": "Giant pandas eat bamboo in the mountains of Sichuan.",
    "good/tea.md": "# Tea\n\nGreen tea is steamed or pan-fired soon after picking.",
}


def make_corpus(root: Path, outside: Path) -> dict[str, str]:
    """The files and what each must end as: "indexed", "note" or an error's words."""
    (root / "good").mkdir(parents=True)
    outside.mkdir()
    for name, text in GOOD.items():
        (root / name).write_text(text, encoding="utf-8")
    expected = {name: "indexed" for name in GOOD}
    (outside / "private.txt").write_text("a secret outside the folder")
    cases: dict[str, tuple[bytes | None, str]] = {
        "empty.txt": (b"", "file is empty"),
        "nul.txt": (b"abc\x00def" * 10, "binary data"),
        "noise.txt": (bytes(range(128, 256)) * 64, "not text"),
        "oneline.txt": (b"x" * 300_000, "indexed"),  # no space, no punctuation
        "utf16.txt": ("UTF-16 with a byte order mark".encode("utf-16"), "indexed"),
        "latin1.txt": ("Café crème brûlée".encode("latin-1"), "indexed"),
        "sjis.txt": ("東京駅で会いましょう。".encode("shift_jis"), "indexed"),
        "utf16-nobom.txt": ("UTF-16 without a byte order mark".encode("utf-16-le"), "indexed"),
        "fake.pdf": (b"%PDF-1.4 this is not a pdf", "pdf"),
        "fake.png": (b"\x89PNG\r\n\x1a\nbroken", "image"),
        "page.html": (b"<html><body><script>x</script></body></html>", "no text"),
    }
    for name, (data, outcome) in cases.items():
        assert data is not None
        (root / name).write_bytes(data)
        expected[name] = outcome
    make_pdf(root / "real.pdf", ["A real page about rivers and mountains."])
    expected["real.pdf"] = "indexed"
    os.symlink("b.txt", root / "a.txt")  # two links to each other
    os.symlink("a.txt", root / "b.txt")
    expected["a.txt"] = expected["b.txt"] = "symbolic link loop"
    os.symlink(outside / "private.txt", root / "escape.txt")
    expected["escape.txt"] = "outside"
    os.symlink("nowhere.txt", root / "broken.txt")
    expected["broken.txt"] = "broken symbolic link"
    os.mkfifo(root / "pipe.txt")
    expected["pipe.txt"] = "FIFO"
    os.symlink("good", root / "good-link")  # a linked folder is not walked twice
    return expected


def test_every_hostile_file_ends_named_indexed_or_noted(tmp_path):
    root = tmp_path / "corpus"
    expected = make_corpus(root, tmp_path / "elsewhere")
    index = tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    run = subprocess.run(
        [sys.executable, "-m", "mmrag", "ingest", str(root), "--index", str(index),
         "--embedder", "hash", "--no-progress", "--json"],
        capture_output=True, text=True, timeout=180, env=env)  # a FIFO once hung it forever
    assert "Traceback" not in run.stderr, run.stderr
    report = json.loads(run.stdout)
    outcome: dict[str, str] = {}
    for source in report["added"]:
        outcome[source] = "indexed"
    for item in report["errors"]:
        outcome[item["source"]] = item["error"]
    for item in report["notes"]:
        outcome[item["source"]] = "note: " + item["note"]
    shown = {os.path.relpath(s, root): o for s, o in outcome.items()}
    assert set(shown) == set(expected), (shown, expected)  # 100% accounted for
    for name, want in expected.items():
        got = shown[name]
        if want == "indexed":
            assert got == "indexed", (name, got)
        else:
            assert got != "indexed" and want.lower() in got.lower(), (name, got)
    assert "private" not in json.dumps(report) or "outside" in shown["escape.txt"]
    for text in GOOD.values():
        search = subprocess.run(
            [sys.executable, "-m", "mmrag", "search", text, "--index", str(index), "--json",
             "-k", "1"], capture_output=True, text=True, timeout=120, env=env, check=True)
        assert json.loads(search.stdout)[0]["text"] == text
    listed = subprocess.run([sys.executable, "-m", "mmrag", "sources", "--index", str(index),
                             "--json"], capture_output=True, text=True, env=env, check=True)
    assert not any("private" in s["path"] for s in json.loads(listed.stdout))
