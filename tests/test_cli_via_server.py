"""`mmrag search` answered by a running server on the same index (mmrag.cli.via_server):
the same output as an in-process search, no lancedb imported, and an in-process search
whenever the server could answer differently (a manifest another process changed, a token
it wants, a dead server)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mmrag.cli.main import main
from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app
from mmrag.server.discovery import RECORD, announced, find
from servers import SRC, serve_app

QUERY = ["search", "熊猫吃什么", "-k", "3", "--json"]


@pytest.fixture
def served(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch):
    """A hash-embedder index with a live server announced on it; yields (index, calls),
    ``calls`` counting the searches the server ran."""
    monkeypatch.delenv("MMRAG_SERVER", raising=False)
    monkeypatch.delenv("MMRAG_API_TOKEN", raising=False)
    index = tmp_path / "index"
    rag = Pipeline.open(index, embedder="hash", create=True)
    rag.ingest([corpus])
    calls: list[str] = []
    search = rag.search

    def counted(query: str, *args: object, **kwargs: object) -> object:
        calls.append(query)
        return search(query, *args, **kwargs)

    rag.search = counted  # type: ignore[method-assign]
    with serve_app(create_app(rag, Settings())) as url, \
            announced({"default": rag}, "127.0.0.1", urlsplit(url).port or 0, auth=False):
        yield index, calls
    assert not (index / RECORD).exists()  # removed when the server stops


def _search(index: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict]:
    assert main([*QUERY, "--index", str(index), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_server_answers_as_this_process_would(served, capsys, monkeypatch):
    index, calls = served
    via_server = _search(index, capsys, "--source", "*.txt")
    assert calls == ["熊猫吃什么"]
    monkeypatch.setenv("MMRAG_SERVER", "off")
    in_process = _search(index, capsys, "--source", "*.txt")
    assert calls == ["熊猫吃什么"]
    assert via_server == in_process and via_server[0]["source"].endswith("panda.txt")
    assert all(h["source"].endswith(".txt") for h in via_server)
    monkeypatch.delenv("MMRAG_SERVER")
    assert main(["search", "熊猫吃什么", "-k", "2", "--index", str(index)]) == 0
    text = capsys.readouterr().out
    assert calls == ["熊猫吃什么"] * 2 and "panda.txt" in text and "relevance" in text


def test_a_search_through_the_server_imports_no_store(served):
    index, calls = served
    code = ("import sys; from mmrag.cli.main import main; "
            f"code = main({[*QUERY, '--index', str(index)]!r}); "
            "print(code, sorted(m for m in ('lancedb', 'pyarrow', 'numpy', 'pydantic') "
            "if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.splitlines()[-1] == "0 []"
    assert calls == ["熊猫吃什么"]


def test_a_manifest_changed_by_another_process_is_searched_here(served, capsys):
    index, calls = served
    manifest = index / "mmrag.json"
    shutil.copy(manifest, index / "other.json")  # another process's write: a new file
    os.replace(index / "other.json", manifest)
    hits = _search(index, capsys)
    assert calls == [] and hits and hits[0]["source"].endswith("panda.txt")


def test_a_file_ingested_meanwhile_is_found(served, capsys, tmp_path):
    """Whichever answers (the server refreshes its tables; a redrawn calibration sends the
    search in-process), the file another process just ingested is found."""
    index, _ = served
    note = tmp_path / "zorb.txt"
    note.write_text("The zorbulent quasar glows violet.", encoding="utf-8")
    Pipeline.open(index).ingest([note])
    assert main(["search", "zorbulent quasar", "-k", "1", "--json", "--index", str(index)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == str(note)


def test_a_server_wanting_a_token_is_not_asked_without_one(tmp_path, served, capsys):
    index, calls = served
    record = json.loads((index / RECORD).read_text())
    (index / RECORD).write_text(json.dumps({**record, "auth": True}))
    assert _search(index, capsys) and calls == []


def test_a_dead_server_is_not_asked(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    index = tmp_path / "index"
    index.mkdir()
    record = {"pid": int(done.stdout), "machine": socket.gethostname(), "auth": False,
              "api": "http://127.0.0.1:9/api"}
    (index / RECORD).write_text(json.dumps(record))
    assert find(index) is None
    (index / RECORD).write_text(json.dumps({**record, "pid": os.getpid()}))
    assert find(index) == record | {"pid": os.getpid()}


def test_mmrag_serve_announces_itself_until_it_stops(tmp_path, corpus, capsys, monkeypatch):
    from servers import serve_cli

    monkeypatch.delenv("MMRAG_SERVER", raising=False)
    index = tmp_path / "index"
    Pipeline.open(index, embedder="hash", create=True).ingest([corpus])
    with serve_cli(index) as url:
        record = find(index)
        assert record is not None and record["api"] == f"{url}/api"
        assert _search(index, capsys)[0]["source"].endswith("panda.txt")
    assert not (index / RECORD).exists()  # SIGTERM went through the server's cleanup


def test_the_record_names_an_address_the_cli_can_reach():
    from mmrag.server.discovery import api_base

    assert api_base("0.0.0.0", 8000, "default", True) == "http://127.0.0.1:8000/api"
    assert api_base("::", 8000, "default", True) == "http://[::1]:8000/api"
    assert api_base("::1", 8000, "work", False) == "http://[::1]:8000/c/work/api"
    assert api_base("192.168.1.5", 80, "work", False) == "http://192.168.1.5:80/c/work/api"
