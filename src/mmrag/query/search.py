"""Retrieval after query understanding: the question's hits with those of a drafted answer
and of its sub-questions."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..llms import LLM
from ..retrieval.fusion import fuse_rrf
from ..stores.filters import Filter
from ..types import Hit
from . import decompose, hyde

if TYPE_CHECKING:
    from ..pipeline import Pipeline


def understood_search(
    rag: Pipeline, llm: LLM, question: str, k: int = 5, *, where: Filter | None = None,
    use_hyde: bool = False, use_decompose: bool = False,
) -> list[Hit]:
    """The hits for ``question``, with those of a drafted answer fused in by reciprocal
    rank (``use_hyde``), and those of its parts taken in turn (``use_decompose``: every part
    of a multi-part question gets its best hits in, which a fusion that favours agreement
    would not give it). Each hit keeps its own calibrated relevance as its score."""
    hits = rag.search(question, k, where=where)
    if use_hyde:
        draft = hyde(llm, question)
        if draft:
            # the draft with the question (query2doc's form): BM25 keeps the question's
            # own words, the dense vector gets the answer's shape
            drafted = rag.search(f"{question} {draft}", k, where=where)
            hits = _fused({"question": hits, "hyde": drafted}, k)
    if use_decompose:
        parts = decompose(llm, question)
        if len(parts) > 1:
            hits = _in_turn([hits, *(rag.search(p, k, where=where) for p in parts)], k)
    return hits


def _fused(rankings: dict[str, list[Hit]], k: int) -> list[Hit]:
    best: dict[str, Hit] = {}
    for ranking in rankings.values():
        for hit in ranking:
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
    fused = fuse_rrf(rankings)[:k]
    return [replace(best[h.id], scores={**best[h.id].scores, "rrf": h.score}) for h in fused]


def _in_turn(rankings: list[list[Hit]], k: int) -> list[Hit]:
    out: dict[str, Hit] = {}
    for rank in range(max(len(r) for r in rankings)):
        for ranking in rankings:
            if rank < len(ranking) and len(out) < k:
                out.setdefault(ranking[rank].id, ranking[rank])
    return list(out.values())
