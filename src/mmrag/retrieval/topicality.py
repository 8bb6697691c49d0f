"""Whether an index holds anything on a query's subject: "nothing found" for the rest.

A hit's relevance says how far it stands above the other items of its modality, and some
item always stands highest: a short transcript ("a boy points.") sits near nonsense such
as "zqxjvw kkkk", and a question about Peru still has a nearest photo. What does tell an
off-subject query is how its cosines *spread* over a modality's items. A query about what
the items show is near some of them and far from others; one about nothing they hold is
about equally far from all, like an everyday sentence (the spread of retrieval scores as a
query-performance predictor, as in NQC, Shtok et al. 2012). So each space of the index
keeps the median spread of everyday sentences asked as queries, per language (the
calibration's reference sentences, :func:`.background.reference_sentences`), and a query's
*topicality* is its widest spread against that, over the index's spaces:

    topicality = max over spaces of log(std(cos(query, sample)) / probes' median std)

(image-like spaces' ratios raised by ``IMAGE_LIFT``: bridged image vectors spread less
with a query's subject than text does). A query is answered when its topicality reaches
``TOPICAL`` (one modality is on its subject) or its best hit is a confident match
(relevance >= ``CONFIDENT``); otherwise it gets nothing. Chosen on dev data (the mixed dev
corpus of ``benchmarks/build_mixed_corpus.py``, Flickr8k val) and checked once on held-out
(docs/benchmarks.md, "Nothing found by topicality"): on the held-out mixed corpus 0.93 of
the no-answer queries in each language return nothing, and 0.98 of the answers found
without the judgement are still found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..embedders import embed_query
from ..text.tokenize import language
from ..types import Hit

# log spread ratio above which a space counts a query as on its subject (x1.35 the spread)
TOPICAL = 0.3
# Added to image-like spaces' ratios. Flickr8k val captions against its 113 photos alone
# have a median ratio of 0.34-0.41 (0.57 for text queries of their own text): at 0.3 an
# image-only index turned away 14-17% of the answers it found, at 0.2 5-7%
IMAGE_LIFT = 0.1
# a hit at least this relevant answers the query whatever the spread
CONFIDENT = 0.7
# a space's spread is read only from a sample this large: a handful of items spread by
# chance, while the spread of 30 cosines is off by about 13% (0.13 in the log ratio)
MIN_SAMPLE = 30


def probe_spread(sample: np.ndarray, probes: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Per language, the median spread of the probe queries' cosines to ``sample``."""
    if len(sample) < MIN_SAMPLE:
        return {}
    return {lang: float(np.median((vectors @ sample.T).std(axis=1)))
            for lang, vectors in probes.items() if len(vectors)}


def topicality(spaces: Mapping[str, tuple[np.ndarray, Mapping[str, float], bool]],
               query: np.ndarray, lang: str) -> float | None:
    """The query's widest spread against the probes', over the spaces (a space's sample,
    its probes' spreads and whether it is image-like); None where no space has a large
    enough sample."""
    ratios = []
    for sample, spread, image_like in spaces.values():
        base = spread.get(lang) or spread.get("en")
        if base and len(sample) >= MIN_SAMPLE:
            ratio = math.log(max(float((sample @ query).std()), 1e-9) / base)
            ratios.append(ratio + (IMAGE_LIFT if image_like else 0.0))
    return max(ratios) if ratios else None


def clears(topical: float | None, best: float, floor: float = TOPICAL,
           confident: float = CONFIDENT) -> bool:
    """The rule: a query whose topicality is unknown (a small index), reaches ``floor``,
    or whose best hit has relevance ``confident`` is answered."""
    return topical is None or topical >= floor or best >= confident


def judged(hits: Sequence[Hit]) -> bool:
    """Whether there are hits to judge: some, each with a calibrated relevance (a strategy
    kept for comparison calibrates none, and is never cut)."""
    return bool(hits) and all("relevance" in h.scores for h in hits)


def answered(hits: Sequence[Hit], topical: float | None, *, floor: float = TOPICAL,
             confident: float = CONFIDENT) -> bool:
    """Whether ``hits`` answer their query (:func:`clears`); always where there is
    nothing to judge."""
    if not judged(hits):
        return True
    return clears(topical, max(h.scores["relevance"] for h in hits), floor, confident)


def on_subject(calibration: Any, embedder: Any, query: str, hits: Sequence[Hit]) -> bool:
    """Whether the index (its ``calibration``) holds anything on ``query``'s subject."""
    if not judged(hits):
        return True  # before the query vector: a BM25-only strategy never embeds it
    topical = calibration.topicality(embed_query(embedder, query), language(query))
    return answered(hits, topical, floor=calibration.topical)
