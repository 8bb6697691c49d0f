"""Which passage answers the question, read from the model's log-probabilities.

A 0.5B model given five passages copies the one that shares the question's words (9 of 15 on
the hard set). Asked about one passage at a time, "does this passage answer the question?
yes/no", its yes/no odds rank the paraphrased passage that answers above the lexical
distractors in 11 of 15 (docs/benchmarks.md, issue 20, fifth pass). As a confidence they are
weak: on-topic passages without the answer get odds like those with it, so only passages
plainly off the question fall below the abstention floor. Each prompt shares its prefix
(system message, worked turns, question) with the others, so llama.cpp's prompt cache reads
only the passage anew.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..llms import Message, TokenScorer
from ..types import Hit
from .prompting import passage

SYSTEM = "You check whether a passage answers a question. Reply yes or no."
# The worked turns show a passage that shares the question's words without answering it, and
# the paraphrased one that does; their facts are unlike a user's corpus (the chat prompt's).
SHOTS = (
    ("When does the Elm Road museum close on Sundays?",
     "The Elm Road museum opens on Sundays at 10 am and has a gift shop.", "no"),
    ("When does the Elm Road museum close on Sundays?",
     "On weekends the gallery on Elm Road lets its last visitors in at 5 pm.", "yes"),
    ("钋是谁发现的？", "钋的名字来自波兰，这种元素的发现者非常有名。", "no"),
    ("钋是谁发现的？", "1898年，居里夫人找到了一种新元素，后来命名为钋。", "yes"),
)
YES = frozenset({"yes", "是", "有"})
NO = frozenset({"no", "否", "不", "没有"})


def _ask(question: str, text: str) -> str:
    return f"Question: {question}\nPassage: {text}\nDoes the passage answer the question?"


def answerability_messages(question: str, hit: Hit, limit: int = 600) -> list[Message]:
    messages = [Message("system", SYSTEM)]
    for q, p, reply in SHOTS:
        messages += [Message("user", _ask(q, p)), Message("assistant", reply)]
    return [*messages, Message("user", _ask(question, passage(hit, limit)))]


def log_odds(tops: dict[str, float]) -> float:
    """log P(yes) - log P(no) over the reply's likeliest first tokens, any case; a side
    missing from them counts as the least likely token listed."""
    floor = min(tops.values(), default=-30.0) - 1.0

    def mass(words: frozenset[str]) -> float:
        hits = [v for k, v in tops.items() if k.strip().lower() in words]
        if not hits:
            return floor
        top = max(hits)
        return top + math.log(sum(math.exp(v - top) for v in hits))

    return mass(YES) - mass(NO)


def answerability(
    llm: TokenScorer, question: str, hits: Sequence[Hit], timeout: float | None = None
) -> list[float]:
    """Each passage's yes/no log-odds of answering ``question``."""
    return [log_odds(llm.first_token_logprobs(answerability_messages(question, h),
                                              timeout=timeout)) for h in hits]
