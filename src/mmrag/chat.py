"""A conversation over an index: follow-up questions are rewritten into standalone queries.

"Who wrote it?" after "Tell me about The Sound and the Fury" must search for the novel, not
for "it". A question that leans on the conversation (a pronoun, or too few words of its own
to search with) borrows the content words of the previous standalone query. This is a
deterministic rule, so it works with the extractive answerer and costs no model call. With
``rewrite="llm"`` such a question is rewritten by the pipeline's LLM instead
(:func:`mmrag.query.rewrite_followup`), the rule being the fallback when the model fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ConfigError
from .stores.filters import Filter
from .text.stopwords import question_terms
from .text.tokenize import tokenize
from .types import Answer

if TYPE_CHECKING:
    from .pipeline import Pipeline

_REFERRING = frozenset(
    "it its they them their he him his she her this that these those there then one "
    "它 它们 他 他们 她 她们 这 那 这个 那个 这些 那些 其 该 此".split()
)


def needs_context(question: str) -> bool:
    words = tokenize(question)
    return any(w in _REFERRING for w in words) or len(question_terms(question)) < 2


def standalone(question: str, history: Sequence[str]) -> str:
    """The query to search for ``question`` after the standalone queries in ``history``."""
    question = question.strip()
    if not history or not needs_context(question):
        return question
    own = set(question_terms(question))
    borrowed = [t for t in question_terms(history[-1]) if t not in own]
    return f"{question} {' '.join(borrowed)}".strip()


@dataclass
class Turn:
    question: str
    query: str
    answer: Answer


@dataclass
class Conversation:
    pipeline: Pipeline
    k: int = 5
    where: Filter | None = None
    min_relevance: float | None = None
    rewrite: str = "rule"
    turns: list[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rewrite not in ("rule", "llm"):
            raise ConfigError(f"rewrite must be 'rule' or 'llm', got {self.rewrite!r}")

    def query(self, question: str) -> str:
        """The standalone query to search for ``question`` in this conversation."""
        history = [t.query for t in self.turns]
        rule = standalone(question, history)
        if self.rewrite == "rule" or rule == question.strip():
            return rule
        from .query import generator_llm, rewrite_followup

        llm = generator_llm(self.pipeline.generator)
        rewritten = rewrite_followup(llm, question.strip(), history) if llm else None
        return rewritten or rule

    def ask(self, question: str) -> Turn:
        query = self.query(question)
        answer = self.pipeline.ask(query, self.k, where=self.where,
                                   min_relevance=self.min_relevance)
        turn = Turn(question.strip(), query, answer)
        self.turns.append(turn)
        return turn
