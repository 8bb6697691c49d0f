"""Prompts for LLM answers from numbered passages, and reading citations back out."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..llms import Message
from ..text.stopwords import STOPWORDS
from ..text.tokenize import tokenize
from ..types import Hit

INSTRUCTION = (
    "Answer each question from its numbered context passages, briefly, in the language of "
    "the question, citing the passages you used as [n]."
)
# An instruct model reads this as its system message; the worked turns teach the short,
# cited answer, reading past a passage that shares the question's words without answering it
# (the hard set's failure: a 0.5B model copies the top passage), and the refusal when the
# passages are on the topic but hold no answer (RGB's noise). Their facts are unlike a user's
# corpus, so that the model cannot answer by copying them.
CHAT_INSTRUCTION = (
    "Answer the question from the numbered context passages only. Reply with the shortest "
    "phrase that answers it, in the language of the question, and cite the passage as [n]. "
    "Passages may share the question's words without answering it. If no passage answers it, "
    "reply only: I don't know. (Chinese: 我不知道。)"
)
_EN = ("[1] The city museum opens on Sundays at 10 am and has a gift shop.\n"
       "[2] On weekends the gallery on Elm Road lets its last visitors in at 5 pm.\n"
       "[3] Marie Curie discovered polonium in 1898.")
_ZH = ("[1] 钋的名字来自波兰。\n[2] 1898年，居里夫人找到了一种新元素，后来命名为钋。\n"
       "[3] 小提琴有四根弦。")
CHAT_EXAMPLES = (
    ("When does the Elm Road museum close on Sundays?", _EN, "5 pm [2]"),
    ("Who discovered radium?", _EN, "I don't know."),
    ("钋是谁发现的？", _ZH, "居里夫人 [2]"),
)
# What an instruct model says when the passages hold no answer (asked for in
# CHAT_INSTRUCTION, matched leniently: small models paraphrase their refusals).
UNKNOWN = re.compile(
    r"i don'?t know|i do not know|(do|does) not (contain|say|mention|provide)|no information"
    r"|not (mentioned|provided|specified|stated)|cannot (be )?(answer|determine)"
    r"|insufficient information|不知道|没有提到|未提及|没有提及|无法回答|无法确定|信息不足"
    r"|没有相关信息",
    re.IGNORECASE,
)
# A base model has no chat template: one worked example teaches it the format.
# The example's facts are chosen to be unlike a user's corpus, so that the model cannot
# answer by copying them.
EXAMPLE = (
    "Context:\n"
    "[1] The violin has four strings tuned in perfect fifths.\n"
    "[2] Marie Curie discovered polonium in 1898 and named it after Poland.\n"
    "Question: Who discovered polonium?\n"
    "Answer: Marie Curie [2]\n\n"
)
# A base model that goes on writes new questions of its own; the answer is the first
# non-empty line before a blank line (see :func:`first_line`).
STOP = ("\n\n", "Question:", "Context:")


def says_unknown(answer: str) -> bool:
    """True when the model's answer is a refusal ("I don't know", "我不知道")."""
    return bool(UNKNOWN.search(answer))


_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def invented_numbers(answer: str, question: str, hits: Sequence[Hit]) -> list[str]:
    """Numbers in the answer that neither the question nor any passage holds: a small
    model that finds no answer fills the gap with one (a year from its worked example)."""
    text = _CITE.sub("", answer)
    seen = question + " ".join(h.text for h in hits)
    return [n for n in _NUMBER.findall(text) if n not in seen]


def unanchored(question: str, passages: Sequence[Hit]) -> list[str]:
    """Numbers of the question (a year, a date, a flight number) that none of the passages
    an answer cites holds: a passage about the same topic in another year answers another
    question, and a small model takes its figure all the same."""
    seen = " ".join(h.text for h in passages)
    return [n for n in _NUMBER.findall(question) if n not in seen]


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def echoes(answer: str, question: str) -> bool:
    """True when the answer adds no content word to the question (a repeated question)."""
    words = {t for t in tokenize(_CITE.sub("", answer)) if t not in STOPWORDS}
    return words <= set(tokenize(question))


def passage(hit: Hit, limit: int = 1200) -> str:
    text = " ".join(hit.text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def estimate_tokens(text: str) -> int:
    """A generous token count for a BPE vocabulary: a CJK character may be a token of its
    own, other text averages over three characters a token."""
    cjk = sum(1 for c in text if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return cjk + (len(text) - cjk + 2) // 3


def context_lines(hits: Sequence[Hit], budget: int | None = None) -> list[str]:
    """The passages numbered [1]..[n], one a line, cut so that together they take about
    ``budget`` tokens: each gets an equal share, and what a short passage leaves goes to the
    longer."""
    texts = [passage(h) for h in hits]
    if budget is not None:
        texts = _fit(texts, budget)
    return [f"[{n}] {t}" for n, t in enumerate(texts, 1)]


def context_block(hits: Sequence[Hit], budget: int | None = None) -> str:
    return "\n".join(context_lines(hits, budget))


def _fit(texts: list[str], budget: int) -> list[str]:
    sizes = [estimate_tokens(t) for t in texts]
    if sum(sizes) <= budget:
        return texts
    left, share = budget, budget
    order = sorted(range(len(texts)), key=lambda i: sizes[i])
    out = list(texts)
    for rank, i in enumerate(order):
        share = max(0, left // (len(order) - rank))
        if sizes[i] > share:
            keep = int(len(texts[i]) * share / sizes[i])
            out[i] = texts[i][:keep] + "…" if keep else ""
        left -= min(sizes[i], share)
    return out


def completion_prompt(
    question: str, hits: Sequence[Hit], budget: int | None = None
) -> list[Message]:
    body = (
        f"{INSTRUCTION}\n\n{EXAMPLE}"
        f"Context:\n{context_block(hits, budget)}\nQuestion: {question}\nAnswer:"
    )
    return [Message("user", body)]


def _turn(question: str, context: str) -> str:
    return f"Context:\n{context}\n\nQuestion: {question}"


def chat_prompt(
    question: str, hits: Sequence[Hit], images: Sequence[str] = (), budget: int | None = None
) -> list[Message]:
    pictures = tuple(images) + tuple(
        h.meta["path"] for h in hits if h.modality == "image" and h.meta.get("path")
    )
    messages = [Message("system", CHAT_INSTRUCTION)]
    for q, context, reply in CHAT_EXAMPLES:
        messages += [Message("user", _turn(q, context)), Message("assistant", reply)]
    # The passages keep their numbers but are listed from the last to the first, the
    # top-ranked one next to the question. Measured with the 0.5B model (docs/benchmarks.md,
    # issue 20, fourth pass): 6/15 against 4/15 on the hard set, where it mostly copied
    # passage [1] read first, and no loss on the original set or RGB.
    user = _turn(question, "\n".join(reversed(context_lines(hits, budget))))
    return [*messages, Message("user", user, images=pictures)]


def prompt_overhead(question: str) -> int:
    """Tokens a prompt spends besides its passages (instructions, examples, the question,
    the chat template's markers)."""
    fixed = CHAT_INSTRUCTION + "".join(q + c + r for q, c, r in CHAT_EXAMPLES)
    return estimate_tokens(fixed + INSTRUCTION + EXAMPLE + question) + 64


_CITE = re.compile(r"\[(\d+)\]")


def cited_numbers(text: str, available: int) -> list[int]:
    """Passage numbers cited in ``text``, in order of first mention, within range."""
    seen: list[int] = []
    for match in _CITE.finditer(text):
        n = int(match.group(1))
        if 1 <= n <= available and n not in seen:
            seen.append(n)
    return seen


def renumber(text: str, order: Sequence[int]) -> str:
    """Rewrite [n] so that the first cited passage is [1], the second [2], ..."""
    mapping = {old: new for new, old in enumerate(order, 1)}

    def swap(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[{mapping[n]}]" if n in mapping else ""

    return re.sub(r"\s*\[\]", "", _CITE.sub(swap, text)).strip()


def strip_citations(text: str) -> str:
    return " ".join(_CITE.sub("", text).split()).rstrip(" .。") or text


def content_words(text: str) -> set[str]:
    return {t for t in tokenize(_CITE.sub("", text)) if t not in STOPWORDS}


def shares(answer: str, hits: Sequence[Hit]) -> list[float]:
    """For each passage, the share of the answer's content words it holds."""
    words = {t for t in tokenize(_CITE.sub("", answer)) if t not in STOPWORDS}
    if not words:
        return [0.0] * len(hits)
    return [len(words & set(tokenize(h.text))) / len(words) for h in hits]


def grounding(answer: str, hits: Sequence[Hit]) -> tuple[float, int]:
    """Share of the answer's content words found in the best passage, and that passage."""
    if not hits:
        return 0.0, 0
    held = shares(answer, hits)
    best = max(range(len(hits)), key=lambda i: held[i])
    return held[best], best


def recite(text: str, hits: Sequence[Hit]) -> str:
    """``text`` citing, instead of the one passage it cites, the passage that holds most of
    its words when the cited one holds fewer (a small model cites [1] by habit, whichever
    passage it copied from). An answer citing several passages is left as it is: its words
    may come from each."""
    if len(cited_numbers(text, len(hits))) != 1:
        return text
    held = shares(text, hits)
    best = max(range(len(hits)), key=lambda i: held[i])
    if held[best] == 0:
        return text

    def swap(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if 1 <= n <= len(hits) and held[n - 1] < held[best]:
            return f"[{best + 1}]"
        return match.group(0)

    return _CITE.sub(swap, text)
