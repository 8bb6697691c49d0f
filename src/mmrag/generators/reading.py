"""Which of the retrieved passages a small LLM reads, and in which order.

Retrieval ranks for recall, and its fused order is lexically heavy: on the hard answer set the
passage that answers sits 2nd-4th behind passages sharing the question's words, and a 0.5B
model answers from the passage it is given first (docs/benchmarks.md, issue 20, third and
fifth passes). ``order="dense"`` ranks the passages by the index's own embedder, query role
against passage role, on the text the model will read (an image's labels and OCR text, a
passage the refiner cut), so every passage is judged in one text space; the first
``passages`` of them are what the model reads. Fewer passages are also fewer prompt tokens,
which is most of the time to the first token on a CPU.

Both are off by default: measured (docs/benchmarks.md, issue 20, sixth pass), e5-small ranks
the hard set's distractors above the paraphrased answer just as retrieval does (the answer
first for 1 of 15), and no count helped on every set; 3 passages reach the first token in
0.7x the time where passages are short.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..embedders import Embedder, embed_passages, embed_query
from ..errors import ConfigError
from ..refiners.extractive import ExtractiveRefiner
from ..text.tokenize import count_tokens
from ..types import Hit

ORDERS = ("rank", "dense")


def check_reading(order: str, passages: int | None) -> None:
    if order not in ORDERS:
        raise ConfigError(f"order must be one of {list(ORDERS)}, got {order!r}")
    if passages is not None and (isinstance(passages, bool) or not isinstance(passages, int)
                                 or passages < 1):
        raise ConfigError(f"passages must be a positive number of passages or None (all), "
                          f"got {passages!r}")


def dense_order(embedder: Embedder, question: str, hits: Sequence[Hit]) -> list[int]:
    """The hits' positions, most similar to the question first (ties keep the rank order)."""
    if len(hits) < 2:
        return list(range(len(hits)))
    cosine = embed_passages(embedder, [h.text for h in hits]) @ embed_query(embedder, question)
    return [int(i) for i in np.argsort(-cosine, kind="stable")]


def reading(
    question: str, hits: Sequence[Hit], order: str = "rank", passages: int | None = None,
    embedder: Embedder | None = None,
) -> list[Hit]:
    """The hits the model reads, in the order it is given them (its [1], [2], ...). Without
    an embedder (a generator made outside a pipeline) ``dense`` keeps the rank order."""
    chosen = list(hits)
    if order == "dense" and embedder is not None:
        chosen = [chosen[i] for i in dense_order(embedder, question, chosen)]
    return chosen[:passages] if passages is not None else chosen


def within_budget(question: str, hits: list[Hit], budget: int | None) -> list[Hit]:
    """``hits`` cut to the sentences that best support the question when together they
    exceed ``budget`` tokens (each keeps its place: the refiner favours the first)."""
    if budget is not None and sum(count_tokens(h.text) for h in hits) > budget:
        return ExtractiveRefiner(budget=budget).refine(question, hits) or hits
    return hits
