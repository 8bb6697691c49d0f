"""The COCO object detector: fetching it (named errors for a missing npm, a corrupt tarball,
a hash mismatch, an unconvertible graph), the TF.js -> ONNX converter, decoding, counts."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from mmrag.vision import detector
from mmrag.vision.coco import counted, summary
from mmrag.vision.detector import (
    Detection,
    DetectorUnavailable,
    HashMismatchError,
    TarballError,
    decode,
)
from mmrag.vision.tfjs import ConversionError, read_model, to_onnx

pytest.importorskip("onnx")

# the image tests' session cache hides npm (conftest's `cache`); the real path needs it back
REAL_WHICH = shutil.which


def _reference_image() -> np.ndarray:
    yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
    rings = 127 + 127 * np.sin(np.hypot(xx - 256, yy - 256) / 9)
    return np.stack([xx / 2, 255 - xx / 2, rings], -1).clip(0, 255).astype(np.float32)[None]


def test_counts_read_in_english_and_chinese():
    assert counted(["person", "dog", "person", "frisbee"]) == (
        "2 people, 1 dog, 1 frisbee", "2个人，1只狗，1个飞盘")
    found = [Detection("bus", 0.9, (0, 0, 1, 1)), Detection("bus", 0.8, (0, 0, 0.5, 0.5))]
    assert summary(found) == "objects: 2 buses\n物体: 2辆公共汽车"
    assert summary([]) == ""


def test_decode_keeps_peaks_and_suppresses_overlaps():
    heat = np.zeros((128, 128, 80), np.float32)
    sizes = np.zeros((128, 128, 4), np.float32)
    heat[10, 20, 0], heat[10, 21, 0] = 0.9, 0.5  # a peak and its shoulder: one person
    heat[64, 64, 16] = 0.6  # a dog
    heat[100, 100, 16] = 0.1  # under the threshold
    sizes[10, 20] = [8, 4, 8, 12]
    sizes[64, 64] = [16, 16, 16, 16]
    found = decode(heat, sizes, threshold=0.2, iou=0.4)
    assert [d.label for d in found] == ["person", "dog"]
    assert found[0].box == pytest.approx(((80 - 8) / 512, (40 - 4) / 512, 88 / 512, 52 / 512))
    # two overlapping boxes of one class: the weaker one goes
    heat[12, 20, 0] = 0.8
    sizes[12, 20] = [8, 12, 8, 4]
    assert [d.label for d in decode(heat, sizes, 0.2, 0.4)] == ["person", "dog"]


def _decode_by_full_max_pool(heat, sizes, threshold, iou, top=100):
    """The decoding as upstream writes it: a 3x3 max pool over the whole heatmap."""
    h, w, classes = heat.shape
    padded = np.pad(heat, ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    peak = np.max([padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)
    scores = np.where(heat == peak, heat, 0.0).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:top]
    found = []
    for index in order[scores[order] >= threshold]:
        cell, cls = divmod(int(index), classes)
        y, x = divmod(cell, w)
        left, up, right, down = sizes[y, x]
        box = np.clip(np.array([x * 4 - left, y * 4 - up, x * 4 + right, y * 4 + down])
                      / (4 * h), 0.0, 1.0)
        found.append(Detection(detector.COCO[cls][0], float(scores[index]),
                               tuple(float(v) for v in box)))
    return detector._nms(found, iou)


def test_decode_matches_a_max_pool_over_the_whole_heatmap():
    # blobs touching the borders, plateaus of equal values and 150 peaks over the threshold
    # (more than the top 100): the candidates-only test gives the same detections
    rng = np.random.default_rng(3)
    heat = (rng.random((40, 40, 80)) ** 8).astype(np.float32)
    heat[0, :3, 5] = heat[39, 39, 7] = 0.7
    sizes = (rng.random((40, 40, 4)) * 30).astype(np.float32)
    for threshold in (0.2, 0.5, 0.99):
        assert decode(heat, sizes, threshold, 0.4) == _decode_by_full_max_pool(
            heat, sizes, threshold, 0.4)
    assert decode(np.zeros((8, 8, 80), np.float32), sizes[:8, :8], 0.2, 0.4) == []


def _tiny_tfjs(folder: Path, op: str = "Relu6") -> None:
    """A TF.js graph: a 3x3 stride-2 SAME conv (+bias), ``op``, squeeze-excite style mean,
    an upsample and a concat, weights fp16-quantised like human's."""
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float16)
    bias = rng.normal(size=4).astype(np.float16)

    def attr_s(text: str) -> dict:
        return {"s": base64.b64encode(text.encode()).decode()}

    nodes = [
        {"name": "x", "op": "Placeholder"},
        {"name": "k", "op": "Const"}, {"name": "b", "op": "Const"},
        {"name": "conv", "op": "_FusedConv2D", "input": ["x", "k", "b"],
         "attr": {"strides": {"list": {"i": ["1", "2", "2", "1"]}}, "padding": attr_s("SAME"),
                  "fused_ops": {"list": {"s": [attr_s("BiasAdd")["s"]]}}}},
        {"name": "act", "op": op, "input": ["conv"]},
        {"name": "axes", "op": "Const"},
        {"name": "mean", "op": "Mean", "input": ["act", "axes"],
         "attr": {"keep_dims": {"b": True}}},
        {"name": "scaled", "op": "Mul", "input": ["act", "mean"]},
        {"name": "size", "op": "Const"},
        {"name": "up", "op": "ResizeBilinear", "input": ["scaled", "size"]},
        {"name": "axis", "op": "Const"},
        {"name": "out", "op": "ConcatV2", "input": ["up", "up", "axis"]},
    ]
    weights = [
        ("k", kernel, {"dtype": "float16", "original_dtype": "float32"}, "float32"),
        ("b", bias, {"dtype": "float16", "original_dtype": "float32"}, "float32"),
        ("axes", np.array([1, 2], np.int32), None, "int32"),
        ("size", np.array([8, 8], np.int32), None, "int32"),
        ("axis", np.array(3, np.int32), None, "int32"),
    ]
    manifest = [{"name": n, "shape": list(v.shape), "dtype": d,
                 **({"quantization": q} if q else {})} for n, v, q, d in weights]
    (folder / "tiny.bin").write_bytes(b"".join(v.tobytes() for _, v, _, _ in weights))
    (folder / "tiny.json").write_text(json.dumps({
        "modelTopology": {"node": nodes},
        "weightsManifest": [{"paths": ["tiny.bin"], "weights": manifest}]}))


def _tiny_reference(x: np.ndarray, folder: Path) -> np.ndarray:
    """The tiny graph in numpy, NHWC, as TensorFlow computes it."""
    _, weights = read_model(folder, "tiny")
    k, b = weights["k"], weights["b"]
    padded = np.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))  # SAME, stride 2: the extra at the end
    out = np.zeros((1, 4, 4, 4), np.float32)
    for i in range(4):
        for j in range(4):
            patch = padded[0, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            out[0, i, j] = np.tensordot(patch, k, axes=([0, 1, 2], [0, 1, 2])) + b
    act = np.clip(out, 0, 6)
    scaled = act * act.mean(axis=(1, 2), keepdims=True)
    up = scaled.repeat(2, axis=1).repeat(2, axis=2)  # the even pixels of an x2 asymmetric upsample
    return np.concatenate([up, up], axis=-1)


def test_converter_matches_a_numpy_reference(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    _tiny_tfjs(tmp_path)
    nodes, weights = read_model(tmp_path, "tiny")
    model = to_onnx(nodes, weights, "x", ["conv", "out"], 8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    conv, out = session.run(None, {"input": x})
    assert conv.shape == (1, 4, 4, 4) and out.shape == (1, 8, 8, 8)
    want = _tiny_reference(x, tmp_path)
    # bilinear x2 with TF's asymmetric corners: even output pixels are the input's
    assert np.allclose(out[:, ::2, ::2], want[:, ::2, ::2], atol=1e-4)


def test_converter_failures_are_named(tmp_path):
    _tiny_tfjs(tmp_path, op="Elu")
    nodes, weights = read_model(tmp_path, "tiny")
    with pytest.raises(ConversionError, match="TF.js op Elu"):
        to_onnx(nodes, weights, "x", ["out"], 8)
    (tmp_path / "tiny.bin").write_bytes(b"\x00" * 10)  # shards shorter than the manifest
    with pytest.raises(ConversionError, match="end before"):
        read_model(tmp_path, "tiny")
    with pytest.raises(ConversionError, match="not a readable TF.js graph"):
        read_model(tmp_path, "absent")


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_bad_tarballs_are_named_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path / "cache"))
    fake = _tarball(tmp_path / "human.tgz", {"package/README.md": b"hi"})
    with pytest.raises(HashMismatchError, match="refusing"):
        detector.build(fake)
    corrupt = tmp_path / "corrupt.tgz"
    corrupt.write_bytes(fake.read_bytes()[:40])
    import hashlib

    for tarball, error, match in ((corrupt, TarballError, "corrupt npm tarball"),
                                  (fake, TarballError, "no \\['package/models")):
        monkeypatch.setattr(detector, "SHA256", hashlib.sha256(tarball.read_bytes()).hexdigest())
        with pytest.raises(error, match=match):
            detector.build(tarball)
    assert not detector.model_path().exists()


def test_no_npm_says_how_and_ingest_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path))
    monkeypatch.setattr(detector.shutil, "which", lambda name: None)
    with pytest.raises(DetectorUnavailable, match="apt-get install npm"):
        detector.build()
    from mmrag.loaders import image as image_loader

    monkeypatch.setattr(image_loader, "_detector", None)
    with pytest.warns(UserWarning, match="npm is not installed"):
        assert image_loader._objects([object()]) is None
    assert image_loader._objects([object()]) is None  # said once, then off quietly


@pytest.mark.model
@pytest.mark.skipif(not (os.environ.get("MMRAG_TEST_NPM") or detector.model_path(512).exists()),
                    reason="fetches @vladmandic/human from npm: set MMRAG_TEST_NPM=1")
def test_the_real_detector_matches_tfjs(monkeypatch):
    """npm pack, hash check, conversion; outputs against TF.js's own on a drawn image."""
    ort = pytest.importorskip("onnxruntime")
    monkeypatch.setattr("mmrag.vision.detector.shutil.which", REAL_WHICH)
    reference = json.loads((Path(__file__).parent / "centernet_tfjs_reference.json").read_text())
    session = ort.InferenceSession(str(detector.build(size=512)),
                                   providers=["CPUExecutionProvider"])
    heat, sizes = session.run(None, {"input": _reference_image()})
    flat = heat.reshape(-1)
    assert np.allclose(flat[reference["top_index"]], reference["top_heat"], atol=1e-4)
    cells = [i // 80 for i in reference["top_index"]]
    got = [sizes[0, c // 128, c % 128] for c in cells]
    assert np.allclose(got, reference["wh_at_top"], atol=0.05)
    assert heat.mean() == pytest.approx(reference["heat_mean"], abs=1e-5)
