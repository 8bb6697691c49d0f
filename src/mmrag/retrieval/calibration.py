"""Scores that mean the same thing in every modality: a calibrated relevance estimate.

A raw cosine says little across modalities: ConSE image vectors (means of class-name
embeddings, English and Chinese) sit close to every query, Chinese queries most of all, so
an unrelated photo outscores the right recording. What does compare is how far a hit
stands above the *background* of its own modality for *this* query. The index keeps a
random sample of each modality's vectors (and of images' alternative vectors); at query
time the query's cosines to that sample give the background mean and spread, so a hit's
z-score is ``(cos - mean) / std`` and its evidence is

    evidence = -log10(N * P(background >= cos))

the expected number of unrelated items of that modality scoring as high (N items, a
Gaussian tail): as in BLAST's E-values, a hit that many unrelated items would match is no
evidence, whatever the modality or language, and the bar rises with the corpus size.
Evidence and the hit's BM25 score go through a logistic model to give ``relevance``, a
probability that the hit answers the query; hits below the index's floor are not
returned, so a query with nothing relevant returns nothing.

The model's weights were fitted on a dev corpus built from training data
(``benchmarks/build_mixed_corpus.py``: Flickr8k train/val photos and spoken captions,
SciFact abstracts by title, no-answer queries); ``mmrag tune`` refits them on a user's own
dev set, and the manifest keeps the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Hit
from .topicality import CONFIDENT, TOPICAL, topicality

SAMPLE = 512  # background vectors kept per space (a modality, or images' alt vectors)
PRIOR = 20  # how many of the index's own items the reference background counts for
# refresh the sample when a space's item count has moved by this share since it was drawn
REFRESH = 0.1
FILE = "calibration.npz"
# What made the references (bumped when they change): 2 = bridged images' references are
# real photos through the bridge (:func:`mmrag.embedders.conse.ConSE.background_images`);
# 3 = each space also keeps its probes' spread (:mod:`.topicality`). An index saved with
# older ones has them redrawn when it is opened.
REFERENCES = 3
# transcripts are embedded as text; a 3D model as its rendered views, like images
GROUP = {"image": "image", "mesh": "image", "alt:average": "image"}
NEAREST = {"audio": "text", "video": "text", "alt:text": "text", "mesh": "image",
           "alt:average": "image"}

# The logistic model: relevance = sigmoid(bias + evidence * e + bm25 * log1p(bm25 score)),
# with weights of their own for image-like spaces and for Chinese queries (``bias:image``,
# ``evidence:text:zh``...; the most specific one an index has is read). Fitted by
# benchmarks/fit_calibration.py on the mixed dev corpus (each modality's top 30 candidates
# of its 315 queries) once images' references were real photos through the bridge (before,
# every image's z-score was squashed to about 0, so images could not be ranked against
# text at all) and Chinese queries' words were also searched in English (text/translate).
# Chinese queries get a higher bias: their right answers stand out less from the
# background (they cross languages), so the same evidence means more. Held out: macro
# MRR@10 0.534 -> 0.638 (docs/benchmarks.md, "Image references and Chinese in English").
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "bias": -6.143, "evidence": 1.947, "bm25": 1.593,
    "bias:image": -4.137, "evidence:image": 2.634, "bm25:image": 0.78,
    "bias:text:zh": -4.597, "evidence:text:zh": 2.317,
    "bias:image:zh": -3.598, "evidence:image:zh": 2.313,
}
# Hits below this relevance are not returned; by default none is cut. Measured on the mixed
# dev corpus with the default image bridge (docs/benchmarks.md, "The relevance floor"), and
# confirmed on the held-out one: a floor of 0.01 turned away most Chinese-asked answers
# (hybrid: recordings R@10 0.95 -> 0.30; fusion: photos 0.85 -> 0.08) and barely any English
# no-answer query (7%), since Chinese queries draw weaker evidence whether or not the index
# answers them. Weak hits are labelled as such instead (the page, `relevance`), and
# `--min-relevance` or `mmrag tune` sets a floor for an index that wants one.
DEFAULT_FLOOR = 0.0


def weight_of(weights: Mapping[str, float], name: str, group: str, lang: str) -> float:
    """One weight of the model for a space group and query language: the most specific
    of ``name:group:lang``, ``name:group`` and ``name`` that ``weights`` has."""
    for key in (f"{name}:{group}:{lang}", f"{name}:{group}"):
        if key in weights:
            return weights[key]
    return weights[name]


@dataclass(frozen=True)
class Background:
    count: int  # items in the space when the sample was drawn
    vectors: np.ndarray  # (sample, dim), unit rows
    # vectors of unrelated reference content of the same kind (everyday sentences, random
    # image-class mixtures): with them a space of a few items still has a background
    reference: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # per language, everyday sentences' median spread over the sample, asked as queries
    # (:mod:`.topicality`: what an off-subject query's spread looks like here)
    spread: Mapping[str, float] = field(default_factory=dict)

    def stats(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and spread of the query's cosines to unrelated items of this space: the
        sample's, pulled towards the reference's as a prior worth ``PRIOR`` items (so it
        decides for a handful of files and hardly matters for hundreds)."""
        own = self.vectors @ query if len(self.vectors) else np.zeros(0, np.float32)
        ref = self.reference @ query if len(self.reference) else np.zeros(0, np.float32)
        if not len(ref):
            sims = own if len(own) else np.zeros(1, np.float32)
            return float(sims.mean()), max(float(sims.std()), 1e-3)
        if not len(own):
            return float(ref.mean()), max(float(ref.std()), 1e-3)
        a, b = len(own), PRIOR
        mean = (a * own.mean() + b * ref.mean()) / (a + b)
        var = (a * (own.var() + (own.mean() - mean) ** 2)
               + b * (ref.var() + (ref.mean() - mean) ** 2)) / (a + b)
        return float(mean), max(float(np.sqrt(var)), 1e-3)


@dataclass(frozen=True)
class Calibration:
    spaces: Mapping[str, Background] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    floor: float = DEFAULT_FLOOR
    # whether weights and floor are the index's own (``mmrag tune``); otherwise they are
    # this mmrag's defaults and are not written into the manifest, so a newer mmrag's
    # better defaults reach old indexes
    tuned: bool = False
    references: int = REFERENCES  # what made the saved references (REFERENCES)
    # the topicality a query needs to be answered (:mod:`.topicality`), tuned with the floor
    topical: float = TOPICAL

    def __bool__(self) -> bool:
        return bool(self.spaces)

    def evidence(self, query: np.ndarray, space: str, cosines: np.ndarray,
                 count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(z-scores, evidence) of ``cosines`` against ``space``'s background for ``query``."""
        cosines = np.asarray(cosines, dtype=np.float64)
        # a space not sampled yet (written since) borrows the nearest one's background
        background = self.spaces.get(space) or self.spaces.get(NEAREST.get(space, ""))
        if background is None or len(background.vectors) + len(background.reference) < 2:
            return np.zeros_like(cosines), np.zeros_like(cosines)
        mean, std = background.stats(np.asarray(query, dtype=np.float32))
        return gaussian_evidence(cosines, mean, std, count or background.count)

    def topicality(self, query: np.ndarray, lang: str) -> float | None:
        """How far the query is on the subject of some space (:mod:`.topicality`)."""
        return topicality({s: (b.vectors, b.spread) for s, b in self.spaces.items()},
                          np.asarray(query, dtype=np.float32), lang)

    def relevance(self, evidence: np.ndarray, bm25: np.ndarray, space: str = "text",
                  lang: str = "en") -> np.ndarray:
        """The logistic model. Image-like spaces (images, their alt vectors, 3D models'
        views) may have weights of their own (``bias:image``...), since an image vector's
        closeness is weaker evidence than a text's, and so may a query language
        (``bias:image:zh``...): a Chinese query's cosines stand out from a background
        differently from an English one's."""
        group = GROUP.get(space, "text")

        def weight(name: str) -> float:
            return weight_of(self.weights, name, group, lang)

        logit = (weight("bias") + weight("evidence") * np.asarray(evidence, dtype=np.float64)
                 + weight("bm25") * np.log1p(np.maximum(np.asarray(bm25, dtype=np.float64),
                                                         0.0)))
        return 1.0 / (1.0 + np.exp(-logit))

    # -- keeping it with the index ------------------------------------------------------
    def save(self, index_dir: Path) -> dict[str, Any]:
        """Write the samples beside the manifest; return the manifest's entry."""
        tmp = index_dir / (FILE + ".tmp.npz")
        arrays: dict[str, Any] = {_key(s): b.vectors for s, b in self.spaces.items()}
        arrays |= {"ref__" + _key(s): b.reference for s, b in self.spaces.items()}
        np.savez(tmp, **arrays)
        tmp.replace(index_dir / FILE)
        entry = self.describe()
        if not self.tuned:
            del entry["weights"], entry["floor"], entry["nothing_found"]
        return entry

    def describe(self) -> dict[str, Any]:
        return {
            "spaces": {s: {"count": b.count, "sample": len(b.vectors),
                           "reference": len(b.reference),
                           **({"spread": dict(b.spread)} if b.spread else {})}
                       for s, b in sorted(self.spaces.items())},
            "nothing_found": {"topical": self.topical, "confident": CONFIDENT},
            "weights": dict(self.weights), "floor": self.floor,
            "references": self.references,
        }

    @classmethod
    def load(cls, index_dir: Path, entry: Mapping[str, Any] | None) -> Calibration:
        """The calibration an index records (an empty one if it has none yet); the default
        floor unless the index records its own (``mmrag tune``)."""
        tuned = bool(entry and "weights" in entry)
        weights = {**DEFAULT_WEIGHTS, **dict((entry or {}).get("weights") or {})}
        floor = float((entry or {}).get("floor", DEFAULT_FLOOR))
        topical = float(((entry or {}).get("nothing_found") or {}).get("topical", TOPICAL))
        path = index_dir / FILE
        if not entry or not path.exists():
            return cls({}, weights, floor, tuned, topical=topical)
        made = int(entry.get("references", 1))
        with np.load(path) as data:
            spaces = {
                s: Background(int(info["count"]), data[_key(s)].astype(np.float32),
                              data["ref__" + _key(s)].astype(np.float32)
                              if "ref__" + _key(s) in data else np.zeros((0, 0), np.float32),
                              {k: float(v) for k, v in info.get("spread", {}).items()})
                for s, info in entry.get("spaces", {}).items() if _key(s) in data
            }
        return cls(spaces, weights, floor, tuned, made, topical)

    def stale(self, counts: Mapping[str, int]) -> bool:
        """Whether the index has grown or shrunk enough since the samples were drawn."""
        if set(counts) != set(self.spaces):
            return True
        return any(abs(n - self.spaces[s].count) > REFRESH * max(self.spaces[s].count, 1)
                   for s, n in counts.items())


def gaussian_evidence(
    scores: np.ndarray, mean: float, std: float, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """(z, -log10(count * upper tail of z)), the tail from the complementary error
    function, in logs so that far tails do not underflow to zero."""
    z = (np.asarray(scores, dtype=np.float64) - mean) / std
    tail = np.array([_log10_tail(v) for v in z.ravel()]).reshape(z.shape)
    return z, -(math.log10(max(count, 1)) + tail)


def _log10_tail(z: float) -> float:
    if z < 5.0:
        return math.log10(max(0.5 * math.erfc(z / math.sqrt(2.0)), 1e-300))
    # Mills ratio: P(Z > z) ~ phi(z) / z for large z
    return (-0.5 * z * z - math.log(z * math.sqrt(2.0 * math.pi))) / math.log(10.0)


def _key(space: str) -> str:
    return space.replace(":", "__")


def calibrate(
    calibration: Calibration,
    query: np.ndarray,
    dense: Sequence[Hit],
    bm25: Sequence[Hit],
    vectors: Callable[[list[str]], np.ndarray],
    space_of: Callable[[Hit], str] = lambda hit: hit.modality,
    others: Sequence[Hit] = (),
    lang: str = "en",
) -> list[Hit]:
    """One ranking by relevance from a dense and a BM25 ranking (of any modalities).

    A hit BM25 found alone gets its cosine from its stored vector, so every hit is judged
    on both; ``lang`` is the query's language (:func:`mmrag.text.tokenize.language`). Each keeps its
    stage scores: ``dense`` (cosine), ``dense_z``, ``evidence``,
    ``bm25`` (when BM25 found it) and ``relevance``, which is also its ``score``."""
    merged: dict[str, Hit] = {}
    cosine: dict[str, float] = {}
    lexical: dict[str, float] = {}
    for hit in dense:
        merged.setdefault(hit.id, hit)
        cosine.setdefault(hit.id, hit.scores.get("dense", hit.score))
    for hit in bm25:
        merged.setdefault(hit.id, hit)
        lexical.setdefault(hit.id, hit.scores.get("bm25", hit.score))
    for hit in others:  # found by another ranking (sound-alikes): judged the same way
        merged.setdefault(hit.id, hit)
    missing = [i for i in merged if i not in cosine]
    if missing:
        for i, vector in zip(missing, vectors(missing), strict=True):
            cosine[i] = float(np.asarray(vector, dtype=np.float32) @ query)
    groups: dict[str, list[str]] = {}
    for i, hit in merged.items():
        groups.setdefault(space_of(hit), []).append(i)
    out = []
    for space, ids in groups.items():
        z, evidence = calibration.evidence(query, space, np.array([cosine[i] for i in ids]))
        relevance = calibration.relevance(
            evidence, np.array([lexical.get(i, 0.0) for i in ids]), space, lang)
        for n, i in enumerate(ids):
            scores = {**merged[i].scores, "dense": cosine[i], "dense_z": float(z[n]),
                      "evidence": float(evidence[n]), "relevance": float(relevance[n])}
            if i in lexical:
                scores["bm25"] = lexical[i]
            out.append(replace(merged[i], score=float(relevance[n]), scores=scores))
    out.sort(key=lambda h: (-h.score, h.id))
    return out


def above(hits: Sequence[Hit], floor: float) -> list[Hit]:
    """The hits whose calibrated relevance reaches ``floor`` (hits of a strategy that does
    not calibrate, kept for comparison, carry no relevance and are all kept)."""
    return [h for h in hits if h.scores.get("relevance", 1.0) >= floor]
