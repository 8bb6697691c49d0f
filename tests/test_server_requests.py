"""Each hostile request case answered with a named status, never a 500 or a hang."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app

LOOPBACK = "http://127.0.0.1"


@pytest.fixture
def client(rag: Pipeline, corpus) -> TestClient:
    rag.ingest([corpus])
    return TestClient(create_app(rag, Settings(max_upload_bytes=10_000)), base_url=LOOPBACK)


def test_a_chunked_body_over_the_limit_is_413(client):
    def body():  # no Content-Length: sent chunked
        yield b'{"query": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/api/search", content=body(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "UploadTooLarge"


def test_host_of_another_name_and_cross_origin_posts_are_refused(client):
    assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 421
    assert client.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200
    files = [("files", ("x.txt", b"cross site text", "text/plain"))]
    r = client.post("/api/ingest/upload", files=files, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post("/api/search", json={"query": "panda"},
                    headers={"origin": LOOPBACK, "host": "127.0.0.1"})
    assert r.status_code == 200


@pytest.mark.parametrize("body", [
    '{"query": "x\\ud800"}', '{"query": "panda", "after": NaN}',
    '{"query": "panda", "before": Infinity}', '{"query": "panda", "after": 1e309}',
    '{"query": "panda", "k": "5"}', '{"query": "panda", "k": true}',
])
def test_bad_values_are_422_in_mmrags_shape(client, body):
    r = client.post("/api/search", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "ValidationError" and r.json()["detail"]


def test_a_422_does_not_echo_a_large_input(client):
    r = client.post("/api/search", json={"query": "y" * 500_000})
    assert r.status_code == 422 and len(r.content) < 2000


def test_deleting_a_folder_needs_confirmation(client, rag):
    n = len(rag.sources())
    r = client.delete("/api/sources", params={"path": "/"})
    assert r.status_code == 400 and "folder=true" in r.json()["detail"]
    assert len(rag.sources()) == n
    r = client.delete("/api/sources", params={"path": "/", "folder": "true"})
    assert r.status_code == 200 and len(rag.sources()) == 0


def test_uploads_are_kept_with_a_relative_index(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rag = Pipeline.open("rel-index", embedder="hash", create=True)
    client = TestClient(create_app(rag), base_url=LOOPBACK)
    files = [("files", ("note.txt", b"Pandas eat bamboo every day.", "text/plain"))]
    job = client.post("/api/ingest/upload?wait=true", files=files).json()
    assert job["report"]["added"]
    source = rag.sources()[0]
    assert client.get("/api/media", params={"path": source.path}).status_code == 200
    again = client.post("/api/ingest/upload?wait=true", files=files).json()
    assert again["report"]["unchanged"] and len(rag.sources()) == 1
    assert json.loads(client.get("/api/sources").text)[0]["path"] == source.path


def test_an_uploaded_recording_is_heard_by_the_servers_transcriber(tmp_path):
    """`serve --transcriber` chose the spoken queries' model only; uploads were always
    transcribed with whisper."""
    import io

    import numpy as np

    from fixtures import write_wav

    rag = Pipeline.open(tmp_path / "index", create=True, embedder="hash")
    app = create_app(rag, Settings(transcriber="fake"))
    client = TestClient(app, base_url=LOOPBACK)
    wav = write_wav(tmp_path / "memo.wav", np.full(16000 * 3, 0.2, dtype=np.float32))
    files = [("files", ("memo.wav", io.BytesIO(wav.read_bytes()), "audio/wav"))]
    job = client.post("/api/ingest/upload?wait=true", files=files).json()
    assert job["state"] == "done", job
    hits = rag.search("sound", k=3)
    assert hits and hits[0].modality == "audio"
