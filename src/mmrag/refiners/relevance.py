"""How well each sentence supports a question: shared by the extractive refiner and answerer.

A sentence scores for the share of the question's weighted vocabulary it contains (IDF over
the candidate sentences, so rare question words count most) and, given an embedder, for its
embedding similarity to the question, min-max scaled across candidates because e5 cosines
bunch together in a narrow band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..text.stopwords import question_terms
from ..text.tokenize import tokenize

if TYPE_CHECKING:
    from ..embedders import Embedder


def lexical_support(terms: Sequence[str], sentences: Sequence[frozenset[str]]) -> np.ndarray:
    """Share of the question's IDF weight found in each sentence's token set (0..1)."""
    n = len(sentences)
    idf = {t: math.log(1 + n / (1 + sum(t in s for s in sentences))) for t in terms}
    total = sum(idf.values()) or 1.0
    return np.array([sum(idf[t] for t in terms if t in s) / total for s in sentences])


def dense_support(embedder: Embedder, question: str, sentences: Sequence[str]) -> np.ndarray:
    """Query-sentence cosine, min-max scaled to 0..1 across the candidates."""
    from ..embedders import embed_passages, embed_query

    vectors = embed_passages(embedder, sentences)
    cosine = vectors @ embed_query(embedder, question)
    spread = float(cosine.max() - cosine.min())
    return (cosine - cosine.min()) / spread if spread > 1e-6 else np.ones(len(sentences))


def support(
    question: str, sentences: Sequence[str], embedder: Embedder | None = None
) -> tuple[np.ndarray, np.ndarray, list[frozenset[str]]]:
    """(combined score, lexical score, token sets) for each sentence."""
    tokens = [frozenset(tokenize(s)) for s in sentences]
    lexical = lexical_support(question_terms(question), tokens)
    if embedder is None or not sentences:
        return lexical, lexical, tokens
    return 0.5 * lexical + 0.5 * dense_support(embedder, question, sentences), lexical, tokens


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0
