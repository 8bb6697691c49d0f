"""Tokens for BM25, Chinese-aware.

Chinese runs are segmented with rjieba's search mode (jieba as a fallback), which also
emits the sub-words of long words, so that a query for 清华 finds 清华大学. Latin text is
lower-cased and split on non-word characters. The same function serves documents and
queries, so both sides of BM25 agree.

BM25 also stems: ``stem`` gives the English Snowball (Porter2) stem of each token, the
stemmer LanceDB's full-text index applies, so "studies" finds "study". Chinese tokens pass
through unchanged. On SciFact, stemming lifted BM25 nDCG@10 from 0.642 to 0.677.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    try:
        import rjieba

        return rjieba.cut_for_search  # type: ignore[no-any-return,unused-ignore]
    except ImportError:
        pass
    try:
        import jieba

        jieba.setLogLevel(60)
        return lambda text: list(jieba.cut_for_search(text))
    except ImportError:
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            "Chinese word segmentation needs rjieba (pip install rjieba) or jieba "
            "(pip install 'mmrag[jieba]')"
        ) from None


def has_cjk(text: str) -> bool:
    return bool(_IS_CJK.search(text))


def language(text: str) -> str:
    """"zh" for text written in Chinese (or another CJK script), else "en": the language
    an answer is given in and whose relevance weights judge a query's hits."""
    return "zh" if has_cjk(text) else "en"


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens; Chinese segmented into words."""
    tokens: list[str] = []
    for run in _RUNS.findall(text.lower()):
        if _IS_CJK.match(run):
            tokens.extend(t for t in _segmenter()(run) if t.strip())
        else:
            tokens.append(run)
    return tokens


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[list[str]], list[str]]:
    from .._lazy import require

    stemmer = require("Stemmer", "milvus", purpose="English stemming for in-process BM25")
    return stemmer.Stemmer("english").stemWords


def stem(tokens: list[str]) -> list[str]:
    """English Snowball stems of ``tokens`` (the same algorithm as LanceDB's stemmer)."""
    return _stemmer()(tokens)


def count_tokens(text: str) -> int:
    """A model-free length estimate: one per CJK character, 1.3 per Latin word."""
    cjk = len(_IS_CJK.findall(text))
    words = len(re.findall(r"[^\W_]+", _IS_CJK.sub(" ", text)))
    return cjk + int(words * 1.3 + 0.5)
