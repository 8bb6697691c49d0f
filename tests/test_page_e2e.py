"""The web page's defects of issue 22 and its result, answer and phone views, in real
headless Chromium against a live server on loopback. Every test also checks that the page
asked nothing of any other host. Screenshots go to tests/artifacts for review."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.e2e
pytest.importorskip("playwright.sync_api", reason="pip install 'mmrag[test]'")

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from fixtures import (  # noqa: E402
    NOVEL_PAGES,
    PANDA_ZH,
    RATE,
    TEA_EN,
    garden,
    make_pdf,
    write_wav,
)
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.server import Settings, create_app  # noqa: E402
from servers import serve_app  # noqa: E402
from test_server_e2e import ARGS, ARTIFACTS, CHROMIUM, png  # noqa: E402  (skips without it)

AXE = Path(os.environ.get("MMRAG_AXE_DIR") or Path(
    os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mmrag-test/axe-core-4.14.1"
) / "axe.min.js"
PHONES = [360, 390, 414]


class FakeEars(Pipeline):
    """Recordings are heard by the fake transcriber (loudness, no model), slowly enough for
    the page to show a recording's progress in seconds."""

    delay = 0.0

    def ingest(self, paths, on_progress=None, on_file_progress=None, **options):
        def slow(path, done, total):
            on_file_progress(path, done, total)
            time.sleep(self.delay)

        return super().ingest(paths, on_progress, slow if on_file_progress else None,
                              **{**options, "transcriber": "fake"})


def tone(path: Path, seconds: float) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    return write_wav(path, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "upload"
    root.mkdir()
    (root / "熊猫.txt").write_text(PANDA_ZH, encoding="utf-8")
    (root / "tea.md").write_text("# Tea\n\n" + TEA_EN, encoding="utf-8")
    (root / "empty.pdf").write_bytes(b"")
    return {"panda": root / "熊猫.txt", "tea": root / "tea.md", "empty": root / "empty.pdf",
            "pdf": make_pdf(root / "novels.pdf", NOVEL_PAGES),
            "image": png(root / "red.png", (220, 30, 30))}


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@contextmanager
def opened(chromium, rag, width: int = 1280, settings: Settings | None = None) -> Iterator:
    """The page of a live server for ``rag``; on leaving, no request went elsewhere."""
    with serve_app(create_app(rag, settings or Settings())) as url:
        context = chromium.new_context(viewport={"width": width, "height": 860})
        outside: list[str] = []
        context.on("request", lambda r: None if r.url.startswith(url) else outside.append(r.url))
        page = context.new_page()
        page.goto(url + "/")
        expect(page.locator("#status")).to_contain_text("files")
        page.url_base = url  # type: ignore[attr-defined]
        yield page
        context.close()
        assert outside == [], f"the page reached beyond the server: {outside}"


def index(tmp_path: Path, *paths: Path, cls=Pipeline, **options) -> Pipeline:
    rag = cls.open(tmp_path / "index", embedder="hash", create=True)
    if paths:
        rag.ingest(list(paths), **options)
    return rag


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide at {width[1]} px"


def axe(page) -> list[dict]:
    if not AXE.exists():
        pytest.skip(f"no {AXE}: run scripts/install-axe.sh")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document, "
                           "{resultTypes: ['violations']}))")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:120] for n in v["nodes"]]}
            for v in json.loads(result)["violations"] if v["impact"] in ("serious", "critical")]


# ---- the numbered defects ---------------------------------------------------------------------
def test_1_an_audio_citation_opens_a_player_that_loads(chromium, tmp_path, files):
    rag = index(tmp_path, tone(tmp_path / "memo.wav", 12), files["tea"], cls=FakeEars)
    with opened(chromium, rag) as page:
        page.fill("#q", "sound at 00:05")
        page.click("#ask-btn")
        cite = page.locator("#answer-text a.cite").first
        expect(cite).to_have_text("[1]", timeout=30_000)
        href = cite.get_attribute("href") or ""
        assert "memo.wav" in href and "#t=" in href
        # the player starts at the quoted sentence (its segment starts at 5 s), not at the
        # chunk's start (0 s) nor at an estimate from its place in the text
        start = float(page.locator("#citations audio").first.get_attribute("data-start"))
        assert start == 5.0 and href.endswith("#t=5"), (start, href)
        tab = page.context.new_page()
        tab.goto(page.url_base + href)
        # the browser's own player: it must load the file (a sandboxed one never does)
        tab.wait_for_function("() => { const m = document.querySelector('video, audio');"
                              " return m && m.readyState >= 1 && m.duration > 11; }",
                              timeout=15_000)
        # an indexed HTML or SVG file still gets the sandbox
        (tmp_path / "page.html").write_text("<h1>Notes</h1><p>Green tea is hardly oxidised.</p>"
                                           "<script>alert(1)</script>", encoding="utf-8")
        rag.ingest([tmp_path / "page.html"])
        shown = page.request.get(page.url_base + "/api/media?path="
                                 + str(tmp_path / "page.html"))
        assert shown.status == 200, shown.text()
        assert shown.headers["content-security-policy"] == "sandbox"
        assert shown.headers["content-type"].startswith("text/plain")


def test_2_one_bad_file_does_not_reject_the_batch(chromium, tmp_path, files):
    with opened(chromium, index(tmp_path)) as page:
        page.set_input_files("#ingest-files", [str(files["panda"]), str(files["empty"])])
        status = page.locator("#ingest-status")
        expect(status).to_have_attribute("data-state", "done", timeout=30_000)
        expect(status).to_contain_text("Added 1 file(s)")
        expect(status.locator(".errors li")).to_have_text(["empty.pdf: the file is empty"])
        assert len(status.inner_text()) < 120 and "supported" not in status.inner_text()
        expect(page.locator("#sources li")).to_have_count(1)


def test_3_an_mp3_named_wav_is_indexed_and_a_failed_voice_query_clears_the_results(
        chromium, tmp_path, files, monkeypatch):
    from mmrag.server import capabilities as server_capabilities
    from speech_media import encode

    t = np.arange(int(6 * RATE)) / RATE
    mp3 = encode(tmp_path / "voice.mp3", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32),
                 "libmp3lame").rename(tmp_path / "voice.wav")
    assert mp3.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")
    monkeypatch.setattr(server_capabilities, "speech_transcriber",
                        lambda: lambda path, name: "")  # hears nothing: a 400
    with opened(chromium, index(tmp_path, files["panda"], cls=FakeEars)) as page:
        page.set_input_files("#ingest-files", str(mp3))
        expect(page.locator("#ingest-status")).to_have_attribute("data-state", "done",
                                                                 timeout=30_000)
        expect(page.locator("#ingest-status")).to_contain_text("Added 1 file(s)")
        expect(page.locator("#sources")).to_contain_text("voice.mp3")
        page.fill("#q", "熊猫")
        page.click("#search-btn")
        expect(page.locator("#grid .card").first).to_be_visible()
        page.set_input_files("#audio-file", str(mp3))
        expect(page.locator("#message")).to_contain_text("no speech was heard")
        expect(page.locator("#grid .card")).to_have_count(0)
        expect(page.locator("#results-title")).to_be_hidden()


def test_4_the_server_folder_box_needs_allow_path(chromium, tmp_path):
    with opened(chromium, index(tmp_path)) as page:
        expect(page.locator("#path-form")).to_be_hidden()
        assert page.locator("#path-form").evaluate("f => getComputedStyle(f).display") == "none"


def test_5_the_phone_layout_fits_and_reaches_every_control(chromium, tmp_path, files):
    rag = index(tmp_path, tone(tmp_path / "memo.wav", 12), files["tea"], files["pdf"],
                cls=FakeEars)
    for width in PHONES:
        with opened(chromium, rag, width=width) as page:
            no_horizontal_scroll(page)
            for control in ("#q", "#search-btn", "#ask-btn", "#mic", "#library-toggle"):
                box = page.locator(control).bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, control
            # the query buttons share rows: not a column of full-width buttons
            tops = {round(page.locator(c).bounding_box()["y"])
                    for c in ("#mic", "label:has(#audio-file)", "label:has(#mesh-file)")}
            assert len(tops) == 1, tops
            page.fill("#q", "sound at 00:05")
            page.click("#ask-btn")
            expect(page.locator("#citations li").first).to_be_visible(timeout=30_000)
            audio = page.locator("#citations audio").first
            assert audio.bounding_box()["width"] >= width * 0.6  # a player, not a pill
            no_horizontal_scroll(page)
            page.click("#filters summary")
            expect(page.locator("#f-relevance")).to_be_visible()
            no_horizontal_scroll(page)
            page.locator("#citations li").first.get_by_role("button", name="Preview").click()
            close = page.get_by_role("button", name="Close the preview")
            expect(close).to_be_focused()
            box = close.bounding_box()
            assert box["x"] + box["width"] <= width and box["y"] >= 0
            pane = page.locator("#preview").bounding_box()  # the screen, not a strip of it
            assert pane["width"] == width and pane["height"] >= 800, pane
            no_horizontal_scroll(page)
            if width == 390:
                page.screenshot(path=str(ARTIFACTS / "page-phone-preview.png"))
            page.keyboard.press("Escape")
            expect(page.locator("#preview")).to_be_hidden()
            page.click("#filters summary")  # closed again, for the screenshot
            # the library is one tap away, at the top of the screen, not below every result
            page.click("#library-toggle")
            expect(page.locator("#library")).to_be_visible()
            assert page.locator("#ingest-drop").bounding_box()["y"] < 200
            expect(page.locator("#sources li")).to_have_count(3)
            no_horizontal_scroll(page)
            if width == 390:
                page.screenshot(path=str(ARTIFACTS / "page-phone-library.png"))
            page.get_by_role("button", name="Close the library").click()
            expect(page.locator("#library")).to_be_hidden()
            expect(page.locator("#library-toggle")).to_be_focused()
            page.click("#library-toggle")
            page.keyboard.press("Escape")
            expect(page.locator("#library")).to_be_hidden()
            if width == 390:
                page.screenshot(path=str(ARTIFACTS / "page-phone.png"), full_page=True)


def test_6_a_search_hides_the_previous_answer(chromium, tmp_path, files):
    with opened(chromium, index(tmp_path, files["pdf"], files["tea"])) as page:
        page.fill("#q", "Who wrote the 1929 novel?")
        page.keyboard.press("Control+Enter")  # the key for Ask
        expect(page.locator("#answer-text")).to_contain_text("Faulkner", timeout=30_000)
        page.fill("#q", "tea")
        page.click("#search-btn")
        expect(page.locator("#grid .card").first).to_contain_text("Tea")
        expect(page.locator("#answer")).to_be_hidden()


def test_7_nonsense_finds_nothing_and_scores_read_as_relevance(chromium, tmp_path, files):
    with opened(chromium, index(tmp_path, files["panda"], files["tea"], files["pdf"])) as page:
        # the index's floor lets weak matches through: they are said to be weak
        page.fill("#q", "zqxjvw kkkk")
        page.click("#search-btn")
        expect(page.locator("#empty")).to_contain_text("Nothing clearly relevant")
        expect(page.locator("#empty")).to_contain_text("only weak matches")
        cards = page.locator("#grid .card")
        expect(cards.first).to_be_visible()
        assert cards.count() == page.locator("#grid .card.weak").count()
        for score in page.locator("#grid .score").all_inner_texts():
            assert re.fullmatch(r"relevance \d+%", score), score
        # a stricter floor: nothing at all, and a way back
        page.click("#filters summary")
        page.select_option("#f-relevance", "0.3")
        page.click("#search-btn")
        expect(page.locator("#empty")).to_contain_text("Nothing found")
        expect(cards).to_have_count(0)
        page.click("#show-weak")
        expect(cards.first).to_be_visible()
        expect(page.locator("#f-relevance")).to_have_value("")
        # a real match is not weak, and the counts say how many are
        page.fill("#q", "熊猫吃什么")
        page.click("#search-btn")
        expect(page.locator("#empty")).to_be_hidden()
        expect(page.locator("#grid .card").first).not_to_have_class(re.compile("weak"))
        expect(page.locator("#grid .card").first.locator(".title")).to_have_text("熊猫.txt")
        expect(page.locator("#results-meta")).to_have_text(re.compile(
            r"^\d+ results \(\d+ weak\) · \d+ ms$"))
        # an unrelated question: the answer says how weak it is
        page.fill("#q", "quantum chromodynamics on a lattice")
        page.click("#ask-btn")
        expect(page.locator("#answer-note")).to_contain_text("confidence", timeout=30_000)


@pytest.mark.parametrize("width", [1280, 390])
def test_7b_a_query_off_the_index_subject_finds_nothing_with_a_way_to_the_nearest(
        chromium, tmp_path, width):
    with opened(chromium, index(tmp_path, garden(tmp_path / "garden")), width=width) as page:
        cards = page.locator("#grid .card")
        page.fill("#q", "How do I bake sourdough bread?")
        page.click("#search-btn")
        expect(page.locator("#empty")).to_contain_text("Nothing found")
        expect(page.locator("#empty")).to_contain_text("holds nothing on this subject")
        expect(cards).to_have_count(0)
        expect(page.locator("#show-weak")).to_have_text("Show the nearest anyway")
        no_horizontal_scroll(page)
        page.screenshot(path=str(ARTIFACTS / f"page-off-subject-{width}.png"))
        page.click("#show-weak")
        expect(cards.first).to_be_visible()
        assert cards.count() == page.locator("#grid .card.weak").count()
        expect(page.locator("#show-weak")).to_be_hidden()
        # on the index's subject: its notes, the button gone
        page.fill("#q", "pruning the roses in spring")
        page.click("#search-btn")
        expect(cards.first).to_contain_text("note")
        expect(page.locator("#show-weak")).to_be_hidden()


def test_8_upload_progress_names_the_file_and_its_seconds(chromium, tmp_path, files):
    rag = index(tmp_path, cls=FakeEars)
    FakeEars.delay = 1.5
    long = tone(tmp_path / "long-talk.wav", 130)
    try:
        with opened(chromium, rag) as page:
            page.set_input_files("#ingest-files", [str(files["tea"]), str(long)])
            status, bar = page.locator("#ingest-status"), page.locator("#ingest-progress")
            expect(status).to_contain_text(re.compile(
                r"Indexing 2 of 2: long-talk\.wav · [1-9]\d* s of 130 s"), timeout=30_000)
            value = bar.evaluate("b => b.value")
            assert 50 < value < 100, value  # one file done, the second half read
            expect(status).to_have_attribute("data-state", "done", timeout=30_000)
            expect(bar).to_be_hidden()
            expect(status).to_contain_text("Added 2 file(s)")
    finally:
        FakeEars.delay = 0.0


def test_9_keyboard_reaches_every_control_and_delete_asks_first(chromium, tmp_path, files,
                                                                 monkeypatch):
    from mmrag.server import capabilities as server_capabilities

    monkeypatch.setattr(server_capabilities, "speech_transcriber",
                        lambda: lambda path, name: "tea")
    with opened(chromium, index(tmp_path, files["tea"], files["panda"])) as page:
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("() => document.activeElement.id"))
        for control in ("q", "search-btn", "ask-btn", "image-file", "mic", "audio-file",
                        "mesh-file", "ingest-files"):
            assert control in reached, (control, reached)
        page.focus("#q")
        page.keyboard.type("Who first drank tea?")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#answer-text a.cite").first).to_be_visible(timeout=30_000)
        # a card's preview by keyboard, and Escape back to where it was opened
        button = page.locator("#grid .card .preview-btn").first
        button.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#preview")).to_be_visible()
        expect(page.get_by_role("button", name="Close the preview")).to_be_focused()
        page.keyboard.press("Escape")
        expect(page.locator("#preview")).to_be_hidden()
        expect(button).to_be_focused()

        item = page.locator("#sources li", has_text="tea.md")
        item.get_by_role("button", name="Remove tea.md").click()
        expect(item.get_by_role("button", name="Keep")).to_be_focused()
        page.keyboard.press("Enter")  # keep it
        expect(page.locator("#sources li")).to_have_count(2)
        page.locator("#sources li", has_text="tea.md").get_by_role(
            "button", name="Remove tea.md").click()
        page.get_by_role("button", name="Confirm removing tea.md").click()
        expect(page.locator("#sources li")).to_have_count(1)


def test_10_errors_have_the_documented_shape_and_a_pdf_is_no_thumbnail(chromium, tmp_path,
                                                                        files):
    with opened(chromium, index(tmp_path, files["pdf"])) as page:
        base = page.url_base
        for response in (page.request.post(base + "/api/search", data={"k": 3}),
                         page.request.get(base + "/api/nothing-here"),
                         page.request.get(base + "/api/media")):
            body = response.json()
            assert response.status in (404, 422) and set(body) >= {"error", "detail"}, body
            assert isinstance(body["detail"], str)
        thumb = page.request.get(base + "/api/thumb?path=" + str(files["pdf"]))
        assert not thumb.body().startswith(b"%PDF")
        assert thumb.status == 404 or thumb.headers["content-type"].startswith("image/")
        # the page asks for the cited page's picture; without one, never a broken image:
        # a card drops it, the preview shows an icon
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "/api/thumb" in r.url else None)
        page.fill("#q", "Faulkner novel")
        page.click("#search-btn")
        card = page.locator("#grid .card").first
        expect(card.locator(".where")).to_have_text("p. 3")
        page.wait_for_function("() => { const i = document.querySelector('#grid .card img');"
                               " return !i || (i.complete && i.naturalWidth > 0); }",
                               timeout=15_000)
        assert any(u.endswith("novels.pdf&page=3") for u in asked), asked
        card.get_by_role("button", name="Preview").click()
        page.wait_for_function("() => { const p = document.querySelector('#preview-body');"
                               " const i = p.querySelector('img');"
                               " return p.querySelector('.icon') || (i && i.complete"
                               " && i.naturalWidth > 0); }", timeout=15_000)


# ---- the new views ----------------------------------------------------------------------------
def test_cards_filters_preview_citations_and_copy(chromium, tmp_path, files):
    rag = index(tmp_path, files["pdf"], files["panda"])
    rag.ingest([files["tea"]], tags=["drinks"])
    with opened(chromium, rag) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.fill("#q", "Who wrote the 1929 novel?")
        page.click("#ask-btn")
        expect(page.locator("#answer-text")).to_contain_text("Faulkner", timeout=30_000)
        first = page.locator("#citations li").first
        expect(first.locator("mark.quote")).to_contain_text("written by William Faulkner")
        page.click("#copy-answer")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert "William Faulkner. [1]" in copied and "[1] novels.pdf p. 3 — “" in copied
        link = copied.splitlines()[-1]
        assert link == page.url_base + "/?ask=Who%20wrote%20the%201929%20novel%3F"
        shared = page.context.new_page()  # the link asks the question again
        shared.goto(link)
        expect(shared.locator("#answer-text")).to_contain_text("Faulkner", timeout=30_000)
        shared.close()
        first.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview")).to_be_visible()
        expect(page.locator("#preview mark.quote")).to_contain_text("William Faulkner")
        expect(page.locator("#preview-body")).not_to_contain_text("null")
        page.screenshot(path=str(ARTIFACTS / "page-desktop.png"), full_page=True)
        page.keyboard.press("Escape")
        expect(page.locator("#preview")).to_be_hidden()

        # filters: file name, tag, kind
        page.click("#filters summary")
        page.fill("#f-source", "*.pdf")
        page.select_option("#f-relevance", "")
        page.fill("#q", "tea")
        page.click("#search-btn")
        expect(page.locator("#results-title")).to_have_text("Results for “tea”")
        titles = page.locator("#grid .card .title").all_inner_texts()
        assert titles and set(titles) == {"novels.pdf"}, titles
        page.fill("#f-source", "")
        page.fill("#f-tags", "drinks")
        page.click("#search-btn")
        expect(page.locator("#grid .card .title")).to_have_text(["tea.md"])
        expect(page.locator("#filter-count")).to_have_text("(1 on)")
        page.fill("#f-tags", "")
        page.uncheck("#f-text")
        page.click("#search-btn")
        expect(page.locator("#empty")).to_be_visible()

        # Markdown in the preview is rendered, as elements, never as HTML from the file
        page.check("#f-text")
        page.fill("#q", "Tea drinking began")
        page.click("#search-btn")
        page.locator("#grid .card", has_text="tea.md").get_by_role("button").click()
        expect(page.locator("#preview .markdown h3")).to_have_text("Tea")
        card_text = page.locator("#grid .card", has_text="tea.md").locator(".text").inner_text()
        assert not card_text.startswith("#")
        assert axe(page) == []  # with the filters and the preview open


def test_the_page_is_small_and_names_no_other_host(chromium, tmp_path):
    static = Path(__file__).parents[1] / "src/mmrag/server/static"
    with opened(chromium, index(tmp_path)) as page:
        loaded: list[tuple[str, int]] = []
        page.on("response", lambda r: loaded.append((r.url, len(r.body()))))
        page.reload()
        expect(page.locator("#status")).to_contain_text("0 files")
        assets = [(u, n) for u, n in loaded if "/static/" in u or u.endswith("/")]
        assert len(assets) == 5 and sum(n for _, n in assets) < 64_000, assets
    for asset in ("index.html", "app.css", "render.js", "app.js", "library.js"):
        text = (static / asset).read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), asset


class Paraphrasing(Pipeline):
    """A generator that words the cited sentence its own way, streamed, as an LLM does."""

    def answer(self, question, hits, on_token=None):
        from mmrag.types import Answer

        text = "In the 1500s Portuguese traders carried tea to Europe [1]."
        for word in text.split(" "):
            if on_token:
                on_token(word + " ")
        return Answer(text, [h for h in hits if h.source.endswith("tea.md")][:1], "paraphrase")


def test_a_paraphrased_citation_still_highlights_its_sentence(chromium, tmp_path, files):
    with opened(chromium, index(tmp_path, files["tea"], files["panda"], cls=Paraphrasing)) as page:
        page.fill("#q", "When did tea reach Europe?")
        page.click("#ask-btn")
        expect(page.locator("#citations li")).to_have_count(1, timeout=30_000)
        expect(page.locator("#citations mark.quote")).to_have_text(
            "Portuguese traders brought tea to Europe in the 16th century.")


def test_image_cards_show_labels_and_text_not_the_description(chromium, tmp_path, files):
    from mmrag.stores import SourceRecord
    from mmrag.types import Hit
    from test_server_e2e import MediaPipeline, _Store

    rag = index(tmp_path, files["panda"], cls=MediaPipeline)
    image = files["image"]
    rag.store = _Store(rag.store, {str(image): SourceRecord(
        str(image), str(image), "h", image.stat().st_size, 0, 1, "image", 0)})
    MediaPipeline.media = [Hit("i1", 0.8, str(image), f"image {image.name}: red labels: Redbone",
                               "image", meta={"path": str(image), "ocr": "STOP",
                                              "labels": [{"name": "Redbone", "zh": "红骨猎浣熊犬",
                                                          "p": 0.6}]})]
    with opened(chromium, rag) as page:
        page.fill("#q", "sound of red")
        page.click("#search-btn")
        card = page.locator("#grid .card[data-modality=image]")
        expect(card.locator(".chips li")).to_have_text(["Redbone"])
        expect(card.locator(".ocr")).to_contain_text("STOP")
        expect(card).not_to_contain_text("labels:")
        expect(card.locator(".score")).to_have_text("relevance 80%")


def test_images_of_cited_sources_show_with_the_answer(chromium, tmp_path, files):
    from mmrag.stores import SourceRecord
    from mmrag.types import Answer, Hit
    from test_server_e2e import MediaPipeline, _Store

    class Cites(MediaPipeline):
        def answer(self, question, hits, on_token=None):
            return Answer("It is a red square [1].", [h for h in hits if h.modality == "image"],
                          "fake")

    rag = index(tmp_path, files["panda"], cls=Cites)
    image = files["image"]
    rag.store = _Store(rag.store, {str(image): SourceRecord(
        str(image), str(image), "h", image.stat().st_size, 0, 1, "image", 0)})
    Cites.media = [Hit("i1", 0.7, str(image), "a red square", "image",
                       meta={"path": str(image)})]
    with opened(chromium, rag) as page:
        page.fill("#q", "the sound of a red square")
        page.click("#ask-btn")
        expect(page.locator("#answer-images figcaption")).to_have_text(["[1] red.png"],
                                                                        timeout=30_000)
        page.wait_for_function("() => { const i = document.querySelector('#answer-images img');"
                               " return i && i.complete && i.naturalWidth > 0; }",
                               timeout=15_000)


@pytest.mark.parametrize("width", [1280, 390])
def test_no_serious_accessibility_violations(chromium, tmp_path, files, width):
    rag = index(tmp_path, files["pdf"], files["tea"], tone(tmp_path / "memo.wav", 12),
                cls=FakeEars)
    with opened(chromium, rag, width=width) as page:
        assert axe(page) == []
        page.fill("#q", "Who wrote the 1929 novel?")
        page.click("#ask-btn")
        expect(page.locator("#citations li").first).to_be_visible(timeout=30_000)
        assert axe(page) == []
        if width < 800:
            page.click("#library-toggle")
            assert axe(page) == []


def test_a_word_the_transcriber_was_unsure_of_is_marked_as_a_guess(chromium, tmp_path, files):
    """Issue 17: whisper's low-probability words (a misheard name) read as guesses, in the
    card and in the answer's citation."""
    import test_vocab  # registers the "scripted" transcriber: "low-carol" at p 0.21

    memo = tone(tmp_path / "memo.wav", 8)
    rag = index(tmp_path, memo, files["tea"], transcriber="scripted")
    assert test_vocab.MISHEARD in [h.text for h in rag.search("harpist", k=3)]
    with opened(chromium, rag) as page:
        page.fill("#q", "harpist composer")
        page.click("#search-btn")
        card = page.locator("#grid .card[data-modality=audio]")
        guess = card.locator("mark.guess")
        expect(guess).to_have_text("low-carol")
        assert "unsure" in guess.get_attribute("title")
        page.click("#ask-btn")
        expect(page.locator("#citations li mark.guess").first).to_have_text("low-carol",
                                                                          timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "page-guess.png"), full_page=True)


def test_a_pdf_preview_marks_the_passage_on_its_page(chromium, tmp_path, files):
    """The preview of a PDF hit shows the cited page's picture (issue 18's thumbnails) with
    the passage's rectangles drawn over it, inside the page."""
    rag = index(tmp_path, files["pdf"])
    hit = next(h for h in rag.search("Who wrote the 1929 novel?", k=3) if h.span.page == 3)
    assert hit.meta["boxes"] and hit.meta["page_size"]
    with opened(chromium, rag) as page:
        page.fill("#q", "Who wrote the 1929 novel?")
        page.click("#search-btn")
        card = page.locator("#grid .card", has_text="Faulkner")
        card.get_by_role("button", name="Preview").click()
        frame = page.locator("#preview .page-frame")
        expect(frame.locator("img.big")).to_be_visible()
        page.wait_for_function("() => document.querySelector('#preview .page-frame img')"
                               ".naturalWidth > 0")
        marks = frame.locator(".page-mark")
        assert marks.count() == len(hit.meta["boxes"])
        outer = frame.bounding_box()
        for i in range(marks.count()):
            box = marks.nth(i).bounding_box()
            assert box["width"] > 2 and box["height"] > 2
            for x, w in (("x", "width"), ("y", "height")):
                assert outer[x] - 1 <= box[x] <= box[x] + box[w] <= outer[x] + outer[w] + 1
        page.screenshot(path=str(ARTIFACTS / "page-pdf-mark.png"), full_page=True)
