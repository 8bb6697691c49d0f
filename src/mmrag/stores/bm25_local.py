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
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

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


class LiveBM25:
    """A ``LocalBM25`` of a store's chunks kept in step with it, with each chunk's modality
    and path so that a filter applies before ranking.

    ``rows`` reads every chunk's id, tokens, modality and path; ``mark`` is cheap and
    changes when anyone writes (chunk count, files, newest ingest). The store calls
    ``stale()`` after its own writes; another process's are seen by checking the mark at
    most once a second.
    """

    def __init__(
        self, rows: Callable[[], Iterable[dict[str, Any]]], mark: Callable[[], tuple[Any, ...]]
    ):
        self._rows = rows
        self._mark = mark
        self._index: LocalBM25 | None = None
        self._meta: dict[str, tuple[str, str]] = {}
        self._seen: tuple[Any, ...] = ()
        self._checked = 0.0

    def stale(self) -> None:
        self._index = None

    def index(self) -> LocalBM25:
        now = time.monotonic()
        if self._index is not None and now - self._checked < 1.0:
            return self._index
        self._checked = now
        mark = self._mark()
        if self._index is None or mark != self._seen:
            rows = list(self._rows())
            self._index = LocalBM25.build((r["id"], r["tokens"]) for r in rows)
            self._meta = {r["id"]: (r["modality"], r["path"]) for r in rows}
            self._seen = mark
        return self._index

    def keep(
        self, modalities: Collection[str], paths: Collection[str] | None
    ) -> Callable[[str], bool] | None:
        """Whether a chunk id of the last ``index()`` is of ``modalities`` (any if empty)
        and under ``paths`` (any if None); None when nothing is left out."""
        if not modalities and paths is None:
            return None
        meta = self._meta

        def keep(chunk_id: str) -> bool:
            modality, path = meta[chunk_id]
            return (not modalities or modality in modalities) and (paths is None or path in paths)

        return keep
