"""The HTTP API through httpx (FastAPI's TestClient), on a hash-embedder index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient  # noqa: E402

from fixtures import NOVEL_PAGES, PANDA_ZH, TEA_EN, make_pdf  # noqa: E402
from mmrag.errors import ConfigError  # noqa: E402
from mmrag.llms import llms  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.server import Settings, create_app  # noqa: E402
from mmrag.server.security import check_bind  # noqa: E402
from mmrag.server.uploads import sniff, stored_suffix  # noqa: E402
from servers import serve_cli  # noqa: E402


def events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


@pytest.fixture
def client(rag: Pipeline) -> TestClient:
    return TestClient(create_app(rag, Settings(max_upload_bytes=200_000)), base_url="http://127.0.0.1")


@pytest.fixture
def loaded(client: TestClient, tmp_path: Path) -> TestClient:
    pdf = make_pdf(tmp_path / "novels.pdf", NOVEL_PAGES).read_bytes()
    files = [
        ("files", ("熊猫.txt", PANDA_ZH.encode(), "text/plain")),
        ("files", ("tea.md", ("# Tea\n\n" + TEA_EN).encode(), "text/markdown")),
        ("files", ("novels.pdf", pdf, "application/pdf")),
    ]
    r = client.post("/api/ingest/upload?wait=true", files=files)
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["state"] == "done" and len(job["report"]["added"]) == 3
    assert job["done"] == job["total"] == 3
    return client


def test_health_info_and_sources(loaded: TestClient, rag: Pipeline):
    assert loaded.get("/api/health").json()["status"] == "ok"
    info = loaded.get("/api/info").json()
    assert info["sources"] == 3 and info["embedder"] == "hash"
    assert info["capabilities"]["stream"] is True
    sources = loaded.get("/api/sources").json()
    stored = [Path(s["path"]) for s in sources]
    assert all(p.parent == rag.index_dir / "uploads" and p.is_file() for p in stored)
    assert any(p.name.endswith("-熊猫.txt") for p in stored)


def test_search_returns_hit_shapes(loaded: TestClient):
    r = loaded.post("/api/search", json={"query": "熊猫吃什么", "k": 2})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits[0]["text"] == PANDA_ZH and hits[0]["source"].endswith("熊猫.txt")
    assert {"id", "score", "modality", "source", "span", "text", "scores", "meta"} <= set(hits[0])
    pdf = loaded.post("/api/search", json={"query": "Faulkner", "k": 1}).json()["hits"][0]
    assert pdf["span"] == {"page": 3}


def test_search_and_ask_take_the_cli_filters(client: TestClient, rag: Pipeline, tmp_path: Path):
    docs = tmp_path / "tagged"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\n" + TEA_EN)
    rag.ingest([docs], tags=["drinks"])
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "tea2.md").write_text("# Tea again\n\n" + TEA_EN)
    rag.ingest([tmp_path / "plain"])
    tagged = client.post("/api/search", json={"query": "tea", "k": 5, "tags": ["drinks"]})
    assert tagged.status_code == 200
    assert {h["source"].rsplit("/", 1)[-1] for h in tagged.json()["hits"]} == {"tea.md"}
    untagged = client.post("/api/search", json={"query": "tea", "k": 5, "tags": ["none"]})
    assert untagged.json()["hits"] == []
    asked = client.post("/api/ask", json={"question": "tea?", "tags": ["drinks"]})
    assert asked.status_code == 200
    cited = asked.json()["citations"]
    assert cited and all(c["source"].endswith("tea.md") for c in cited)


def test_unknown_keys_and_bad_values_are_rejected(loaded: TestClient):
    assert loaded.post("/api/search", json={"query": "x", "top_k": 3}).status_code == 422
    assert loaded.post("/api/search", json={"query": "x", "k": 0}).status_code == 422
    r = loaded.post("/api/search", json={"query": "x", "strategy": "nope"})
    assert r.status_code == 400 and "available" in r.json()["detail"]


def test_ask_json_and_stream_agree(loaded: TestClient):
    question = {"question": "Who wrote the 1929 novel?"}
    answer = loaded.post("/api/ask", json=question).json()
    assert "[1]" in answer["answer"] and answer["citations"][0]["span"] == {"page": 3}
    r = loaded.post("/api/ask/stream", json=question)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    stream = events(r.text)
    assert [e for e, _ in stream] == ["citations", "token", "done"]
    assert stream[0][1]["citations"][0]["n"] == 1
    assert stream[1][1]["text"] == answer["answer"]
    assert stream[2][1]["answer"] == answer["answer"]


class ScriptedLLM:
    name = "scripted-server-test"
    mode = "chat"

    def __init__(self, **options: object):
        pass

    def stream(self, messages, **options):
        yield from [" William", " Faulkner", " wrote it [1]", "\nand more", " text"]


def test_ask_stream_sends_llm_tokens_as_written(tmp_path: Path):
    llms.register(ScriptedLLM.name)(ScriptedLLM)
    rag = Pipeline.open(tmp_path / "i", embedder="hash", create=True, generator="llm",
                        generator_options={"llm": ScriptedLLM.name})
    client = TestClient(create_app(rag), base_url="http://127.0.0.1")
    make_pdf(tmp_path / "novels.pdf", NOVEL_PAGES)
    rag.ingest([tmp_path / "novels.pdf"])
    r = client.post("/api/ask/stream", json={"question": "Who wrote the 1929 novel?"})
    stream = events(r.text)
    tokens = [d["text"] for e, d in stream if e == "token"]
    assert tokens == ["William", " Faulkner", " wrote it [1]"]
    assert stream[-1][0] == "done" and stream[-1][1]["answer"].startswith("William Faulkner")
    assert stream[-1][1]["generator"] == "llm"


def test_media_serves_only_indexed_files(loaded: TestClient, rag: Pipeline, tmp_path: Path):
    source = next(s for s in loaded.get("/api/sources").json() if s["path"].endswith(".md"))
    r = loaded.get("/api/media", params={"path": source["source"]})
    assert r.status_code == 200 and r.text.startswith("# Tea")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-security-policy"] == "sandbox"
    part = loaded.get("/api/media", params={"path": source["path"]},
                      headers={"Range": "bytes=2-4"})
    assert part.status_code == 206 and part.content == b"Tea"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for path in [str(outside), "/etc/passwd", source["path"] + "/../../manifest.json",
                 str(rag.index_dir / "manifest.json")]:
        assert loaded.get("/api/media", params={"path": path}).status_code == 404, path
    pdf = next(s for s in loaded.get("/api/sources").json() if s["path"].endswith(".pdf"))
    r = loaded.get("/api/media", params={"path": pdf["path"]})
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")


def test_uploads_are_sniffed_limited_and_renamed(client: TestClient, rag: Pipeline):
    def upload(name: str, data: bytes) -> int:
        return client.post("/api/ingest/upload?wait=true",
                           files=[("files", (name, data, "application/octet-stream"))]
                           ).status_code

    assert upload("fake.pdf", b"just some text pretending") == 415
    assert upload("tool.txt", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)) == 415
    assert upload("big.txt", b"a" * 300_000) == 413
    assert upload("../../../escape.txt", "大熊猫 escape".encode()) == 200
    stored = [Path(s["path"]) for s in client.get("/api/sources").json()]
    assert len(stored) == 1 and stored[0].parent == rag.index_dir / "uploads"
    assert stored[0].name.endswith("-escape.txt")
    assert sorted(p.name for p in (rag.index_dir / "uploads").iterdir()) == [stored[0].name]


def test_one_bad_file_in_a_batch_is_named_and_the_rest_indexed(client: TestClient,
                                                               rag: Pipeline):
    files = [("files", ("ok.txt", "大熊猫 bamboo".encode(), "text/plain")),
             ("files", ("empty.pdf", b"", "application/pdf")),
             ("files", ("fake.pdf", b"just some text pretending", "application/pdf"))]
    job = client.post("/api/ingest/upload?wait=true", files=files).json()
    assert job["state"] == "done" and len(job["report"]["added"]) == 1
    assert job["report"]["errors"] == [
        {"source": "empty.pdf", "error": "empty.pdf: the file is empty"},
        {"source": "fake.pdf", "error": "fake.pdf: its content is text, not PDF"}]
    # every file bad: the request is refused, each named in one short line
    r = client.post("/api/ingest/upload?wait=true", files=files[1:])
    assert r.status_code == 415 and r.json()["detail"] == (
        "empty.pdf: the file is empty; fake.pdf: its content is text, not PDF")


def test_content_and_name_may_differ_within_one_loader():
    assert stored_suffix(".wav", ".mp3") == ".mp3"  # audio either way, as `mmrag ingest` reads it
    assert stored_suffix(".jpg", ".png") == ".png"
    assert stored_suffix(".wav", ".pdf") is None
    assert stored_suffix(".pdf", ".png") is None


def test_media_lets_players_play_and_sandboxes_the_rest(client: TestClient, rag: Pipeline,
                                                        tmp_path: Path):
    from mmrag.server.media import headers

    assert headers("audio/wav")["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers("video/mp4")["Content-Security-Policy"] == headers("image/png")[
        "Content-Security-Policy"]
    assert headers("text/plain; charset=utf-8")["Content-Security-Policy"] == "sandbox"
    assert headers("image/svg+xml")["Content-Security-Policy"] == "sandbox"
    assert headers("application/pdf")["Content-Security-Policy"] == "sandbox"
    page = tmp_path / "page.txt"
    page.write_text("plain tea notes", encoding="utf-8")
    rag.ingest([page])
    assert client.get("/api/thumb", params={"path": str(page)}).status_code == 404
    missing = client.get("/api/no-such-route").json()
    assert missing == {"error": "NotFound", "detail": "GET /api/no-such-route: Not Found"}


def test_sniff_magic_bytes():
    assert sniff(b"%PDF-1.7\n") == ".pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == ".png"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") == ".wav"
    assert sniff(b"\x00\x00\x00\x18ftypmp42") == ".mp4"
    assert sniff("中文".encode()[:5]) == ".txt"
    assert sniff(b"\x00\x01\x02") is None


def test_delete_removes_source_and_upload(loaded: TestClient):
    source = next(s for s in loaded.get("/api/sources").json() if s["path"].endswith(".md"))
    r = loaded.delete("/api/sources", params={"path": source["source"]})
    assert r.status_code == 200 and r.json()["deleted"] == [source["source"]]
    assert not Path(source["path"]).exists()
    assert loaded.delete("/api/sources", params={"path": source["source"]}).status_code == 404
    assert len(loaded.get("/api/sources").json()) == 2


def test_ingest_path_only_under_allowed_roots(rag: Pipeline, corpus: Path, tmp_path: Path):
    client = TestClient(create_app(rag, Settings(allowed_paths=(corpus,))), base_url="http://127.0.0.1")
    r = client.post("/api/ingest/path?wait=true", json={"paths": [str(corpus)]})
    assert r.status_code == 200 and len(r.json()["report"]["added"]) == 4
    r = client.post("/api/ingest/path", json={"paths": [str(corpus / ".." / "index")]})
    assert r.status_code == 403
    job = client.post("/api/ingest/path", json={"paths": [str(corpus / "tea.md")]}).json()
    assert client.get(f"/api/ingest/{job['id']}").status_code == 200
    assert client.get("/api/ingest/nope").status_code == 404


def test_token_required_when_set(rag: Pipeline):
    client = TestClient(create_app(rag, Settings(token="s3cret")), base_url="http://127.0.0.1")
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/sources").status_code == 401
    assert client.get("/api/sources", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/sources", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    client.cookies.set("mmrag_token", "s3cret")
    assert client.get("/api/sources").status_code == 200


def test_binding_beyond_loopback_needs_a_token():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::"):
        with pytest.raises(ConfigError, match="MMRAG_API_TOKEN"):
            check_bind(host, None)
        check_bind(host, "token")


def test_cli_serve_refuses_public_host_without_token(monkeypatch, capsys, tmp_path):
    from mmrag.cli.main import main

    monkeypatch.delenv("MMRAG_API_TOKEN", raising=False)
    code = main(["serve", "--host", "0.0.0.0", "--index", str(tmp_path / "i")])
    assert code == 2 and "MMRAG_API_TOKEN" in capsys.readouterr().err


def test_cors_is_off_by_default(rag: Pipeline):
    headers = {"Origin": "http://evil.example"}
    r = TestClient(create_app(rag), base_url="http://127.0.0.1").get("/api/health", headers=headers)
    assert "access-control-allow-origin" not in r.headers
    allowed = TestClient(create_app(rag, Settings(cors_origins=("http://evil.example",))), base_url="http://127.0.0.1")
    r = allowed.get("/api/health", headers=headers)
    assert r.headers["access-control-allow-origin"] == "http://evil.example"


def test_image_and_audio_queries_refuse_bad_files(client: TestClient, rag: Pipeline):
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    r = client.post("/api/search/image", files={"file": ("q.png", png, "image/png")})
    if hasattr(rag, "search_image"):
        assert r.status_code in (200, 400)
    else:
        assert r.status_code == 501
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(64)
    r = client.post("/api/search/audio", files={"file": ("q.wav", wav, "audio/wav")})
    # speech support is in: a broken recording is named as unprocessable, not a crash
    assert r.status_code == 422 and "q.wav" in r.json()["detail"] or r.status_code == 400


def test_openapi_and_offline_docs(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/ask/stream", "/api/ingest/upload", "/api/media"} <= set(
        spec["paths"])
    html = client.get("/docs").text
    assert "http://" not in html and "https://" not in html
    for src in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        if src in html:
            assert client.get(src).status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "https://" not in page.text


def test_concurrent_uploads_and_searches_keep_the_index_whole(client: TestClient):
    import threading

    texts = {f"doc{i}.txt": (f"document {i} " + "bamboo panda tea planet " * 200) for i in range(6)}
    statuses: list[int] = []

    def upload(name: str, text: str) -> None:
        r = client.post("/api/ingest/upload?wait=true",
                        files=[("files", (name, text.encode(), "text/plain"))])
        statuses.append(r.status_code)

    def search() -> None:
        for _ in range(5):
            statuses.append(client.post("/api/search", json={"query": "panda"}).status_code)

    threads = [threading.Thread(target=upload, args=item) for item in texts.items()]
    threads += [threading.Thread(target=search) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {200}
    sources = client.get("/api/sources").json()
    assert len(sources) == 6
    info = client.get("/api/info").json()
    assert info["chunks"] == sum(s["chunks"] for s in sources)


def test_thumbnail_is_a_small_jpeg_when_pillow_is_there(tmp_path: Path):
    image = pytest.importorskip("PIL.Image")
    from mmrag.server.media import thumbnail

    big = tmp_path / "big.png"
    image.new("RGB", (1000, 500), (10, 200, 30)).save(big)
    small = thumbnail(big, tmp_path / "thumbs")
    assert small.suffix == ".jpg" and image.open(small).size == (320, 160)
    assert thumbnail(big, tmp_path / "thumbs") == small  # cached


def test_oversized_body_is_refused_before_it_is_read(rag: Pipeline):
    client = TestClient(create_app(rag, Settings(max_upload_bytes=1000)), base_url="http://127.0.0.1")
    big = ("a.txt", b"a" * (2 * 2**20), "text/plain")
    r = client.post("/api/ingest/upload", files=[("files", big)])
    assert r.status_code == 413 and "over the limit" in r.json()["detail"]
    assert not (rag.index_dir / "uploads").exists()


@pytest.mark.slow  # starts `mmrag serve` in a subprocess and waits for it
def test_cli_serve_answers_on_loopback(tmp_path: Path):
    import httpx

    with serve_cli(tmp_path / "i", "--embedder", "hash") as url:
        r = httpx.get(f"{url}/api/health")
        assert r.json()["status"] == "ok"
        assert httpx.get(f"{url}/api/sources").json() == []


def test_the_same_upload_twice_is_indexed_once(client: TestClient, rag: Pipeline):
    def upload(name: str) -> dict:
        return client.post("/api/ingest/upload?wait=true",
                           files=[("files", (name, PANDA_ZH.encode(), "text/plain"))]).json()

    first, second = upload("熊猫.txt"), upload("panda-again.txt")
    assert len(first["report"]["added"]) == 1
    assert second["report"]["unchanged"] == first["report"]["added"]
    assert len(client.get("/api/sources").json()) == 1
    assert len(list((rag.index_dir / "uploads").iterdir())) == 1
