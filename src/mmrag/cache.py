"""Where mmrag keeps what it derives from packaged models (ONNX exports, class vectors,
assembled model files): the one place that reads ``$MMRAG_CACHE``.

The cache shapes no index (deleting it only costs the time to rebuild it), so it is the
one setting the library reads from the environment itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cache_override() -> Path | None:
    """``$MMRAG_CACHE`` when the user set it."""
    value = os.environ.get("MMRAG_CACHE")
    return Path(value) if value else None


def cache_dir() -> Path:
    """``$MMRAG_CACHE``, else ``~/.cache/mmrag``."""
    return cache_override() or Path.home() / ".cache" / "mmrag"


def cached_array(kind: str, key: object, make: Callable[[], np.ndarray]) -> np.ndarray:
    """``make()``, saved in the cache under a digest of ``key`` (JSON) and read back on the
    next call with an equal key, in this process or another; an unreadable file is remade."""
    digest = hashlib.blake2b(json.dumps(key, ensure_ascii=False, sort_keys=True).encode(),
                             digest_size=12).hexdigest()
    path = cache_dir() / f"{kind}-{digest}.npy"
    with contextlib.suppress(OSError, ValueError):
        return np.load(path)
    array = np.asarray(make())
    with contextlib.suppress(OSError):  # a read-only cache only costs the time
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npy", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, array)
        os.replace(tmp, path)
    return array
