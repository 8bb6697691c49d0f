"""Searching for a benchmark whose every query has an answer (BEIR, captions).

Ranking quality and the judgement that a query is off the index's subject
(:mod:`mmrag.retrieval.topicality`) are measured apart there: the recall and nDCG of the
ranking the index's floor leaves, and the share of queries for which the default search
would have said "nothing found" (``nothing_found``). The mixed-corpus format, whose
no-answer queries are what the judgement is for, scores the default search as it is.
"""

from __future__ import annotations

from typing import Any

from ..retrieval.topicality import on_subject
from ..types import Hit


def ranked_hits(rag: Any, query: str, k: int, **options: Any) -> tuple[list[Hit], bool]:
    """(the hits at the index's floor, whether the default search would give nothing)."""
    hits = rag.search(query, k, min_relevance=rag.floor, **options)
    return hits, not on_subject(rag.calibration(), rag.embedder, query, hits)
