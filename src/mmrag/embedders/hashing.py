"""A deterministic, model-free embedder: hashed bags of words and character bigrams.

It is the fake the fast tests run on, registered through the real registry. Texts that
share words land close together, so dense retrieval over it behaves like a weak lexical
retriever rather than noise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..text.tokenize import tokenize
from ..types import Content
from . import Role, embedders, normalise


class HashingEmbedder:
    name = "hash"
    modalities = frozenset({"text"})

    def __init__(self, dim: int = 256):
        if dim < 8:
            raise ConfigError(f"hash embedder dim must be >= 8, got {dim}")
        self.dim = dim
        self.config: dict[str, Any] = {"dim": dim}

    def _features(self, text: str) -> list[str]:
        words = tokenize(text)
        squashed = "".join(words)
        return words + [squashed[i : i + 2] for i in range(len(squashed) - 1)]

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for row, item in enumerate(items):
            if item.modality != "text" or item.text is None:
                raise ConfigError(f"hash embedder reads text only, got {item.modality!r}")
            hashes = np.fromiter((_hash(f) for f in self._features(item.text)), dtype=np.uint64)
            if hashes.size:
                signs = np.where(hashes >> np.uint64(63), 1.0, -1.0).astype(np.float32)
                np.add.at(out[row], (hashes % np.uint64(self.dim)).astype(np.intp), signs)
        return normalise(out)


@lru_cache(maxsize=1 << 18)
def _hash(feature: str) -> int:
    """Words and bigrams repeat across a corpus: each is hashed once."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")


embedders.register("hash")(HashingEmbedder)
