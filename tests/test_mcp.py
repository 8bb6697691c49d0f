"""The MCP server through the official SDK's own client: over stdio (``mmrag mcp`` in its own
process, as an assistant starts it) and over streamable HTTP (``/mcp`` on a loopback server)."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from fixtures import NOVEL_PAGES, TEA_EN, make_pdf
from mmrag.pipeline import Pipeline
from mmrag.server import Settings, create_app
from servers import SRC, serve_app

mcp = pytest.importorskip("mcp", reason="the MCP test drives the official mcp SDK's client")


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    docs, extra = tmp_path / "docs", tmp_path / "allowed"
    docs.mkdir()
    extra.mkdir()
    (docs / "tea.md").write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    (extra / "planets.txt").write_text("Jupiter is the largest planet; Mars has Olympus Mons.",
                                       encoding="utf-8")
    make_pdf(extra / "novels.pdf", NOVEL_PAGES)
    index = tmp_path / "index"
    assert not Pipeline.open(index, embedder="hash", create=True).ingest([docs]).errors
    return {"docs": docs, "allowed": extra, "index": index, "outside": tmp_path / "outside"}


def payload(result) -> dict:
    assert not result.is_error, result.content
    return result.structured_content or json.loads(result.content[0].text)


async def exercise(client, folders: dict[str, Path], delete: bool) -> None:
    """List the tools, call each, and check the results and the errors."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"search", "ask", "ingest", "sources"} | ({"delete"} if delete else set())
    assert {"query", "k", "modality", "source", "tags", "after", "before",
            "collection"} <= set(tools["search"].input_schema["properties"])

    found = payload(await client.call_tool("search", {"query": "Portuguese traders", "k": 3}))
    top = found["hits"][0]
    assert top["source"].endswith("tea.md") and "Portuguese" in top["text"]
    assert found["collection"] == "default"

    answer = payload(await client.call_tool("ask", {"question": "Who brought tea to Europe?"}))
    assert "Portuguese" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["n"] == 1
    bad = await client.call_tool("ask", {"question": "tea", "modality": ["smell"]})
    assert bad.is_error and "smell" in bad.content[0].text

    outside = await client.call_tool("ingest", {"paths": [str(folders["outside"])]})
    assert outside.is_error and "not under a folder the server allows" in \
        outside.content[0].text
    report = payload(await client.call_tool("ingest", {"paths": [str(folders["allowed"])]}))
    assert len(report["added"]) == 2 and not report["errors"]
    listed = payload(await client.call_tool("sources", {}))["sources"]
    names = {Path(s["path"]).name for s in listed}
    assert names == {"tea.md", "planets.txt", "novels.pdf"}
    found = payload(await client.call_tool("search", {"query": "Faulkner novel",
                                                      "source": "*.pdf", "k": 2}))
    assert found["hits"] and all(h["source"].endswith(".pdf") for h in found["hits"])
    nothing = payload(await client.call_tool("search", {"query": "tea", "modality": ["audio"]}))
    assert nothing["hits"] == []

    bad = await client.call_tool("search", {"query": "tea", "collection": "nope"})
    assert bad.is_error and "no collection 'nope'" in bad.content[0].text
    bad = await client.call_tool("search", {"query": "tea", "k": "many"})
    assert bad.is_error

    # the cited file, as a resource
    contents = (await client.read_resource(top["resource"])).contents[0]
    assert base64.b64decode(contents.blob) == (folders["docs"] / "tea.md").read_bytes()
    with pytest.raises(mcp.MCPError, match="not in the index"):
        await client.read_resource("mmrag://default/media?path=" + quote("/etc/passwd", safe=""))

    planets = str(folders["allowed"] / "planets.txt")
    if delete:
        gone = payload(await client.call_tool("delete", {"path": planets}))
        assert gone["deleted"] == [planets] and gone["chunks"] >= 1
        again = await client.call_tool("delete", {"path": planets})
        assert again.is_error and "not in the index" in again.content[0].text
    else:
        refused = await client.call_tool("delete", {"path": planets})
        assert refused.is_error


def test_stdio_server_started_as_an_assistant_would(folders):
    params = mcp.StdioServerParameters(
        command=sys.executable,
        args=["-m", "mmrag", "mcp", "--index", str(folders["index"]),
              "--allow-path", str(folders["allowed"]), "--allow-delete"],
        env={"PYTHONPATH": str(SRC)})

    async def main() -> None:
        async with mcp.Client(params, read_timeout_seconds=60) as client:
            await exercise(client, folders, delete=True)

    asyncio.run(main())


def test_streamable_http_on_the_server(folders):
    rag = Pipeline.open(folders["index"])
    app = create_app(rag, Settings(allowed_paths=(folders["allowed"].resolve(),)))
    with serve_app(app) as url:
        async def main() -> None:
            async with mcp.Client(f"{url}/mcp") as client:
                await exercise(client, folders, delete=False)

        asyncio.run(main())
