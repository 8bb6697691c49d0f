"""LLM rerankers through the LLM backends: pointwise relevance, or listwise permutation with
a sliding window (RankGPT, Sun et al. 2023).

Listwise: a window of ``window`` passages slides from the bottom of the list to the top by
``step``, the model reorders each window, so that a relevant passage found low can bubble
up to the first place in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..llms import LLM, Message, complete, llms
from ..types import Hit
from . import rerankers


def _passage(hit: Hit, limit: int = 400) -> str:
    text = " ".join(hit.text.split())
    return text[:limit]


class LLMReranker:
    name = "llm"

    def __init__(
        self,
        llm: str = "llamacpp",
        mode: str = "listwise",
        window: int = 4,
        step: int = 2,
        backend: LLM | None = None,
        **options: object,
    ):
        if mode not in ("listwise", "pointwise"):
            from ..errors import ConfigError

            raise ConfigError(f"mode must be 'listwise' or 'pointwise', got {mode!r}")
        options.pop("embedder", None)
        options.pop("store", None)
        self.backend = backend
        self.llm_name = llm
        self.options = options
        self.mode = mode
        self.window = window
        self.step = step

    def _llm(self) -> LLM:
        if self.backend is None:
            self.backend = llms.create(self.llm_name, **self.options)
        return self.backend

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if self.mode == "pointwise":
            return self._pointwise(query, hits)
        order = list(range(len(hits)))
        end = len(order)
        while end > 0:
            start = max(0, end - self.window)
            order[start:end] = self._permute(query, hits, order[start:end])
            if start == 0:
                break
            end -= self.step
        out = []
        for rank, i in enumerate(order, 1):
            out.append(replace(hits[i], score=1.0 / rank,
                               scores={**hits[i].scores, "llm_rank": float(rank)}))
        return out

    def _permute(self, query: str, hits: Sequence[Hit], window: list[int]) -> list[int]:
        listing = "\n".join(f"[{n}] {_passage(hits[i])}" for n, i in enumerate(window, 1))
        prompt = (
            f"Rank the {len(window)} passages by relevance to the query, most relevant first, "
            f"as identifiers like [2] > [1].\n\n{listing}\n\nQuery: {query}\nRanking:"
        )
        reply = complete(self._llm(), [Message("user", prompt)], max_tokens=48, stop=("\n\n",))
        ranked: list[int] = []
        for match in re.finditer(r"\[?(\d+)\]?", reply):
            n = int(match.group(1))
            if 1 <= n <= len(window) and window[n - 1] not in ranked:
                ranked.append(window[n - 1])
        # Whatever the model left out keeps its old relative order after the ranked ones.
        return ranked + [i for i in window if i not in ranked]

    def _pointwise(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        scored = []
        for position, hit in enumerate(hits):
            prompt = (
                f"Passage: {_passage(hit)}\nQuery: {query}\n"
                "Does the passage answer the query? Answer yes or no.\nAnswer:"
            )
            reply = complete(self._llm(), [Message("user", prompt)], max_tokens=3).strip().lower()
            relevant = 1.0 if reply.startswith(("yes", "是")) else 0.0
            scored.append((relevant, -position, hit))
        scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
        out = []
        for relevant, _, hit in scored:
            out.append(replace(hit, score=relevant,
                               scores={**hit.scores, "llm_relevant": relevant}))
        return out


rerankers.register("llm")(LLMReranker)
