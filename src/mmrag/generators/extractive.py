"""An extractive answerer: the best-supported sentence(s) from the top hits, cited.

Sentences are scored by :mod:`mmrag.refiners.relevance` (question vocabulary weighted by IDF,
embedding similarity) plus a little for their hit's rank. It never invents text, which makes
it the safe default and the fallback for generative backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..embedders import Embedder
from ..refiners.relevance import jaccard, support
from ..text.sentences import split_sentences
from ..text.stopwords import question_terms
from ..types import Answer, Hit
from . import generators


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder | None = None,
        top_hits: int = 5,
        max_sentences: int = 2,
        second_ratio: float = 0.85,
    ):
        self.embedder = embedder
        self.top_hits = top_hits
        self.max_sentences = max_sentences
        self.second_ratio = second_ratio

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        hits = list(hits[: self.top_hits])
        found = [(s, i) for i, hit in enumerate(hits) for s in split_sentences(hit.text)]
        if not found:
            return Answer("No indexed passage matches the question.", [], self.name)
        sentences = [s for s, _ in found]
        owner = [i for _, i in found]
        combined, lexical, tokens = support(question, sentences, self.embedder)
        scores = combined + 0.1 / (1 + np.array(owner))
        order = [int(j) for j in np.argsort(-scores, kind="stable")]
        chosen = [order[0]]
        terms = question_terms(question)
        for j in order[1:]:
            weak = scores[j] < self.second_ratio * scores[order[0]]
            if len(chosen) >= self.max_sentences or weak:
                break
            covered = frozenset().union(*(tokens[c] for c in chosen))
            # A second sentence must answer more of the question, not repeat the first.
            adds = any(t in tokens[j] and t not in covered for t in terms)
            if adds and all(jaccard(tokens[j], tokens[c]) <= 0.6 for c in chosen):
                chosen.append(j)
        cited: list[int] = []
        parts = []
        for c in chosen:
            if owner[c] not in cited:
                cited.append(owner[c])
            parts.append(f"{sentences[c]} [{cited.index(owner[c]) + 1}]")
        notes = []
        if lexical[order[0]] == 0:
            notes.append("low confidence: no retrieved sentence shares a word with the question")
        return Answer(" ".join(parts), [hits[i] for i in cited], self.name, notes)


generators.register("extractive")(ExtractiveAnswerer)
