"""An extractive answerer: the best-supported sentence(s) from the top hits, cited.

Each sentence of the top hits is scored by how much of the question's weighted vocabulary
it contains (IDF over the candidate sentences, so rare question words count most), by its
embedding similarity to the question (min-max scaled across candidates, since e5 cosines
bunch together), and a little by its hit's rank. It never invents text, which makes it the
safe default and the fallback for generative backends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..embedders import Embedder, embed_texts
from ..text.sentences import split_sentences
from ..text.tokenize import tokenize
from ..types import Answer, Hit
from . import generators

_STOPWORDS = frozenset(
    "a an the of in on at to for by with from and or is are was were be been what which who "
    "whom whose when where why how do does did this that these those it its as than then "
    "i you he she we they my your our their me him her us them not no yes can could would "
    "should will shall may might must about into over under 的 了 是 在 和 与 及 或 吗 呢 吧 啊 "
    "什么 哪 哪个 哪些 谁 怎么 怎样 如何 为什么 多少 几 有 这 那 这个 那个 一个 "
    "我 你 他 她 它 们".split()
)


@dataclass(frozen=True)
class _Candidate:
    text: str
    hit: int
    tokens: frozenset[str]


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
        candidates = [
            _Candidate(s, i, frozenset(tokenize(s)))
            for i, hit in enumerate(hits)
            for s in split_sentences(hit.text)
        ]
        if not candidates:
            return Answer("No indexed passage matches the question.", [], self.name)
        terms = [t for t in dict.fromkeys(tokenize(question)) if t not in _STOPWORDS]
        scores, lexical = self._score(terms, question, candidates)
        order = np.argsort(-scores, kind="stable")
        chosen = [int(order[0])]
        for j in order[1:]:
            full = len(chosen) >= self.max_sentences
            if full or scores[j] < self.second_ratio * scores[order[0]]:
                break
            picked = [candidates[c] for c in chosen]
            # A second sentence must answer more of the question, not repeat the first.
            if not _overlaps(candidates[int(j)], picked) and _adds_terms(
                candidates[int(j)], picked, terms
            ):
                chosen.append(int(j))
        cited: list[int] = []
        parts = []
        for c in chosen:
            hit_index = candidates[c].hit
            if hit_index not in cited:
                cited.append(hit_index)
            parts.append(f"{candidates[c].text} [{cited.index(hit_index) + 1}]")
        notes = []
        if lexical[order[0]] == 0:
            notes.append("low confidence: no retrieved sentence shares a word with the question")
        return Answer(" ".join(parts), [hits[i] for i in cited], self.name, notes)

    def _score(
        self, terms: list[str], question: str, candidates: list[_Candidate]
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(candidates)
        idf = {t: math.log(1 + n / (1 + sum(t in c.tokens for c in candidates))) for t in terms}
        total = sum(idf.values()) or 1.0
        lexical = np.array(
            [sum(idf[t] for t in terms if t in c.tokens) / total for c in candidates]
        )
        prior = np.array([1.0 / (1 + c.hit) for c in candidates])
        if self.embedder is None:
            return lexical + 0.1 * prior, lexical
        vectors = embed_texts(self.embedder, [c.text for c in candidates], "document")
        query = embed_texts(self.embedder, [question], "query")[0]
        cosine = vectors @ query
        spread = float(cosine.max() - cosine.min())
        dense = (cosine - cosine.min()) / spread if spread > 1e-6 else np.ones(n)
        return 0.5 * lexical + 0.5 * dense + 0.1 * prior, lexical


def _adds_terms(candidate: _Candidate, chosen: list[_Candidate], terms: list[str]) -> bool:
    covered = set().union(*(c.tokens for c in chosen))
    return any(t in candidate.tokens and t not in covered for t in terms)


def _overlaps(candidate: _Candidate, chosen: list[_Candidate]) -> bool:
    for other in chosen:
        union = candidate.tokens | other.tokens
        if union and len(candidate.tokens & other.tokens) / len(union) > 0.6:
            return True
    return False


generators.register("extractive")(ExtractiveAnswerer)
