"""``mmrag align``: the adapter's training (numpy InfoNCE), its pairs formats, and an index
that re-embeds its images with it and gives their ConSE vectors back on removal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmrag.align import read_pairs
from mmrag.errors import ConfigError
from mmrag.stores.filters import Filter
from mmrag.vision.adapter import MIXES, Adapter, TrainConfig, _unit, recall_at, train


def _toy(n=120, captions=3, seed=0):
    """Images whose captions are a hidden linear map (the same for every seed) of their
    features, plus noise."""
    hidden = np.random.default_rng(99).normal(size=(40, 16)).astype(np.float32)
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, 40)).astype(np.float32) + 5.0  # not centred
    owner = np.repeat(np.arange(n), captions)
    caps = _unit((features - 5.0)[owner] @ hidden + 0.5 * rng.normal(size=(len(owner), 16)))
    base = _unit(rng.normal(size=(n, 16)).astype(np.float32))  # an uninformative "ConSE"
    return features, caps.astype(np.float32), owner, base


def test_adapter_learns_the_hidden_map_and_beats_its_base():
    features, caps, owner, base = _toy(n=300)
    adapter = train(features, caps, owner, base=base, mix=1.0)
    held = adapter.info["held_out_recall@10"]
    assert held["adapter"] >= 0.9 and held["adapter"] >= held["ridge"]
    assert held["conse"] < 0.5  # random base vectors: about 10 of 30 held-out images
    # on fresh images from the same map, far better than the base vectors
    f2, c2, o2, b2 = _toy(seed=1)
    assert recall_at(adapter.project(f2), c2, o2, k=5) > recall_at(b2, c2, o2, k=5) + 0.3


def test_training_is_deterministic_and_the_file_round_trips(tmp_path):
    features, caps, owner, base = _toy(n=60)
    config = TrainConfig(epochs=15)
    one = train(features, caps, owner, config=config)
    two = train(features, caps, owner, config=config)
    np.testing.assert_array_equal(one.weight, two.weight)
    one.save(tmp_path / "adapter.npz")
    back = Adapter.load(tmp_path / "adapter.npz")
    np.testing.assert_array_equal(back.weight, one.weight)
    assert back.mix == one.mix and back.variant == "lite0" and back.info == one.info
    assert Adapter.load(tmp_path / "adapter.npz", mix=1.0).mix == 1.0


def test_fuse_moves_the_base_vector_by_mix():
    features, caps, owner, base = _toy(n=40)
    adapter = train(features, caps, owner, config=TrainConfig(epochs=5), mix=0.0)
    np.testing.assert_allclose(adapter.fuse(base, features), base, atol=1e-6)
    adapter.mix = 1.0
    np.testing.assert_allclose(adapter.fuse(base, features), adapter.project(features),
                               atol=1e-6)
    adapter.mix = 0.3
    fused = adapter.fuse(base, features)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)
    expected = _unit(0.7 * base + 0.3 * adapter.project(features))
    np.testing.assert_allclose(fused, expected, atol=1e-5)


def test_too_few_pairs_and_bad_files_are_named(tmp_path):
    features, caps, owner, _ = _toy(n=5)
    with pytest.raises(ConfigError, match="at least 10 images"):
        train(features, caps, owner)
    (tmp_path / "bad.npz").write_bytes(b"not numpy")
    with pytest.raises(ConfigError, match="bad.npz: not a readable mmrag adapter"):
        Adapter.load(tmp_path / "bad.npz")


def test_read_pairs_formats(tmp_path):
    (tmp_path / "p.jsonl").write_text(
        json.dumps({"image": "a.jpg", "caption": "a dog"}) + "\n\n"
        + json.dumps({"image": "sub/b.png", "text": "一只猫"}) + "\n", encoding="utf-8")
    pairs = read_pairs(tmp_path / "p.jsonl")
    assert pairs == [(str(tmp_path / "a.jpg"), "a dog"), (str(tmp_path / "sub/b.png"), "一只猫")]
    (tmp_path / "p.tsv").write_text("a.jpg\ta dog on grass\n", encoding="utf-8")
    assert read_pairs(tmp_path / "p.tsv") == [(str(tmp_path / "a.jpg"), "a dog on grass")]
    (tmp_path / "bad.jsonl").write_text('{"image": "a.jpg"}\n{"oops"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: no caption"):
        read_pairs(tmp_path / "bad.jsonl")
    (tmp_path / "bad2.jsonl").write_text('{"oops"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad2.jsonl:1: expected a JSON object"):
        read_pairs(tmp_path / "bad2.jsonl")
    # a Flickr8k(-CN) folder: split lists joined with '+'
    flickr = tmp_path / "flickr"
    (flickr / "images").mkdir(parents=True)
    (flickr / "flickr8kcn").mkdir()
    for i in range(3):
        (flickr / "images" / f"im{i}.jpg").write_bytes(b"x")
    (flickr / "flickr8kcn" / "flickr8kenc.caption.txt").write_text(
        "\n".join(f"im{i}.jpg#enc#0 picture {i}" for i in range(3)))
    (flickr / "flickr8kcn" / "flickr8ktrain.txt").write_text("im0\n")
    (flickr / "flickr8kcn" / "flickr8kval.txt").write_text("im1\n")
    got = read_pairs(flickr, "flickr8kenc", "train+val")
    assert [c for _, c in got] == ["picture 0", "picture 1"]


@pytest.mark.model
def test_align_reembeds_the_index_and_remove_restores_it(cache, tmp_path, capsys):
    from PIL import Image

    from mmrag.cli.main import main
    from mmrag.index import read_manifest
    from mmrag.pipeline import Pipeline

    gallery, train_dir = tmp_path / "gallery", tmp_path / "train"
    gallery.mkdir()
    train_dir.mkdir()
    rng = np.random.default_rng(0)
    lines = []
    for i in range(24):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        target = (gallery if i < 4 else train_dir) / f"im{i}.png"
        Image.new("RGB", (64, 64), colour).save(target)
        if i >= 4:
            lines.append(json.dumps({"image": target.name, "caption": f"colour {colour}"}))
    (train_dir / "pairs.jsonl").write_text("\n".join(lines))
    index = tmp_path / "idx"
    rag = Pipeline.open(index, embedder="conse-hash", create=True)
    rag.ingest([gallery])
    ids = [h.id for h in rag.store.items("image")]
    before = rag.store.vectors(ids)
    average_before = rag.store.alt_vectors("average", ids)

    assert main(["align", str(train_dir / "pairs.jsonl"), "--index", str(index), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 20 and info["reembedded_images"] == 4
    # no --mix: the mix with the best recall on the held-out tenth, recorded
    by_mix = info["mix_by_held_out_recall@10"]
    assert info["mix"] == max(MIXES, key=lambda m: by_mix[str(m)])
    manifest = read_manifest(index)
    assert manifest["align"]["mix"] == info["mix"]
    assert manifest["align"]["file"] == "adapter.npz" and (index / "adapter.npz").exists()

    reopened = Pipeline.open(index)
    assert reopened.embedder.adapter is not None  # loaded from the manifest
    after = reopened.store.vectors(ids)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(np.linalg.norm(after, axis=1), 1.0, atol=1e-5)
    # what the index stores is what a fresh embed of the same file gives
    hit = reopened.store.items("image")[0]
    from mmrag.types import Content

    fresh = reopened.embedder.embed([Content("image", path=hit.meta["path"])], role="document")
    np.testing.assert_allclose(reopened.store.vectors([hit.id])[0], fresh[0], atol=1e-5)
    assert not np.allclose(reopened.store.alt_vectors("average", ids)[ids[0]],
                           average_before[ids[0]])
    assert reopened.search("colour", 2, where=Filter(modalities=["image"]))  # still searchable
    # the images' background was drawn again from the moved vectors (the sample holds all 4)
    sample = reopened.calibration().spaces["image"].vectors
    assert len(sample) == 4 and np.allclose((sample @ after.T).max(axis=1), 1.0, atol=1e-4)

    assert main(["align", "--remove", "--index", str(index)]) == 0
    restored = Pipeline.open(index)
    assert restored.embedder.adapter is None and read_manifest(index).get("align") is None
    assert not (index / "adapter.npz").exists()
    np.testing.assert_allclose(restored.store.vectors(ids), before, atol=1e-5)
    sample = restored.calibration().spaces["image"].vectors
    assert np.allclose((sample @ before.T).max(axis=1), 1.0, atol=1e-4)
    assert restored.store.count() == 4


def test_align_refuses_a_text_only_index(tmp_path, capsys):
    from mmrag.cli.main import main
    from mmrag.pipeline import Pipeline

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("hello")
    Pipeline.open(tmp_path / "idx", embedder="hash", create=True).ingest([docs])
    (tmp_path / "p.jsonl").write_text(json.dumps({"image": "x.jpg", "caption": "c"}))
    code = main(["align", str(tmp_path / "p.jsonl"), "--index", str(tmp_path / "idx")])
    assert code != 0
    assert "align works on indexes built with the conse embedder" in capsys.readouterr().err


@pytest.mark.model
def test_eval_measures_with_and_without_the_adapter(cache, tmp_path, capsys):
    from PIL import Image

    from mmrag.cli.main import main

    flickr = tmp_path / "flickr"
    (flickr / "images").mkdir(parents=True)
    (flickr / "flickr8kcn").mkdir()
    rng = np.random.default_rng(1)
    lines = []
    for i in range(16):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        Image.new("RGB", (48, 48), colour).save(flickr / "images" / f"im{i}.jpg")
        lines += [f"im{i}.jpg#enc#{n} a square of colour {colour} {n}" for n in range(2)]
    (flickr / "flickr8kcn" / "flickr8kenc.caption.txt").write_text("\n".join(lines))
    (flickr / "flickr8kcn" / "flickr8ktest.txt").write_text("im0\nim1\nim2\n")
    (flickr / "flickr8kcn" / "flickr8ktrain.txt").write_text(
        "\n".join(f"im{i}" for i in range(3, 16)))
    code = main(["eval", str(flickr), "--embedder", "conse-hash", "--out", str(tmp_path / "o"),
                 "--no-progress", "--json", "--strategies", "shared", "--align", "train"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(result["strategies"]) == {
        "t->i shared", "i->t shared", "t->i shared +align", "i->t shared +align",
        "t->i shared adapter", "i->t shared adapter"}
    assert result["align"]["images"] == 13 and result["align"]["pairs_dropped_as_evaluated"] == 0
    assert "+align" in (tmp_path / "o" / "report.md").read_text()
