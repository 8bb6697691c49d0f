"""Fitting the relevance model and choosing the floor from labelled queries.

Used by ``mmrag tune`` on a user's dev set and by ``benchmarks/fit_calibration.py`` on the
mixed dev corpus that gave the defaults. Each candidate a query retrieves is one row: is
it image-like, its evidence, log1p(BM25), whether it answers the query and whether the
query is Chinese. The model is a logistic regression (a bias, evidence and BM25 weight for
text-like and image-like spaces, and offsets of the first two for Chinese queries) fitted
by Newton's method with a small ridge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..types import Hit
from .calibration import GROUP, weight_of
from .topicality import clears

FLOORS = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
# topicality bars ``mmrag tune`` chooses from (-9: every query answered; the log spread
# ratios it is compared with lie within about +-3)
BARS = (-9.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def rows(hits: Sequence[Hit], relevant: Sequence[bool], lang: str = "en") -> np.ndarray:
    """One row per hit: image-like, evidence, log1p(BM25), relevant, asked in Chinese."""
    zh = float(lang == "zh")
    return np.array([
        (float(GROUP.get(h.modality) == "image"), h.scores.get("evidence", 0.0),
         float(np.log1p(max(h.scores.get("bm25", 0.0), 0.0))), float(r), zh)
        for h, r in zip(hits, relevant, strict=True)
    ]).reshape(-1, 5)


def fit(data: np.ndarray, l2: float = 1.0) -> dict[str, float]:
    """Weights for text-like and image-like spaces (bias, evidence and BM25 each), with
    offsets for Chinese queries when the data has enough of them to fit."""
    image, ev, bm, y, zh = (data[:, i] for i in range(5))
    columns = [np.ones_like(ev), ev, image, image * ev, bm, image * bm]
    languages = zh.sum() >= 50 and (1 - zh).sum() >= 50
    if languages:
        columns += [zh, zh * ev, zh * image, zh * image * ev]
    a = np.stack(columns, axis=1)
    w = np.zeros(a.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-a @ w))
        step = np.linalg.solve((a * (p * (1 - p))[:, None]).T @ a + l2 * np.eye(len(w)),
                               a.T @ (p - y) + l2 * w)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    out = {"bias": w[0], "evidence": w[1], "bias:image": w[0] + w[2],
           "evidence:image": w[1] + w[3], "bm25": w[4], "bm25:image": w[4] + w[5]}
    if languages:
        out |= {"bias:text:zh": w[0] + w[6], "evidence:text:zh": w[1] + w[7],
                "bias:image:zh": w[0] + w[2] + w[6] + w[8],
                "evidence:image:zh": w[1] + w[3] + w[7] + w[9]}
    return {k: float(v) for k, v in out.items()}


def relevance(data: np.ndarray, w: dict[str, float]) -> np.ndarray:
    """The model of :class:`~.calibration.Calibration` on rows made by :func:`rows`."""
    logit = np.zeros(len(data))
    for image in (0.0, 1.0):
        for zh in (0.0, 1.0):
            at = (data[:, 0] == image) & (data[:, 4] == zh)
            group, lang = ("image" if image else "text"), ("zh" if zh else "en")
            bias, scale, bm = (weight_of(w, n, group, lang) for n in ("bias", "evidence", "bm25"))
            logit[at] = bias + scale * data[at, 1] + bm * data[at, 2]
    return 1 / (1 + np.exp(-logit))


def outcomes(per_query: Sequence[tuple[bool, np.ndarray]], w: dict[str, float],
             floor: float) -> tuple[float, float, float]:
    """(MRR@10, share of answerable queries answered in the top 10, share of no-answer
    queries returning nothing) when ranked by ``w`` and cut at ``floor``."""
    rr, found, empty = [], [], []
    for answerable, data in per_query:
        order = _top10(data, w, floor)[1]
        if answerable:
            rank = next((n for n, i in enumerate(order, 1) if data[i, 3] > 0), None)
            rr.append(1 / rank if rank else 0.0)
            found.append(float(rank is not None))
        else:
            empty.append(float(not order))
    return _mean(rr), _mean(found), _mean(empty)


def _top10(data: np.ndarray, w: dict[str, float], floor: float) -> tuple[np.ndarray, list[int]]:
    """The candidates' relevance under ``w`` and the rows of the top 10 at ``floor``."""
    rel = relevance(data, w) if len(data) else np.zeros(0)
    return rel, [int(i) for i in np.argsort(-rel, kind="stable") if rel[i] >= floor][:10]


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def choose_floor(per_query: Sequence[tuple[bool, np.ndarray]], w: dict[str, float],
                 keep: float = 0.95) -> float:
    """The highest floor that still answers ``keep`` of what no floor answers."""
    base = outcomes(per_query, w, 0.0)[1]
    return max(f for f in FLOORS if outcomes(per_query, w, f)[1] >= keep * base)


def gated(per_query: Sequence[tuple[bool, np.ndarray]], topicals: Sequence[float | None],
          w: dict[str, float], floor: float, bar: float) -> tuple[float, float]:
    """(share of answerable queries answered in the top 10, share of no-answer queries
    returning nothing) when a query below topicality ``bar`` without a confident hit gets
    nothing (:func:`mmrag.retrieval.topicality.clears`)."""
    found, empty = [], []
    for (answerable, data), topical in zip(per_query, topicals, strict=True):
        rel, order = _top10(data, w, floor)
        kept = bool(order) and clears(topical, float(rel[order[0]]), bar)
        if answerable:
            found.append(float(kept and any(data[i, 3] > 0 for i in order)))
        else:
            empty.append(float(not kept))
    return _mean(found), _mean(empty)


def choose_bar(per_query: Sequence[tuple[bool, np.ndarray]], topicals: Sequence[float | None],
               w: dict[str, float], floor: float, keep: float = 0.95) -> float | None:
    """The highest topicality bar that still answers ``keep`` of what none answers (None
    where no query's topicality could be read: an index too small to have spreads)."""
    if all(t is None for t in topicals):
        return None
    base = gated(per_query, topicals, w, floor, BARS[0])[0]
    return max(b for b in BARS if gated(per_query, topicals, w, floor, b)[0] >= keep * base)
