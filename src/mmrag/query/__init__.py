"""Query understanding with an LLM before retrieval: follow-up rewriting, decomposition of a
multi-part question, and HyDE (search with a drafted answer).

Each step asks the LLM for a short reply and checks it; a failed, empty or runaway reply
falls back to the question itself (or, for follow-ups, to the rule of :mod:`mmrag.chat`),
so that a step can only add to what plain retrieval finds, never lose the question.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import MmragError
from ..llms import LLM, Message, complete
from .prompts import DECOMPOSE, HYDE, REWRITE, examples


def generator_llm(generator: object) -> LLM | None:
    """The LLM an answerer writes with (its backend), or None for one without an LLM."""
    from ..generators.llm import LLMAnswerer

    if not isinstance(generator, LLMAnswerer):
        return None
    try:
        return generator._llm()
    except MmragError:
        return None


def _ask(llm: LLM, prompt: tuple[str, tuple[tuple[str, str], ...]], user: str,
         max_tokens: int) -> str | None:
    """The model's reply, or None when it failed."""
    system, shots = prompt
    messages = [Message("system", system), *examples(shots), Message("user", user)]
    try:
        return complete(llm, messages, max_tokens=max_tokens, stop=("\n\n",)).strip()
    except MmragError:
        return None


def _plausible(reply: str | None, question: str) -> bool:
    return bool(reply) and len(reply or "") <= 3 * len(question) + 120


def rewrite_followup(llm: LLM, question: str, history: Sequence[str]) -> str | None:
    """``question`` as a standalone search query given the earlier ``history`` questions,
    or None when the model gave no usable reply."""
    earlier = "\n".join(f"- {q}" for q in history[-3:])
    reply = _ask(llm, REWRITE, f"Earlier questions:\n{earlier}\nQuestion: {question}", 64)
    line = (reply or "").splitlines()[0].strip() if reply else ""
    line = line.removeprefix("Query:").strip()
    return line if _plausible(line, question) else None


def decompose(llm: LLM, question: str, most: int = 3) -> list[str]:
    """The simple questions ``question`` asks, one per part (itself when it asks one)."""
    reply = _ask(llm, DECOMPOSE, question, 96)
    if not _plausible(reply, question):
        return [question]
    parts = [line.strip(" -*•\t") for line in (reply or "").splitlines()]
    parts = [p for p in parts if len(p) > 2 and p != question][:most]
    return parts or [question]


def hyde(llm: LLM, question: str) -> str | None:
    """A drafted answer to search with (Gao et al. 2022, HyDE): it reads like the passage
    that answers, so it shares words and meaning with it that the question lacks."""
    reply = _ask(llm, HYDE, question, 48)
    line = (reply or "").splitlines()[0].strip() if reply else ""
    return line if _plausible(line, question) else None
