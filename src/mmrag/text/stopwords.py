"""The words of a question that carry its meaning: what is left without stopwords."""

from __future__ import annotations

from .tokenize import tokenize
from .translate import english_words

STOPWORDS = frozenset(
    "a an the of in on at to for by with from and or is are was were be been what which who "
    "whom whose when where why how do does did this that these those it its as than then "
    "i you he she we they my your our their me him her us them not no yes can could would "
    "should will shall may might must about into over under 的 了 是 在 和 与 及 或 吗 呢 吧 啊 "
    "什么 哪 哪个 哪些 谁 怎么 怎样 如何 为什么 多少 几 有 这 那 这个 那个 一个 "
    "我 你 他 她 它 们".split()
)


def question_terms(question: str) -> list[str]:
    return [t for t in dict.fromkeys(tokenize(question)) if t not in STOPWORDS]


# Chinese function words that BM25 must not match on. English ones are left to BM25's own
# IDF (every English text has "the"), but an index of English text with a few Chinese image
# labels has "的" in those labels alone, so its IDF is high and every Chinese question
# matched them (measured on the mixed dev corpus).
CJK_STOPWORDS = frozenset(w for w in STOPWORDS if not w.isascii())


def bm25_terms(query: str) -> list[str]:
    """The query's tokens as BM25 searches them; a Chinese query's words also in English
    (:mod:`.translate`), so that it matches English text, transcripts and labels."""
    terms = [t for t in tokenize(query) if t not in CJK_STOPWORDS]
    return terms + [t for t in english_words(terms, CJK_STOPWORDS) if t not in terms]
