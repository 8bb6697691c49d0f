"""Scanned PDFs read by the real OCR (RapidOCR) and figures inside PDFs, .docx and .pptx
labelled by the real image model, each cited to its page or slide."""

from __future__ import annotations

from pathlib import Path

import pytest

from document_files import CJK_FONT, docx_file, figure_image, figure_pdf, pptx_file, scanned_pdf
from mmrag.pipeline import Pipeline

pytest.importorskip("rapidocr_onnxruntime")
pytestmark = pytest.mark.model


@pytest.fixture
def rag(tmp_path: Path, cache) -> Pipeline:
    return Pipeline.open(tmp_path / "index", embedder="conse-hash", create=True)


def test_a_scanned_pdf_is_searchable_and_cited_to_its_page(tmp_path: Path, rag: Pipeline):
    zh = ["大熊猫主要吃竹子。"] if CJK_FONT.exists() else []
    pdf = scanned_pdf(tmp_path / "scan.pdf", [
        ["Minutes of the harbour board."],
        ["Quarterly revenue grew by twelve percent.", "The lighthouse needs new lamps.", *zh],
    ])
    report = rag.ingest([str(pdf)])
    assert report.errors == [] and report.added == [str(pdf)]
    [hit] = [h for h in rag.search("lighthouse lamps", k=3) if "lighthouse" in h.text.lower()]
    assert hit.span.page == 2 and hit.meta["text_from"] == "ocr"
    assert Path(hit.meta["thumb"]).name == "p2.jpg"
    # the lighthouse line, drawn at x=110, y=250..294 of a 1240 px wide scan, in points
    width, height = hit.meta["page_size"]
    pt = width / 1240
    assert any(abs(left - 110 * pt) < 8 and abs(top - (height - 250 * pt)) < 8
               and abs(bottom - (height - 294 * pt)) < 8 and right > 500 * pt
               for left, bottom, right, top in hit.meta["boxes"])
    assert not [h for h in rag.search("lighthouse", k=10) if h.modality == "image"]
    if zh:
        assert "竹子" in hit.text


def test_a_mixed_pdf_reads_text_layers_ocr_and_its_figure(tmp_path: Path, rag: Pipeline):
    pdf = figure_pdf(tmp_path / "report.pdf", tmp_path, scanned=["The glacier retreated."])
    assert rag.ingest([str(pdf)]).errors == []
    figures = [h for h in rag.search("red weather balloon figure", k=10)
               if h.modality == "image"]
    [figure] = figures  # the 24 px logo is skipped as decorative
    assert figure.span.page == 2 and "Figure 1: the red weather balloon" in figure.text
    assert Path(figure.meta["path"]).is_file() and figure.meta["figure_of"] == str(pdf)
    assert figure.meta["labels"] and Path(figure.meta["thumb"]).name == "p2.jpg"
    scan = [h for h in rag.search("glacier retreated", k=5) if "retreated" in h.text]
    assert scan and scan[0].span.page == 3 and scan[0].meta["text_from"] == "ocr"
    text = [h for h in rag.search("spring survey valley", k=5) if "spring survey" in h.text]
    assert text and text[0].span.page == 1 and "text_from" not in text[0].meta


def test_office_pictures_are_image_items(tmp_path: Path, rag: Pipeline):
    picture = figure_image(tmp_path / "balloon.png")
    docx_file(tmp_path / "report.docx", picture)
    pptx_file(tmp_path / "deck.pptx", picture)
    assert rag.ingest([str(tmp_path / "report.docx"), str(tmp_path / "deck.pptx")]).errors == []
    images = {Path(h.source).name: h for h in rag.search("red balloon", k=20)
              if h.modality == "image"}
    assert set(images) == {"report.docx", "deck.pptx"}
    assert "Figure 2: the team's red balloon" in images["report.docx"].text
    slide = images["deck.pptx"]
    assert slide.span.page == 3 and "The balloon launch" in slide.text


def test_the_sample_report_answers_from_its_figure_scan_and_table(tmp_path: Path,
                                                                   rag: Pipeline):
    from mmrag.sample.build import write_multimodal

    write_multimodal(tmp_path / "s")
    files = [str(tmp_path / "s" / n) for n in ("field_report.pdf", "survey_budget.docx",
                                              "red_balloon.jpg")]
    assert rag.ingest(files).errors == []
    [figure] = [h for h in rag.search("red weather balloon", k=10)
                if h.modality == "image" and h.source.endswith(".pdf")]
    assert figure.span.page == 2
    stove = [h for h in rag.search("survey hut stove", k=5) if "stove" in h.text]
    assert stove and stove[0].span.page == 3 and stove[0].meta["text_from"] == "ocr"
    assert any("| Q3 | 2.7M | west |" in h.text for h in rag.search("Q3 revenue", k=5))
    answer = rag.ask("What does the survey hut need?")
    assert "stove" in answer.answer and answer.citations[0].span.page == 3


def test_thumbnails_asked_for_at_once_are_rendered_one_at_a_time(tmp_path):
    # pdfium is not thread-safe: the server's request threads rendering pages together
    # crashed the process; each page is rendered once, whole, and every request gets it
    from concurrent.futures import ThreadPoolExecutor

    from fixtures import make_pdf
    from mmrag.loaders.pdf_pages import page_thumbnail

    pdf = make_pdf(tmp_path / "many.pdf", [f"Page {n} of the many-page file." for n in range(12)])
    asks = [(n % 12) + 1 for n in range(48)]
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda n: page_thumbnail(pdf, n, tmp_path / "media"), asks))
    assert sorted({p.name for p in paths}) == sorted(f"p{n}.jpg" for n in range(1, 13))
    assert all(p.read_bytes()[:2] == b"\xff\xd8" for p in paths)  # whole JPEGs
    assert not list((tmp_path / "media").rglob("*.part"))
