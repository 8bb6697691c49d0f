"""Where mmrag keeps what it derives from packaged models (ONNX exports, class vectors,
assembled model files): the one place that reads ``$MMRAG_CACHE``.

The cache shapes no index (deleting it only costs the time to rebuild it), so it is the
one setting the library reads from the environment itself.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_override() -> Path | None:
    """``$MMRAG_CACHE`` when the user set it."""
    value = os.environ.get("MMRAG_CACHE")
    return Path(value) if value else None


def cache_dir() -> Path:
    """``$MMRAG_CACHE``, else ``~/.cache/mmrag``."""
    return cache_override() or Path.home() / ".cache" / "mmrag"
