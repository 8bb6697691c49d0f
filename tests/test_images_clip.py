"""CLIP families behind the embedder protocol, through their real transformers code, on
tiny randomly initialised models the test builds (nothing is downloaded)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from PIL import Image

from mmrag.embedders import embedders
from mmrag.errors import ConfigError
from mmrag.types import Content

# torch and transformers are imported by the tests that use them, not at collection: they
# take seconds to import, and plain `pytest` collects this module only to deselect it.
pytestmark = [pytest.mark.model, pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("transformers", "torch")),
    reason="the CLIP tests need transformers and torch")]


def _bytes_to_unicode() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def _tiny_clip(root):
    """A 2-layer CLIP with a byte-level vocabulary and no merges."""
    import torch
    import transformers

    chars = _bytes_to_unicode()
    vocab = {t: i for i, t in enumerate(chars + [c + "</w>" for c in chars])}
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = transformers.CLIPTokenizer(str(root / "vocab.json"), str(root / "merges.txt"))
    config = transformers.CLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 2, "num_attention_heads": 2,
                     "max_position_embeddings": 77, "eos_token_id": vocab["<|endoftext|>"],
                     "bos_token_id": vocab["<|startoftext|>"]},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    torch.manual_seed(0)
    transformers.CLIPModel(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    transformers.CLIPImageProcessor(size={"shortest_edge": 32},
                                    crop_size={"height": 32, "width": 32}).save_pretrained(root)
    return root


def _tiny_chinese_clip(root):
    import torch
    import transformers

    chars = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars += list("一只狗猫在海边跑的照片abcdefghijklmnopqrstuvwxyz")
    (root / "vocab.txt").write_text("\n".join(chars) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(root / "vocab.txt"))
    config = transformers.ChineseCLIPConfig(
        text_config={"vocab_size": len(chars), "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 2, "num_attention_heads": 2},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    torch.manual_seed(0)
    transformers.ChineseCLIPModel(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    transformers.ChineseCLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(root)
    return root


@pytest.mark.parametrize("build", [_tiny_clip, _tiny_chinese_clip], ids=["clip", "chinese-clip"])
def test_clip_family_behind_the_protocol(build, tmp_path):
    import torch
    import transformers

    (tmp_path / "model").mkdir()
    model_dir = build(tmp_path / "model")
    picture = tmp_path / "red.png"
    Image.new("RGB", (48, 40), (220, 20, 20)).save(picture)
    emb = embedders.create("hf-clip", path=str(model_dir))
    assert emb.dim == 16 and emb.modalities == {"text", "image"}
    items = [Content.of_text("一只狗 a dog"), Content("image", path=str(picture)),
             Content.of_text("猫 cat")]
    mixed = emb.embed(items, role="query")
    assert mixed.shape == (3, 16)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
    # order is restored after the per-modality split
    alone = emb.embed([items[1]], role="document")[0]
    assert np.allclose(mixed[1], alone, atol=1e-5)
    # the same numbers as the model's own code
    model = transformers.AutoModel.from_pretrained(model_dir)
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    with torch.no_grad():
        ref = model.get_text_features(**tok(["猫 cat"], return_tensors="pt", padding=True))
    ref = getattr(ref, "pooler_output", ref).numpy()[0]
    assert np.allclose(mixed[2], ref / np.linalg.norm(ref), atol=1e-5)


def test_not_a_model_dir_is_named(tmp_path):
    with pytest.raises(ConfigError, match="config.json"):
        embedders.create("hf-clip", path=str(tmp_path))


def test_clip_index_through_the_pipeline(tmp_path, monkeypatch):
    from mmrag.config import ImageConfig, IndexConfig
    from mmrag.pipeline import Pipeline

    (tmp_path / "model").mkdir()
    model = str(_tiny_clip(tmp_path / "model"))
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(photos / "red.png")
    rag = Pipeline.open(tmp_path / "index", embedder="hf-clip", create=True,
                        embedder_options={"path": model},
                        config=IndexConfig(image=ImageConfig(ocr=False)))
    assert not rag.ingest([photos]).errors
    again = Pipeline.open(tmp_path / "index")  # the manifest remembers the model directory
    assert again.embedder.name == "hf-clip"
    hits = again.search("red", k=1)
    assert hits and hits[0].source.endswith("red.png")
