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

A query is answered when its topicality reaches ``TOPICAL`` (one modality is on its
subject) or its best hit is a confident match (relevance >= ``CONFIDENT``); otherwise it
gets nothing. Measured on the mixed corpora of ``benchmarks/build_mixed_corpus.py``
(docs/benchmarks.md, "Nothing found by topicality"): chosen on dev, on held-out 0.93 of
the no-answer queries in each language return nothing while 0.96 of the answerable ones
found in the top 10 still are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..types import Hit

# log spread ratio above which a space counts a query as on its subject (x1.35 the spread)
TOPICAL = 0.3
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


def topicality(spaces: Mapping[str, tuple[np.ndarray, Mapping[str, float]]],
               query: np.ndarray, lang: str) -> float | None:
    """The query's widest spread against the probes', over the spaces (a space's sample
    and its probes' spreads); None where no space has a large enough sample."""
    ratios = []
    for sample, spread in spaces.values():
        base = spread.get(lang) or spread.get("en")
        if base and len(sample) >= MIN_SAMPLE:
            ratios.append(math.log(max(float((sample @ query).std()), 1e-9) / base))
    return max(ratios) if ratios else None


def answered(hits: Sequence[Hit], topical: float | None, *, floor: float = TOPICAL,
             confident: float = CONFIDENT) -> bool:
    """Whether ``hits`` answer their query: always where topicality is unknown (a small
    index, a strategy without relevance), else when the query is on the index's subject
    or its best hit is a confident match."""
    if topical is None or not hits or any("relevance" not in h.scores for h in hits):
        return True
    return topical >= floor or max(h.scores["relevance"] for h in hits) >= confident
