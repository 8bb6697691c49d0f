"""Named collections with per-collection tokens: a token reads its collections and learns
nothing about the others, on /api, /c/NAME/api, /v1 and the MCP tools."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from fixtures import NOVEL_PAGES, TEA_EN, make_pdf
from mmrag.errors import ConfigError
from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app
from mmrag.server.settings import parse_grants
from servers import serve_app

ADMIN, WORK, FAMILY = "admin-secret", "work-secret", "family-secret"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(tmp_path: Path):
    from PIL import Image

    (tmp_path / "w").mkdir()
    (tmp_path / "f").mkdir()
    tea = tmp_path / "w" / "tea.md"
    tea.write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    novels = make_pdf(tmp_path / "f" / "novels.pdf", NOVEL_PAGES)
    work = Pipeline.open(tmp_path / "work", embedder="hash", create=True)
    family = Pipeline.open(tmp_path / "family", embedder="hash", create=True)
    assert not work.ingest([tea]).errors and not family.ingest([novels]).errors
    frame = family.index_dir / "media" / "frame.png"  # a file the index made, as key frames
    frame.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (640, 480), (10, 120, 30)).save(frame)
    settings = Settings(token=ADMIN, grants=parse_grants(f"{WORK}=work,{FAMILY}=family"))
    app = create_app(work, settings, {"work": work, "family": family})
    with serve_app(app) as url:
        yield {"url": url, "tea": str(tea.resolve()), "novels": str(novels.resolve()),
               "frame": str(frame.resolve())}


def refusal(response: httpx.Response, name: str) -> dict:
    """A 403 whose body, the asked name aside, is the same for every collection."""
    assert response.status_code == 403, response.text
    return {**response.json(), "detail": response.json()["detail"].replace(repr(name), "X")}


def test_a_token_reads_its_collection_and_nothing_of_another(server):
    url, tea, novels = server["url"], server["tea"], server["novels"]
    work = httpx.Client(base_url=url, headers=bearer(WORK))
    family = httpx.Client(base_url=url, headers=bearer(FAMILY))
    admin = httpx.Client(base_url=url, headers=bearer(ADMIN))

    # its own collection, at /api (the first) and at /c/work
    for prefix in ("/api", "/c/work/api"):
        hits = work.post(f"{prefix}/search", json={"query": "Portuguese tea"}).json()["hits"]
        assert hits and {h["source"] for h in hits} == {tea}
        assert work.get(f"{prefix}/sources").json()[0]["path"] == tea
        assert work.get(f"{prefix}/media", params={"path": tea}).content == \
            Path(tea).read_bytes()
    answer = work.post("/api/ask", json={"question": "Who brought tea to Europe?"}).json()
    assert "Portuguese" in answer["answer"]

    hits = family.post("/c/family/api/search", json={"query": "Faulkner novel"}).json()["hits"]
    assert hits and {h["source"] for h in hits} == {novels}
    assert family.get("/c/family/").status_code == 404  # the page reads /api, not family
    thumb = family.get("/c/family/api/thumb", params={"path": server["frame"]})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"

    # the other collection: every path under it, page and health included, refused exactly
    # as a collection that does not exist
    expected = refusal(work.get("/c/nope/api/info"), "nope")
    for method, path, body in [
        ("POST", "/c/family/api/search", {"query": "Faulkner"}),
        ("POST", "/c/family/api/ask", {"question": "Who wrote it?"}),
        ("GET", "/c/family/api/sources", None),
        ("GET", f"/c/family/api/media?path={quote(novels)}", None),
        ("GET", f"/c/family/api/thumb?path={quote(server['frame'])}", None),
        ("GET", "/c/family/api/info", None),
        ("GET", "/c/family/api/health", None),
        ("GET", "/c/family/", None),
        ("DELETE", f"/c/family/api/sources?path={quote(novels)}", None),
    ]:
        assert refusal(work.request(method, path, json=body), "family") == expected, path
    assert refusal(family.post("/api/search", json={"query": "tea"}), "work") == \
        refusal(family.get("/c/nope/api/info"), "nope")
    # a family file through the work collection's own routes is not there
    assert work.get("/api/media", params={"path": novels}).status_code == 404
    assert work.get("/api/thumb", params={"path": server["frame"]}).status_code == 404
    assert family.get("/c/family/api/sources").json()[0]["path"] == novels  # not deleted

    # the server's token reads both; a wrong or missing token is 401 before any name
    assert admin.post("/c/family/api/search", json={"query": "Faulkner"}).json()["hits"]
    for client in (httpx.Client(base_url=url, headers=bearer("wrong")),
                   httpx.Client(base_url=url)):
        for path in ("/c/family/api/info", "/c/nope/api/info", "/api/info", "/v1/models"):
            assert client.get(path).status_code == 401, path


def test_openai_models_and_chat_see_only_the_token_s_collections(server):
    openai = pytest.importorskip("openai")

    def client(token: str):
        return openai.OpenAI(base_url=f"{server['url']}/v1", api_key=token, max_retries=0)

    assert [m.id for m in client(WORK).models.list()] == ["work/extractive"]
    assert [m.id for m in client(FAMILY).models.list()] == ["family/extractive"]
    assert [m.id for m in client(ADMIN).models.list()] == ["work/extractive",
                                                           "family/extractive"]
    messages = [{"role": "user", "content": "Who wrote The Sound and the Fury?"}]
    reply = client(FAMILY).chat.completions.create(model="family", messages=messages)
    assert "Faulkner" in reply.choices[0].message.content
    errors = []
    for model in ("family", "nope"):
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client(WORK).chat.completions.create(model=model, messages=messages)
        errors.append(refused.value.message.replace(repr(model), "X"))
        with pytest.raises(openai.PermissionDeniedError):
            client(WORK).embeddings.create(model=model, input="tea")
    assert errors[0] == errors[1] and "work/extractive" in errors[0]
    assert "family/" not in errors[0]


def test_mcp_tools_see_only_the_token_s_collections(server):
    mcp = pytest.importorskip("mcp")
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> None:
        transport = streamable_http_client(
            f"{server['url']}/mcp", http_client=httpx2.AsyncClient(headers=bearer(WORK)))
        async with mcp.Client(transport) as client:
            own = (await client.call_tool("sources", {})).structured_content
            assert own["collection"] == "work"
            assert [s["path"] for s in own["sources"]] == [server["tea"]]
            texts = []
            for name in ("family", "nope"):
                for tool, args in (("search", {"query": "Faulkner"}), ("sources", {}),
                                   ("ask", {"question": "Who wrote it?"})):
                    result = await client.call_tool(tool, {**args, "collection": name})
                    assert result.is_error
                    texts.append(result.content[0].text.replace(repr(name), "X"))
                with pytest.raises(mcp.MCPError) as refused:
                    await client.read_resource(
                        f"mmrag://{name}/media?path={quote(server['novels'], safe='')}")
                texts.append(str(refused.value).replace(repr(name), "X"))
            assert texts[:4] == texts[4:] and "Faulkner" not in " ".join(texts)

    asyncio.run(main())
    no_token = httpx.post(f"{server['url']}/mcp", json={"jsonrpc": "2.0", "id": 1,
                                                         "method": "tools/list"})
    assert no_token.status_code == 401


def test_collections_from_flags(tmp_path: Path):
    from mmrag.cli.commands.connect import open_collections

    for name in ("a", "b"):
        Pipeline.open(tmp_path / "all" / name, embedder="hash", create=True)
    (tmp_path / "all" / "not-an-index").mkdir()

    def args(**given) -> argparse.Namespace:
        base = {"index": None, "collections": None, "embedder": None, "generator": "extractive",
                "reranker": None, "refiner": "extractive", "budget": 600, "strategy": None}
        return argparse.Namespace(**{**base, **given})

    opened = open_collections(args(collections=tmp_path / "all"))
    assert list(opened) == ["a", "b"]
    opened = open_collections(args(index=[f"w={tmp_path / 'all' / 'b'}"],
                                   collections=tmp_path / "all"))
    assert list(opened) == ["w", "a", "b"]
    assert list(open_collections(args(index=[str(tmp_path / "all" / "a")]))) == ["default"]
    with pytest.raises(ConfigError, match="name each one"):
        open_collections(args(index=[str(tmp_path / "x"), f"b={tmp_path / 'y'}"]))
    with pytest.raises(ConfigError, match="no index in its subfolders"):
        open_collections(args(collections=tmp_path / "all" / "not-an-index"))
    with pytest.raises(ConfigError, match="TOKEN=NAME"):
        parse_grants("justatoken")


def test_serve_two_named_indexes_and_a_watched_folder(tmp_path: Path):
    """`mmrag serve --index work=A --index family=B --watch family=DIR`, as a user runs it."""
    import time

    from servers import serve_cli

    for name in ("work", "family"):
        Pipeline.open(tmp_path / name, embedder="hash", create=True)
    watched = tmp_path / "inbox"
    watched.mkdir()
    with serve_cli(Path(f"work={tmp_path / 'work'}"), "--index",
                   f"family={tmp_path / 'family'}", "--watch", f"family={watched}") as url:
        models = httpx.get(f"{url}/v1/models").json()["data"]
        assert [m["id"] for m in models] == ["work/extractive", "family/extractive"]
        (watched / "bees.txt").write_text("Honey bees dance to say where flowers are.",
                                          encoding="utf-8")
        deadline, hits = time.monotonic() + 60, []
        while not hits and time.monotonic() < deadline:
            time.sleep(0.2)
            hits = httpx.post(f"{url}/c/family/api/search",
                              json={"query": "bees dance"}).json()["hits"]
        assert hits and hits[0]["source"].endswith("bees.txt")
        assert httpx.post(f"{url}/api/search", json={"query": "bees dance"}).json()["hits"] == []
