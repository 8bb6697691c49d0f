"""A cross-encoder reranker for users who have one (sentence-transformers ``CrossEncoder``,
loaded from a local directory or, when online, a hub name). Nothing ships by default:
no cross-encoder weights are available offline here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .._lazy import require
from ..errors import ConfigError
from ..types import Hit
from . import rerankers


class CrossEncoderReranker:
    name = "cross-encoder"

    def __init__(self, model: str | None = None, batch_size: int = 16, **_: object):
        if not model:
            raise ConfigError("the cross-encoder reranker needs model=<local path or name>")
        self.model_name = model
        self.batch_size = batch_size
        self._model: Any = None

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        if self._model is None:
            st = require("sentence_transformers", purpose="the cross-encoder reranker")
            self._model = st.CrossEncoder(self.model_name)
        scores = self._model.predict([(query, h.text) for h in hits], batch_size=self.batch_size)
        out = []
        for hit, score in zip(hits, scores, strict=True):
            out.append(replace(hit, score=float(score),
                               scores={**hit.scores, "cross_encoder": float(score)}))
        out.sort(key=lambda h: -h.score)
        return out


rerankers.register("cross-encoder")(CrossEncoderReranker)
