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


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def echoes(answer: str, question: str) -> bool:
    """True when the answer adds no content word to the question (a repeated question)."""
    words = {t for t in tokenize(_CITE.sub("", answer)) if t not in STOPWORDS}
    return words <= set(tokenize(question))


def passage(hit: Hit, limit: int = 1200) -> str:
    text = " ".join(hit.text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def context_block(hits: Sequence[Hit]) -> str:
    return "\n".join(f"[{n}] {passage(h)}" for n, h in enumerate(hits, 1))


def completion_prompt(question: str, hits: Sequence[Hit]) -> list[Message]:
    body = (
        f"{INSTRUCTION}\n\n{EXAMPLE}"
        f"Context:\n{context_block(hits)}\nQuestion: {question}\nAnswer:"
    )
    return [Message("user", body)]


def chat_prompt(question: str, hits: Sequence[Hit], images: Sequence[str] = ()) -> list[Message]:
    pictures = tuple(images) + tuple(
        h.meta["path"] for h in hits if h.modality == "image" and h.meta.get("path")
    )
    user = f"Context:\n{context_block(hits)}\n\nQuestion: {question}"
    return [Message("system", INSTRUCTION), Message("user", user, images=pictures)]


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


def grounding(answer: str, hits: Sequence[Hit]) -> tuple[float, int]:
    """Share of the answer's content words found in the best passage, and that passage."""
    words = {t for t in tokenize(_CITE.sub("", answer)) if t not in STOPWORDS}
    if not words or not hits:
        return 0.0, 0
    shares = [len(words & set(tokenize(h.text))) / len(words) for h in hits]
    best = max(range(len(hits)), key=lambda i: shares[i])
    return shares[best], best
