"""Sound-alike matching: a query naming someone finds the recording that misspells the name.

The store answers the first ranking (BM25 over the transcripts' sound-alike keys, see
:mod:`mmrag.text.phonetic`); each hit is then scored by the share of the query's keys its
transcript has, and kept only when it has half of them (two at least) (``min_coverage``), so a query
with no name in it ("what did I say about the budget?") adds nothing. The hybrid
retriever fuses this ranking beside dense and BM25 as "phonetic". A store without
phonetic keys (Milvus), or an index made before them, gives an empty ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import MissingDependencyError
from ..stores.capabilities import Capabilities, PhoneticStore
from ..stores.filters import Filter
from ..text.phonetic import MIN_COVERAGE, has_chinese, query_keys, sounds
from ..types import SPOKEN, Hit

# Added to the hybrid weighted sum (dense + BM25 = 1) for a transcript that sounds the
# query's name; a query without one leaves the other rankings as they were.
phonetic_weight = 0.5


@dataclass
class PhoneticRetriever:
    store: PhoneticStore | None
    min_coverage: float = MIN_COVERAGE

    @classmethod
    def of(cls, store: object) -> PhoneticRetriever:
        """The retriever for ``store``'s keys (an empty one if the store keeps none)."""
        return cls(Capabilities.of(store).phonetic)

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        return self.search(self.keys(query), k, where)

    def keys(self, query: str) -> list[str]:
        """The query's sound-alike keys; none where the store keeps no transcript keys."""
        if self.store is None or not self.store.has_phonetic_keys():
            return []
        try:
            # no pypinyin (0.4 s to import) where no transcript is Chinese
            return query_keys(query, chinese=has_chinese(query)
                              and self.store.has_phonetic_keys(chinese=True))
        except MissingDependencyError:  # no mmrag[audio]: then no transcripts to match
            return []

    def search(self, keys: Sequence[str], k: int, where: Filter | None = None) -> list[Hit]:
        """The transcripts that sound enough of ``keys`` (from :meth:`keys`)."""
        if self.store is None or not keys:
            return []
        if where and where.modalities and not set(where.modalities) & set(SPOKEN):
            return []  # only transcripts have keys (fusion asks once per modality)
        keys = list(keys)
        out = []
        for hit in self.store.phonetic(keys, k, where):
            share = sounds(keys, hit.text, self.min_coverage)
            if share:
                out.append(replace(hit, score=share, scores={"phonetic": share}))
        out.sort(key=lambda h: -h.score)  # stable: BM25 order within one share
        return out


def with_sound_alikes(ranked: list[Hit], phonetic: Sequence[Hit]) -> list[Hit]:
    """Calibrated hits with sound-alike evidence added: a transcript that sounds the
    query's name is relevant by that alone (a noisy-or of its relevance and
    ``phonetic_weight`` times its key coverage), since its misheard words carry none."""
    sound = {h.id: h.score for h in phonetic}
    out = []
    for hit in ranked:
        if hit.id in sound:
            p = 1 - (1 - hit.score) * (1 - phonetic_weight * sound[hit.id])
            hit = replace(hit, score=p, scores={**hit.scores, "phonetic": sound[hit.id],
                                                "relevance": p})
        out.append(hit)
    return sorted(out, key=lambda h: (-h.score, h.id))
