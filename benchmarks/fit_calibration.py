"""Fit the relevance model and choose the floor on a mixed dev corpus.

Runs every query of a corpus made by `build_mixed_corpus.py` (ingested into INDEX by
`mmrag eval CORPUS --index INDEX` or `mmrag ingest`) through the calibrated hybrid
retriever with no floor, collects each candidate's evidence and BM25 score with whether it
answers the query, fits the logistic model of `mmrag.retrieval.calibration` by Newton's
method, and prints, for a range of floors, the share of answerable queries whose answer is
still in the top 10 and the share of no-answer queries that return nothing.

    python3 benchmarks/fit_calibration.py /tmp/mixed-dev /tmp/mixed-dev-index
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def features(rag, corpus: Path, strategy: str):
    from mmrag.evaluation.mixed import _ranked, read_mixed

    data = read_mixed(corpus)
    root = corpus.resolve()
    rows, per_query = [], []
    for q in data.queries:
        if not q.query:
            continue
        hits = rag.search(q.query, 50, strategy=strategy)
        files = _ranked(hits, root)
        for hit, name in zip(hits, [_ranked([h], root)[0] for h in hits], strict=True):
            s = hit.scores
            rows.append((s.get("evidence", 0.0), np.log1p(max(s.get("bm25", 0.0), 0.0)),
                         float(name in q.relevant)))
        per_query.append((q, files, hits))
    return np.array(rows), per_query


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Logistic regression (bias, evidence, bm25) by Newton's method with a small ridge."""
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-a @ w))
        grad = a.T @ (p - y) + l2 * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def tradeoff(per_query, weights, floors):
    from mmrag.retrieval.calibration import Calibration

    model = Calibration({}, weights)
    out = []
    for floor in floors:
        found, empty, answerable, unanswerable = 0, 0, 0, 0
        for q, _files, hits in per_query:
            ev = np.array([h.scores.get("evidence", 0.0) for h in hits])
            bm = np.array([h.scores.get("bm25", 0.0) for h in hits])
            rel = model.relevance(ev, bm) if len(hits) else np.zeros(0)
            kept = [h for h, r in zip(hits, rel, strict=True) if r >= floor]
            kept = [h for _, h in sorted(zip(-rel[rel >= floor], kept, strict=True),
                                         key=lambda t: t[0])][:10]
            if q.relevant:
                answerable += 1
                names = {Path(h.source).name for h in kept}
                found += any(Path(r).name in names for r in q.relevant)
            else:
                unanswerable += 1
                empty += not kept
        out.append((floor, found / max(answerable, 1), empty / max(unanswerable, 1)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--strategy", default="hybrid")
    args = parser.parse_args()
    from mmrag.pipeline import Pipeline

    rag = Pipeline.open(args.index)
    with __import__("mmrag.index", fromlist=["write_lock"]).write_lock(rag.index_dir):
        rag.calibration.refresh(force=True)
    rag.min_relevance = 0.0
    print(json.dumps(rag.calibration().describe()["spaces"]))
    x, per_query = features(rag, args.corpus, args.strategy)
    w = fit(x[:, :2], x[:, 2])
    weights = {"bias": float(w[0]), "evidence": float(w[1]), "bm25": float(w[2])}
    print("fitted:", json.dumps({k: round(v, 3) for k, v in weights.items()}),
          f"on {len(x)} candidates, {int(x[:, 2].sum())} relevant")
    print("floor  answerable-in-top10  no-answer-empty")
    for floor, found, empty in tradeoff(per_query, weights,
                                        [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]):
        print(f"{floor:5.2f}  {found:.3f}  {empty:.3f}")
    _ = replace
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
