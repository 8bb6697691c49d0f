"""Ranking and answer metrics, as BEIR (pytrec_eval) and SQuAD define them."""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence

from ..text.tokenize import has_cjk


def recall_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {d for d, r in relevant.items() if r > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    for rank, doc in enumerate(ranked[:k], 1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """nDCG with linear gain (trec_eval's ndcg_cut, which BEIR reports)."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in relevant.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


_PUNCTUATION = frozenset(string.punctuation + "，。！？；：、“”‘’（）《》")


def _normalise(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    norm = _normalise(text)
    # Chinese answers are compared per character, as in CMRC/DuReader evaluations.
    return [ch for ch in norm if not ch.isspace()] if has_cjk(norm) else norm.split()


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    return float(any(_normalise(prediction) == _normalise(a) for a in answers))


def f1(prediction: str, answers: Sequence[str]) -> float:
    best = 0.0
    pred = _tokens(prediction)
    for answer in answers:
        gold = _tokens(answer)
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains(prediction: str, answers: Sequence[str]) -> float:
    """1 if a gold answer appears in the prediction (answers here are full sentences)."""
    pred = _normalise(prediction).replace(" ", "")
    return float(any(_normalise(a).replace(" ", "") in pred for a in answers if a.strip()))
