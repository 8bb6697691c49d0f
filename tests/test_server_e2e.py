"""The web page in real headless Chromium (Debian's, driven by Playwright) against a live
server on loopback: ingest by upload, search by text and by image, ask, check citations."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not CHROMIUM.exists():
    pytest.skip("no /usr/bin/chromium: run scripts/install-server-deps.sh",
                allow_module_level=True)
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from fixtures import NOVEL_PAGES, PANDA_ZH, TEA_EN, make_pdf  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.server import Settings, create_app  # noqa: E402
from servers import serve_app  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        # A fake microphone that needs no permission prompt, for the spoken query.
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def png(path: Path, rgb: tuple[int, int, int], size: int = 16) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size,
                     8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def server(tmp_path: Path):
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    with serve_app(create_app(rag, Settings())) as url:
        yield url, rag


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "upload"
    root.mkdir()
    (root / "熊猫.txt").write_text(PANDA_ZH, encoding="utf-8")
    (root / "tea.md").write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    return {
        "panda": root / "熊猫.txt",
        "tea": root / "tea.md",
        "pdf": make_pdf(root / "novels.pdf", NOVEL_PAGES),
        "image": png(root / "red.png", (220, 30, 30)),
    }


# Chinese renders when its glyphs differ: with no CJK font every character is the same box.
GLYPHS_DIFFER = """([a, b]) => {
  const draw = (ch) => {
    const c = document.createElement("canvas"); c.width = c.height = 40;
    const g = c.getContext("2d");
    g.font = "32px " + getComputedStyle(document.body).fontFamily;
    g.fillText(ch, 2, 34);
    return c.toDataURL();
  };
  return draw(a) !== draw(b);
}"""


def test_page_ingests_searches_asks_and_cites(server, files):
    url, rag = server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url + "/")
        expect(page.locator("#status")).to_contain_text("0 files")

        # Ingest through the page's file input: progress bar, then the report.
        page.set_input_files("#ingest-files", [str(files[k]) for k in ("panda", "tea", "pdf")])
        expect(page.locator("#ingest-status")).to_have_attribute("data-state", "done",
                                                                 timeout=30_000)
        expect(page.locator("#ingest-status")).to_contain_text("Added 3 file(s)")
        expect(page.locator("#ingest-progress")).to_be_hidden()  # done: no bar stuck at 100%
        expect(page.locator("#sources li")).to_have_count(3)
        expect(page.locator("#sources")).to_contain_text("熊猫.txt")

        # Text search, in Chinese.
        page.fill("#q", "熊猫吃什么")
        page.click("#search-btn")
        first = page.locator("#grid .card").first
        expect(first).to_contain_text("大熊猫是中国特有的动物")
        expect(first.locator(".title")).to_have_text("熊猫.txt")
        assert page.evaluate(GLYPHS_DIFFER, ["熊", "猫"]), "Chinese renders as boxes"

        # Image query: image results when the index reads images, else a clear refusal.
        page.set_input_files("#image-file", str(files["image"]))
        if hasattr(rag, "search_image") and "image" in rag.embedder.modalities:
            expect(page.locator("#grid .card[data-modality=image] img.thumb").first).to_be_visible()
        else:
            expect(page.locator("#message")).to_contain_text("reads no images")

        # Ask: a streamed answer with a numbered citation opening the PDF at its page.
        page.fill("#q", "Who wrote the 1929 novel?")
        page.click("#ask-btn")
        cite = page.locator("#answer-text a.cite").first
        expect(cite).to_have_text("[1]", timeout=30_000)
        expect(page.locator("#answer-text")).to_contain_text("Faulkner")
        href = cite.get_attribute("href") or ""
        assert "novels.pdf" in href and href.endswith("#page=3")
        item = page.locator("#citations li").first
        expect(item).to_contain_text("[1]")
        expect(item).to_contain_text("novels.pdf")
        expect(item).to_contain_text("p. 3")
        opened = page.request.get(url + href.split("#")[0])
        assert opened.status == 200 and opened.body().startswith(b"%PDF")

        page.screenshot(path=str(ARTIFACTS / "server-e2e.png"), full_page=True)

        # Delete from the library list.
        page.locator("#sources li", has_text="tea.md").locator("button").click()
        page.locator("#sources li", has_text="tea.md").get_by_role("button", name="Confirm").click()
        expect(page.locator("#sources li")).to_have_count(2)
        browser.close()
    assert all(r.startswith(url) for r in requests), "the page reached beyond the server"


def test_docs_page_works_offline(server):
    url, _ = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page()
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
        page.goto(url + "/docs")
        expect(page.get_by_text("/api/ask/stream").first).to_be_visible(timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "server-docs.png"))
        browser.close()
    assert outside == []


def wav(path: Path, seconds: float = 12.0, rate: int = 8000) -> Path:
    import math
    import wave

    frames = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


class _Store:
    """The real store, which also knows the media files of the hits below."""

    def __init__(self, store, records):
        self._store, self._records = store, records

    def __getattr__(self, name):
        return getattr(self._store, name)

    def source(self, path):
        return self._records.get(path) or self._store.source(path)


class MediaPipeline(Pipeline):
    """Until the image and speech branches land, image and audio hits come from here: the
    page's thumbnails, players and image/voice queries run in the browser all the same."""

    media: list = []

    def search(self, query, k=10, **options):
        hits = super().search(query, k, **options)
        return [*self.media, *hits][:k] if "sound" in query else hits

    def search_image(self, path, k=10):
        return [h for h in self.media if h.modality == "image"]

    def sources(self):
        return [*super().sources(), *self.store._records.values()]


def test_page_shows_images_and_plays_recordings_at_the_cited_second(tmp_path, files,
                                                                     monkeypatch):
    from mmrag.server import capabilities as server_capabilities
    from mmrag.stores import SourceRecord
    from mmrag.types import Hit, Span

    recording = wav(tmp_path / "bamboo-talk.wav")
    heard: list[str] = []
    monkeypatch.setattr(server_capabilities, "speech_transcriber", lambda: lambda path, name: (
        heard.append(Path(path).suffix) or "熊猫吃什么"))
    rag = MediaPipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.embedder.modalities = frozenset({"text", "image"})  # type: ignore[misc]
    records = {
        str(p): SourceRecord(str(p), str(p), "h", p.stat().st_size, 0, 1, kind, 0)
        for p, kind in ((recording, "audio"), (files["image"], "image"))
    }
    rag.store = _Store(rag.store, records)
    MediaPipeline.media = [
        Hit("a1", 0.9, str(recording), "pandas chewing bamboo", "audio",
            Span(start=4.0, end=9.0)),
        Hit("i1", 0.8, str(files["image"]), "a red square", "image",
            meta={"path": str(files["image"])}),
    ]
    rag.ingest([files["panda"]])
    with serve_app(create_app(rag, Settings())) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        expect(page.locator("#status")).to_contain_text("3 files")

        page.fill("#q", "bamboo sounds")
        page.click("#search-btn")
        audio = page.locator("#grid .card[data-modality=audio] audio")
        expect(audio).to_have_count(1)
        expect(page.locator("#grid .card[data-modality=audio] .where")).to_have_text(
            "00:04–00:09")
        page.wait_for_function("""() => {
                const a = document.querySelector('#grid audio');
                return a && a.readyState >= 1 && Math.abs(a.currentTime - 4) < 0.5; }""",
                               timeout=15_000)
        thumb = page.locator("#grid .card[data-modality=image] img.thumb")
        page.wait_for_function("""() => {
                const i = document.querySelector('#grid img.thumb');
                return i && i.complete && i.naturalWidth > 0; }""", timeout=15_000)
        assert thumb.count() == 1

        # Image query: the dropped image's look-alikes come back as a grid of thumbnails.
        page.fill("#q", "")
        page.set_input_files("#image-file", str(files["image"]))
        expect(page.locator("#results-title")).to_contain_text("the image")
        expect(page.locator("#grid .card")).to_have_count(1)

        # Audio-file query and the microphone: transcribed, then searched as text.
        page.set_input_files("#audio-file", str(recording))
        expect(page.locator("#q")).to_have_value("熊猫吃什么")
        expect(page.locator("#grid .card").first).to_contain_text("大熊猫")
        page.fill("#q", "")
        page.click("#mic")
        expect(page.locator("#mic")).to_have_text("■ Stop")
        page.wait_for_timeout(1200)
        page.click("#mic")
        expect(page.locator("#q")).to_have_value("熊猫吃什么")
        assert heard == [".wav", ".webm"]
        page.fill("#q", "bamboo sounds")
        page.click("#search-btn")
        expect(audio).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "server-e2e-media.png"), full_page=True)
        browser.close()


def test_page_asks_for_the_token_and_sends_it_to_media(tmp_path, files):
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([files["tea"]])
    with serve_app(create_app(rag, Settings(token="s3cret tok"))) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.goto(url + "/")
        expect(page.locator("#token-form")).to_be_visible()
        page.fill("#token", "s3cret tok")
        page.click("#token-form button")
        expect(page.locator("#status")).to_contain_text("1 files")
        # A plain link (no headers) opens the source: the cookie carries the token.
        link = page.locator("#sources a").first
        with page.context.expect_page() as opened:
            link.click()
        expect(opened.value.locator("body")).to_contain_text("Tea drinking began")
        browser.close()


def test_page_ingests_a_server_folder_the_operator_allowed(tmp_path, corpus):
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    settings = Settings(allowed_paths=(corpus,))
    with serve_app(create_app(rag, settings)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.goto(url + "/")
        expect(page.locator("#path-form")).to_be_visible()
        page.fill("#server-path", str(corpus / ".." / ".."))
        page.click("#path-form button")
        expect(page.locator("#ingest-status")).to_contain_text("not under a folder")
        page.fill("#server-path", str(corpus))
        page.click("#path-form button")
        expect(page.locator("#ingest-status")).to_have_attribute("data-state", "done",
                                                                 timeout=30_000)
        expect(page.locator("#ingest-status")).to_contain_text("Added 4 file(s)")
        expect(page.locator("#sources li")).to_have_count(4)
        browser.close()


def test_page_finds_3d_models_by_shape(server, tmp_path):
    from mmrag.mesh.synthetic import make

    url, rag = server
    models = tmp_path / "models"
    models.mkdir()
    for name, suffix in [("chair", ".glb"), ("torus", ".ply"), ("sphere", ".stl")]:
        make(name, seed=1).export(models / f"item_{name}{suffix}")
    assert len(rag.ingest([models]).added) == 3
    query = tmp_path / "query.obj"
    make("torus", seed=5, noise=0.005, pose=True).export(query)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        page.set_input_files("#mesh-file", str(query))
        first = page.locator("#grid .card").first
        expect(first).to_have_attribute("data-modality", "mesh")
        expect(first.locator(".title")).to_have_text("item_torus.ply")
        expect(first.locator("img.thumb")).to_be_visible()  # a rendered view of the model
        expect(page.locator("#grid .card[data-modality=mesh]")).to_have_count(3)
        browser.close()
