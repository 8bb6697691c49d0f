"""BM25 in process, over the pre-segmented ``tokens`` column of a store that has no full-text
search of its own (Milvus before 2.5) or whose scores are not global (Milvus Lite scores
each segment with its own statistics).

Scores are Lucene/LanceDB BM25 (k1=1.2, b=0.75, idf = ln(1 + (N - df + 0.5)/(df + 0.5)))
over the whole collection, and terms are stemmed (English Snowball) on both sides as
LanceDB's index does, so a ranking equals LanceDB's on the same chunks. The index is
rebuilt from the store, which stays the one source of truth: nothing is persisted that
could disagree with it. It holds one posting per distinct (term, chunk), about 40 bytes,
so it suits up to a few million chunks; past that, use a Milvus 2.5+ server's BM25.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..text.tokenize import stem

K1 = 1.2
B = 0.75


@dataclass
class LocalBM25:
    """An inverted index: term -> {row: term frequency}, with each row's length and id."""

    ids: list[str] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]]) -> LocalBM25:
        """``rows`` are (chunk id, whitespace-joined tokens)."""
        index = cls()
        for chunk_id, tokens in rows:
            row = len(index.ids)
            terms = stem(tokens.split())
            index.ids.append(chunk_id)
            index.lengths.append(len(terms))
            for term, tf in Counter(terms).items():
                index.postings.setdefault(term, {})[row] = tf
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, tokens: Sequence[str], k: int, keep: Callable[[str], bool] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, score); ``keep`` filters chunk ids before ranking."""
        n = len(self.ids)
        if not n or k < 1:
            return []
        avgdl = sum(self.lengths) / n or 1.0
        scores: dict[int, float] = {}
        for term in dict.fromkeys(stem([t for t in tokens if t.strip()])):
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            for row, tf in posting.items():
                norm = tf + K1 * (1 - B + B * self.lengths[row] / avgdl)
                scores[row] = scores.get(row, 0.0) + idf * tf * (K1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: (-item[1], self.ids[item[0]]))
        out: list[tuple[str, float]] = []
        for row, score in ranked:
            if keep is None or keep(self.ids[row]):
                out.append((self.ids[row], score))
                if len(out) == k:
                    break
        return out
