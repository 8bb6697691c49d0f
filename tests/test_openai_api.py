"""The /v1 OpenAI-compatible API through the official ``openai`` client, on a loopback server."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest

from fixtures import NOVEL_PAGES, TEA_EN, make_pdf
from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app
from mmrag.types import Content
from servers import serve_app

openai = pytest.importorskip("openai", reason="the /v1 test drives the official openai client")


class ImageQueries(Pipeline):
    """A hash-embedder pipeline that records image queries (the hash embedder reads no
    images) and answers them with the text search of their words."""

    seen: list[tuple[bytes, str | None]]

    def search_image(self, image, k=10, *, where=None, text=None):
        self.seen.append((Path(image).read_bytes(), text))
        return self.search(text or "tea", k)


@pytest.fixture
def indexed(tmp_path: Path) -> ImageQueries:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    make_pdf(docs / "novels.pdf", NOVEL_PAGES)
    rag = ImageQueries.open(tmp_path / "index", embedder="hash", create=True)
    rag.seen = []
    assert not rag.ingest([docs]).errors
    return rag


@pytest.fixture
def client(indexed: ImageQueries):
    with serve_app(create_app(indexed, Settings())) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def test_models_list_each_collection_with_its_answerers(client):
    assert [m.id for m in client.models.list()] == ["default/extractive"]
    assert client.models.retrieve("default").id == "default/extractive"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("default/gpt-4o")


def test_chat_answer_keeps_markers_and_citations(client):
    reply = client.chat.completions.create(
        model="default/extractive",
        messages=[{"role": "system", "content": "Answer briefly."},
                  {"role": "user", "content": "Who brought tea to Europe?"}])
    text = reply.choices[0].message.content
    assert "Portuguese" in text and "[1]" in text
    assert reply.choices[0].finish_reason == "stop"
    cited = reply.model_extra["citations"]
    assert cited[0]["n"] == 1 and cited[0]["source"].endswith("tea.md")
    assert "Portuguese traders" in cited[0]["text"]


def test_chat_stream_arrives_as_openai_chunks(client):
    stream = client.chat.completions.create(
        model="default", stream=True,
        messages=[{"role": "user", "content": "Who brought tea to Europe?"}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Portuguese" in text and "[1]" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"][0]["source"].endswith("tea.md")
    assert last.model_extra["mmrag"]["answer"] == text
    assert len({c.id for c in chunks}) == 1


def test_history_makes_a_follow_up_standalone(client):
    reply = client.chat.completions.create(model="default", messages=[
        {"role": "user", "content": "Tell me about The Sound and the Fury"},
        {"role": "assistant", "content": "It is a 1929 novel. [1]"},
        {"role": "user", "content": "Who wrote it?"}])
    query = reply.model_extra["mmrag"]["query"]
    assert query.startswith("Who wrote it?") and "fury" in query.lower()
    assert "Faulkner" in reply.choices[0].message.content


def test_an_image_part_is_an_image_query(client, indexed):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    reply = client.chat.completions.create(model="default", messages=[{"role": "user", "content": [
        {"type": "text", "text": "tea Europe"},
        {"type": "image_url", "image_url": {"url": url}}]}])
    assert indexed.seen == [(png, "tea Europe")]  # the very bytes, with the words beside
    assert reply.model_extra["citations"][0]["source"].endswith("tea.md")

    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="default", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}]}])
    assert "data URL" in bad.value.message and bad.value.code == "ConfigError"
    with pytest.raises(openai.APIStatusError) as bad:
        client.chat.completions.create(model="default", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,"
                                                + base64.b64encode(b"not an image").decode()}}]}])
    assert bad.value.status_code == 415 and "not accepted here" in bad.value.message


def test_bad_requests_get_openai_error_shapes(client):
    with pytest.raises(openai.PermissionDeniedError) as bad:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user",
                                                                  "content": "hi"}])
    assert "no collection 'gpt-4o'" in bad.value.message
    assert "default/extractive" in bad.value.message and bad.value.type == "permission_error"
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="default/gpt-4o", messages=[{"role": "user",
                                                                          "content": "hi"}])
    assert missing.value.type == "not_found_error"
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        client.chat.completions.create(model="default", messages=[])
    assert empty.value.param == "messages" and empty.value.code == "ValidationError"
    with pytest.raises(openai.BadRequestError) as long:
        client.chat.completions.create(model="default", messages=[{"role": "user",
                                                                   "content": "tea " * 600}])
    assert "at most 2000" in long.value.message
    with pytest.raises(openai.BadRequestError) as system_only:
        client.chat.completions.create(model="default", messages=[{"role": "system",
                                                                   "content": "hi"}])
    assert "no user message" in system_only.value.message
    with pytest.raises(openai.APIStatusError) as huge:
        client.chat.completions.create(model="default", messages=[
            {"role": "user", "content": "x" * 10_000_000}])
    assert huge.value.status_code == 413 and huge.value.code == "UploadTooLarge"
    assert "over the limit" in huge.value.message


def test_embeddings_are_the_index_embedder_vectors(client, indexed):
    texts = ["green tea", "熊猫吃竹子"]
    want = indexed.embedder.embed([Content.of_text(t) for t in texts], role="document")
    packed = client.embeddings.create(model="default", input=texts)  # the client's base64
    plain = client.embeddings.create(model="default/extractive", input=texts,
                                     encoding_format="float", extra_body={"role": "query"})
    for result in (packed, plain):
        got = np.array([d.embedding for d in result.data], dtype=np.float32)
        assert got.shape == (2, indexed.embedder.dim)
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert packed.usage.prompt_tokens > 0
    with pytest.raises(openai.BadRequestError) as bad:
        client.embeddings.create(model="default", input=[[1, 2, 3]])
    assert "token arrays" in bad.value.message


def test_an_unknown_route_answers_in_the_openai_shape(indexed):
    import httpx

    with serve_app(create_app(indexed, Settings())) as url:
        missing = httpx.post(f"{url}/v1/completions", json={"model": "default", "prompt": "x"})
    assert missing.status_code == 404
    assert missing.json() == {"error": {
        "message": "POST /v1/completions: Not Found", "type": "not_found_error",
        "param": None, "code": "NotFound"}}
