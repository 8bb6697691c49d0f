"""The shape docs/architecture.md promises, checked on the source tree itself."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mmrag"
EDGES = ("cli", "server")  # the only places that read index-shaping settings from the env
INDEX_SHAPING = ("MMRAG_IMAGE_MODELS", "MMRAG_OCR", "MMRAG_STRATEGY_VECTORS", "MMRAG_MESH_VIEWS",
                 "MMRAG_MESH_MAX_FACES", "MMRAG_MESH_MAX_MB", "MMRAG_CLIP_PATH")


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def test_no_source_file_is_over_300_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}


def test_index_shaping_settings_are_read_from_the_environment_only_at_the_edge():
    reads = re.compile(r"environ|getenv")
    found = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] in EDGES:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if reads.search(line) and any(name in line for name in INDEX_SHAPING):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
            if re.search(r"environ(\.get)?\(|environ\[", line) and "MMRAG_" in line \
                    and "MMRAG_CACHE" not in line and "MMRAG_INDEX" not in line \
                    and "MMRAG_LLM" not in line:
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert found == []


def test_stores_are_never_probed_for_what_they_keep():
    probe = re.compile(r"\b(hasattr|getattr)\(\s*[\w.]*store\b")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if probe.search(line) and "'name'" not in line]
    assert found == []


def test_no_import_circle_between_modules():
    """Module-level imports only (a function's lazy import runs after every module is
    loaded); a package importing its own submodules to register them is not a circle."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != name and not (
                        path.name == "__init__.py" and target.startswith(name + ".")):
                    graph[name].add(target)
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                circles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert circles == []


def test_the_example_plugin_loads_through_its_entry_point(tmp_path):
    """docs/architecture.md's example loader, installed the way pip installs it (a module
    and a dist-info folder with its entry point), is found by name and extension."""
    site = tmp_path / "site"
    info = site / "mmrag_vtt-0.1.0.dist-info"
    info.mkdir(parents=True)
    example = SRC.parents[1] / "examples" / "plugin" / "mmrag_vtt.py"
    (site / "mmrag_vtt.py").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mmrag-vtt\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[mmrag.loaders]\nvtt = mmrag_vtt:VttLoader\n")
    talk = tmp_path / "talks"
    talk.mkdir()
    (talk / "keynote.vtt").write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.500\nWelcome to the harbour tour.\n\n"
        "2\n00:01:02.000 --> 00:01:09.000\nThe lighthouse was built in 1874 of granite.\n",
        encoding="utf-8")
    env = {"PYTHONPATH": f"{site}:{SRC.parent}", "PATH": "/usr/bin:/bin"}
    index = tmp_path / "index"

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "mmrag", *args, "--index", str(index)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("ingest", str(talk), "--embedder", "hash", "--no-progress")
    import json

    hits = json.loads(run("search", "lighthouse granite", "-k", "1", "--json"))
    assert hits[0]["source"].endswith("keynote.vtt")
    assert hits[0]["span"] == {"start": 62.0, "end": 69.0}
