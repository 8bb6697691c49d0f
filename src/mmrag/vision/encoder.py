"""EfficientNet-Lite through onnxruntime: class probabilities and the 1280-d pooled feature.

Images are resized (short side to the model's resolution, bicubic) and centre-cropped, and
run in batches with their order kept. Several variants may be named ("lite0+lite2"): their
probabilities are averaged (a label-set ensemble), the feature is the first variant's.
Ingest encodes each image once: the image loader keeps its :class:`Encoded` with the
section it returns, and the embedder uses it (``Content.encoded``) instead of running the
model again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import IngestError
from .export import RESOLUTION, build
from .image_file import open_rgb


@dataclass(frozen=True)
class Encoded:
    probs: np.ndarray  # (n, 1000) float32, rows sum to 1
    features: np.ndarray  # (n, 1280) float32, raw (not centred, not normalised)

    def row(self, i: int) -> Encoded:
        return Encoded(self.probs[i : i + 1], self.features[i : i + 1])

    @staticmethod
    def stack(parts: Sequence[Encoded]) -> Encoded:
        if not parts:
            return Encoded(np.zeros((0, 1000), np.float32), np.zeros((0, 1280), np.float32))
        return Encoded(np.concatenate([p.probs for p in parts]),
                       np.concatenate([p.features for p in parts]))


class ImageEncoder:
    def __init__(self, variants: Sequence[str] = ("lite0",), batch_size: int = 16,
                 threads: int = 2):
        for v in variants:
            if v not in RESOLUTION:
                build(v)  # raises ConfigError naming the valid variants
        self.variants = tuple(variants)
        self.batch_size = batch_size
        self.threads = threads
        self._sessions: dict[str, Any] = {}

    @property
    def resolution(self) -> int:
        return max(RESOLUTION[v] for v in self.variants)

    def _session(self, variant: str) -> Any:
        if variant not in self._sessions:
            ort = require("onnxruntime", "image", purpose="the image encoder")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._sessions[variant] = ort.InferenceSession(
                str(build(variant)), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[variant]

    def encode(self, images: Sequence[Any]) -> Encoded:
        """Encode RGB Pillow images, in order."""
        n = len(images)
        probs = np.zeros((n, 1000), dtype=np.float32)
        features = np.zeros((n, 1280), dtype=np.float32)
        for i, variant in enumerate(self.variants):
            session = self._session(variant)
            size = RESOLUTION[variant]
            for start in range(0, n, self.batch_size):
                batch = np.stack([pixels(im, size) for im in images[start:start + self.batch_size]])
                p, f = session.run(["probs", "features"], {"rgb": batch})
                probs[start:start + len(batch)] += p
                if i == 0:
                    features[start:start + len(batch)] = f
        probs /= len(self.variants)
        return Encoded(probs, features)

    def encode_paths(self, paths: Sequence[str | Path]) -> Encoded:
        """Decode and encode image files, in order; raises IngestError naming a bad file."""
        if not paths:
            return Encoded.stack([])
        for p in paths:
            _readable(p)
        return self.encode([open_rgb(p, draft=self.resolution)[0] for p in paths])


def _readable(path: str | Path) -> None:
    try:
        os.stat(path)
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None


def pixels(im: Any, size: int) -> np.ndarray:
    """Short side to ``size`` (bicubic), centre crop, as float32 CHW in [0, 255]."""
    from PIL import Image

    w, h = im.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    im = im.resize((nw, nh), Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (nw - size) // 2, (nh - size) // 2
    im = im.crop((left, top, left + size, top + size))
    return np.asarray(im, dtype=np.float32).transpose(2, 0, 1)


_shared: dict[tuple[str, ...], ImageEncoder] = {}


def shared_encoder(variants: Sequence[str] = ("lite0",)) -> ImageEncoder:
    """One encoder per variant set per process: the loader and the embedder share its
    ONNX sessions (loaded once, about a second each)."""
    key = tuple(variants)
    if key not in _shared:
        _shared[key] = ImageEncoder(key)
    return _shared[key]
