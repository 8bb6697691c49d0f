"""How long the command line takes to start: `mmrag --help` and `mmrag search` on the sample
index, each a fresh process, and what its imports cost (`python -X importtime`).

    python3 benchmarks/bench_cli.py                        # this tree, 7 runs each
    python3 benchmarks/bench_cli.py --vs /path/to/other/src    # A/B/A/B against another tree
    python3 benchmarks/bench_cli.py --serve     # also: search answered by a running `mmrag serve`

Runs alternate between the trees, so a machine's drift falls on both; the ratio of the
medians is the figure to quote on a shared machine. Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
QUERY = "熊猫吃什么"


def timed(src: Path, args: list[str], server: bool = False) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``python -m mmrag ARGS`` run on the tree ``src``; with
    ``server`` False, a search never asks a running server (``MMRAG_SERVER=off``)."""
    env = {**os.environ, "PYTHONPATH": str(src), "MMRAG_SERVER": "on" if server else "off"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mmrag", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports(src: Path, args: list[str], top: int = 8) -> list[tuple[str, float]]:
    """The packages whose own import time is largest (ms), from ``-X importtime``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mmrag", *args], env=env,
                         check=True, capture_output=True, text=True).stderr
    own: Counter[str] = Counter()
    for line in out.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            own[parts[2].strip().split(".")[0]] += int(parts[0]) / 1000
    return own.most_common(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--vs", type=Path, default=None, help="another tree's src folder")
    parser.add_argument("--serve", action="store_true",
                        help="also time this tree's search with `mmrag serve` up on the index")
    args = parser.parse_args()
    trees = {"this": SRC, **({"vs": args.vs} if args.vs else {})}
    with tempfile.TemporaryDirectory(prefix="mmrag-bench-cli-") as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        subprocess.run([sys.executable, "-m", "mmrag", "sample", str(corpus)], check=True,
                       env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "mmrag", "ingest", str(corpus), "--index",
                        str(index), "--no-progress"], check=True,
                       env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL)
        commands = {"--help": ["--help"], "search": ["search", QUERY, "--index", str(index)]}
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        with ExitStack() as stack:
            if args.serve:
                sys.path.insert(0, str(SRC.parent / "tests"))
                from servers import serve_cli

                stack.enter_context(serve_cli(index, timeout=300))
            for _ in range(args.runs + 1):  # the first round warms the caches, not counted
                for name, argv in commands.items():
                    for tree, src in trees.items():
                        times.setdefault((tree, name), []).append(timed(src, argv))
                    if args.serve and name == "search":
                        times.setdefault(("this", "search, serve up"), []).append(
                            timed(SRC, argv, server=True))
        print(f"1-minute load average {os.getloadavg()[0]:.1f}; {args.runs} runs, medians")
        print("| tree | command | wall s | CPU s |\n|---|---|---|---|")
        medians = {}
        for (tree, name), rows in times.items():
            wall = statistics.median(w for w, _ in rows[1:])
            cpu = statistics.median(c for _, c in rows[1:])
            medians[tree, name] = wall
            print(f"| {tree} | {name} | {wall:.3f} | {cpu:.3f} |")
        if args.vs:
            for name in commands:
                print(f"this/vs wall, {name}: {medians['this', name] / medians['vs', name]:.2f}")
        if args.serve:
            served = medians["this", "search, serve up"]
            print(f"search with serve up / in-process, this tree: "
                  f"{served / medians['this', 'search']:.2f}")
        for tree, src in trees.items():
            top = ", ".join(f"{p} {ms:.0f}" for p, ms in imports(src, commands["search"]))
            print(f"{tree}: search's own import ms by package: {top}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
