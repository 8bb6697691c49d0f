"""Fitting the relevance model and choosing the floor from labelled queries.

Used by ``mmrag tune`` on a user's dev set and by ``benchmarks/fit_calibration.py`` on the
mixed dev corpus that gave the defaults. Each candidate a query retrieves is one row: is
it image-like, its evidence, log1p(BM25), and whether it answers the query. The model is
a logistic regression (a bias and evidence weight for text-like and image-like spaces, one
BM25 weight) fitted by Newton's method with a small ridge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..types import Hit
from .calibration import GROUP

FLOORS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)


def rows(hits: Sequence[Hit], relevant: Sequence[bool]) -> np.ndarray:
    return np.array([
        (float(GROUP.get(h.modality) == "image"), h.scores.get("evidence", 0.0),
         float(np.log1p(max(h.scores.get("bm25", 0.0), 0.0))), float(r))
        for h, r in zip(hits, relevant, strict=True)
    ]).reshape(-1, 4)


def fit(data: np.ndarray, l2: float = 1.0) -> dict[str, float]:
    image, ev, bm, y = data[:, 0], data[:, 1], data[:, 2], data[:, 3]
    a = np.stack([np.ones_like(ev), ev, image, image * ev, bm], axis=1)
    w = np.zeros(a.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-a @ w))
        step = np.linalg.solve((a * (p * (1 - p))[:, None]).T @ a + l2 * np.eye(len(w)),
                               a.T @ (p - y) + l2 * w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return {"bias": float(w[0]), "evidence": float(w[1]), "bias:image": float(w[0] + w[2]),
            "evidence:image": float(w[1] + w[3]), "bm25": float(w[4])}


def relevance(data: np.ndarray, w: dict[str, float]) -> np.ndarray:
    image = data[:, 0] > 0
    bias = np.where(image, w["bias:image"], w["bias"])
    scale = np.where(image, w["evidence:image"], w["evidence"])
    return 1 / (1 + np.exp(-(bias + scale * data[:, 1] + w["bm25"] * data[:, 2])))


def outcomes(per_query: Sequence[tuple[bool, np.ndarray]], w: dict[str, float],
             floor: float) -> tuple[float, float, float]:
    """(MRR@10, share of answerable queries answered in the top 10, share of no-answer
    queries returning nothing) when ranked by ``w`` and cut at ``floor``."""
    rr, found, empty = [], [], []
    for answerable, data in per_query:
        rel = relevance(data, w) if len(data) else np.zeros(0)
        order = [i for i in np.argsort(-rel, kind="stable") if rel[i] >= floor][:10]
        if answerable:
            rank = next((n for n, i in enumerate(order, 1) if data[i, 3] > 0), None)
            rr.append(1 / rank if rank else 0.0)
            found.append(float(rank is not None))
        else:
            empty.append(float(not order))
    return _mean(rr), _mean(found), _mean(empty)


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def choose_floor(per_query: Sequence[tuple[bool, np.ndarray]], w: dict[str, float],
                 keep: float = 0.95) -> float:
    """The highest floor that still answers ``keep`` of what no floor answers."""
    base = outcomes(per_query, w, 0.0)[1]
    return max(f for f in FLOORS if outcomes(per_query, w, f)[1] >= keep * base)
