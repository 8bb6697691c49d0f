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

from mmrag.retrieval.fit import fit, outcomes, rows  # noqa: E402


def collect(rag, corpus: Path, strategy: str, depth: int = 30):
    """(query, candidate rows) for each text query, rows as `mmrag tune` builds them: each
    modality's own top ``depth`` (what fusion ranks), so that no modality's candidates are
    left out of the fit for ranking below another's."""
    from mmrag.evaluation.mixed import _ranked, read_mixed
    from mmrag.stores.filters import Filter
    from mmrag.text.tokenize import language
    from mmrag.types import MODALITIES

    data = read_mixed(corpus)
    root = corpus.resolve()
    held = [m for m in MODALITIES if rag.store.count(Filter(modalities=(m,)))]
    out = []
    for q in data.queries:
        if q.query:
            hits = [h for m in held for h in rag.search(
                q.query, depth, strategy=strategy, where=Filter(modalities=(m,)))]
            out.append((q, rows(hits, [f in q.relevant for f in
                                       (_ranked([h], root)[0] for h in hits)],
                                language(q.query))))
    return out


def measure(per_query, w, floor):
    """Per query set: MRR@10 and answered-in-top-10, or the share returning nothing."""
    result = {}
    for name in sorted({q.set for q, _ in per_query}):
        part = [(bool(q.relevant), r) for q, r in per_query if q.set == name]
        mrr, found, empty = outcomes(part, w, floor)
        result[name] = {"mrr": mrr, "r10": found} if part[0][0] else {"empty": empty}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--strategy", default="fusion")
    args = parser.parse_args()
    from mmrag.index import write_lock
    from mmrag.pipeline import Pipeline

    rag = Pipeline.open(args.index)
    with write_lock(rag.index_dir):
        rag.calibration.refresh(force=True)
    rag.min_relevance = 0.0
    per_query = collect(rag, args.corpus, args.strategy)
    data = np.concatenate([r for _, r in per_query])
    w = fit(data)  # mmrag.retrieval.fit: what `mmrag tune` fits on a user's dev set
    print("fitted:", json.dumps({k: round(float(v), 3) for k, v in w.items()}),
          f"on {len(data)} candidates, {int(data[:, 3].sum())} relevant")
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

