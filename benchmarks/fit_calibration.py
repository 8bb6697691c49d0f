"""Fit the relevance model and choose the floor on a mixed dev corpus.

Runs every query of a corpus made by `build_mixed_corpus.py` (ingested into INDEX by
`mmrag eval CORPUS --index INDEX`) through the calibrated hybrid retriever with no floor,
collects each candidate's space, evidence and BM25 score with whether it answers the query,
fits the logistic model of `mmrag.retrieval.calibration` (a bias and evidence weight for
text-like and for image-like spaces, one BM25 weight) by Newton's method, and prints per
query set, for a range of floors, MRR@10, the share of answerable queries whose answer is
in the top 10 and the share of no-answer queries that return nothing.

    python3 benchmarks/fit_calibration.py /tmp/mixed-dev /tmp/mixed-dev-index
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mmrag.retrieval.fit import fit, relevance  # noqa: E402


def collect(rag, corpus: Path, strategy: str):
    from mmrag.evaluation.mixed import _ranked, read_mixed
    from mmrag.retrieval.calibration import GROUP

    data = read_mixed(corpus)
    root = corpus.resolve()
    out = []
    for q in data.queries:
        if not q.query:
            continue
        hits = rag.search(q.query, 50, strategy=strategy)
        rows = []
        for hit in hits:
            s = hit.scores
            image = GROUP.get(hit.modality) == "image"
            rows.append((float(image), s.get("evidence", 0.0),
                         float(np.log1p(max(s.get("bm25", 0.0), 0.0))),
                         float(_ranked([hit], root)[0] in q.relevant)))
        out.append((q, np.array(rows).reshape(-1, 4)))
    return out


def measure(per_query, w, floor):
    sets: dict[str, dict[str, list[float]]] = {}
    for q, rows in per_query:
        rel = relevance(rows, w) if len(rows) else np.zeros(0)
        order = [i for i in np.argsort(-rel, kind="stable") if rel[i] >= floor][:10]
        m = sets.setdefault(q.set, {})
        if q.relevant:
            rank = next((n for n, i in enumerate(order, 1) if rows[i, 3] > 0), None)
            m.setdefault("mrr", []).append(1 / rank if rank else 0.0)
            m.setdefault("r10", []).append(float(rank is not None))
        else:
            m.setdefault("empty", []).append(float(not order))
    return {s: {k: float(np.mean(v)) for k, v in m.items()} for s, m in sets.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--strategy", default="hybrid")
    args = parser.parse_args()
    from mmrag.index import write_lock
    from mmrag.pipeline import Pipeline

    rag = Pipeline.open(args.index)
    with write_lock(rag.index_dir):
        rag.calibration.refresh(force=True)
    rag.min_relevance = 0.0
    per_query = collect(rag, args.corpus, args.strategy)
    rows = np.concatenate([r for _, r in per_query])
    w = fit(rows)  # mmrag.retrieval.fit: what `mmrag tune` fits on a user's dev set
    print("fitted:", json.dumps({k: round(float(v), 3) for k, v in w.items()}),
          f"on {len(rows)} candidates, {int(rows[:, 3].sum())} relevant")
    for floor in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        result = measure(per_query, w, floor)
        answerable = [m for m in result.values() if "mrr" in m]
        print(f"floor {floor:.2f}: macro MRR {np.mean([m['mrr'] for m in answerable]):.3f} "
              f"min R@10 {min(m['r10'] for m in answerable):.3f}  " + "  ".join(
                  f"{s} " + "/".join(f"{v:.2f}" for v in m.values())
                  for s, m in sorted(result.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def gate(per_query, w, gates, floor=0.0):
    """Query-level abstention: nothing when the best hit is below ``gate``."""
    for g in gates:
        kept = {}
        for q, rows in per_query:
            rel = relevance(rows, w) if len(rows) else np.zeros(0)
            ok = len(rel) and rel.max() >= g
            m = kept.setdefault(q.set, [])
            if q.relevant:
                order = [i for i in np.argsort(-rel, kind="stable") if rel[i] >= floor][:10]
                m.append(float(bool(ok) and any(rows[i, 3] > 0 for i in order)))
            else:
                m.append(float(not ok))
        print(f"gate {g:.2f}: " + "  ".join(f"{s} {np.mean(v):.2f}" for s, v in sorted(kept.items())))
