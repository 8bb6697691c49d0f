"""Where a PDF passage lies on its page when its text came from OCR (boxes in the same form
as a text layer's), with a fake OCR that reports the lines where the test drew them; the
real RapidOCR is checked in test_documents_media.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from document_files import draw_page, scanned_pdf
from mmrag.loaders import pdf as pdf_loader
from mmrag.loaders.pdf_text import ocr_located
from mmrag.pipeline import Pipeline
from mmrag.text.chunker import ChunkerConfig

pytest.importorskip("PIL")

SCAN = (1240, 1754)  # draw_page's 150 dpi A4: lines at x=110, y=160 + 90 i, 44 px high
LINES = ["Quarterly revenue grew by twelve percent.", "The lighthouse needs new lamps."]


class FakeOcr:
    """The lines draw_page drew, at their places scaled to the image it is given."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def read_lines(self, image):
        s = image.size[0] / SCAN[0]
        return [(line, (110 * s, (160 + 90 * i) * s, (110 + 22 * len(line)) * s,
                        (204 + 90 * i) * s)) for i, line in enumerate(self.lines)]


def test_an_ocr_passage_carries_its_lines_boxes_in_page_points(tmp_path: Path, monkeypatch):
    assert draw_page(LINES).size == SCAN
    monkeypatch.setattr(pdf_loader, "_reader", FakeOcr(LINES))
    pdf = scanned_pdf(tmp_path / "scan.pdf", [LINES])
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    assert rag.ingest([str(pdf)]).errors == []
    [hit] = rag.search("lighthouse lamps", k=1)
    assert hit.meta["text_from"] == "ocr" and hit.span.page == 1
    width, height = hit.meta["page_size"]
    assert (width, height) == (pytest.approx(595.2, abs=0.2), pytest.approx(841.9, abs=0.2))
    assert hit.meta["chars"] == [0, len("\n".join(LINES))]
    pt = width / SCAN[0]  # PDF points per scan pixel; y counts up from the page's bottom
    expected = [[110 * pt, height - (204 + 90 * i) * pt, (110 + 22 * len(line)) * pt,
                 height - (160 + 90 * i) * pt] for i, line in enumerate(LINES)]
    assert len(hit.meta["boxes"]) == 2
    for got, want in zip(hit.meta["boxes"], expected, strict=True):
        assert got == pytest.approx(want, abs=1.0)


def test_a_window_taking_part_of_a_line_gets_that_part_of_its_box():
    lines = [("one two three four five six seven eight", (0.0, 0.0, 400.0, 10.0)),
             ("nine ten eleven twelve", (0.0, 20.0, 220.0, 30.0))]
    pieces = list(ocr_located(lines, (400, 100), (400.0, 100.0), ChunkerConfig(max_tokens=8,
                                                                               overlap=0)))
    assert len(pieces) > 1
    text = "\n".join(t for t, _ in lines)
    for window, where in pieces:
        start, end = where["chars"]
        assert " ".join(text[start:end].split()) == " ".join(window.split())
        for left, bottom, right, top in where["boxes"]:
            assert 0 <= left < right <= 400 and 0 <= bottom < top <= 100
    first, last = pieces[0][1]["boxes"], pieces[-1][1]["boxes"]
    assert first[0][0] == 0 and first[0][3] == 100  # the first line from its left, at the top
    assert last[-1][1] == 70 and last[-1][2] == 220  # the last line to its right end



REVENUE = [("Quarter", "Revenue", "Region"), ("Q1", "1.2M", "north"), ("Q2", "1.9M", "east"),
           ("Q3", "2.7M", "west"), ("Q4", "3.1M", "south")]


def table_pdf(path: Path, rows: list[tuple[str, ...]] = REVENUE) -> Path:
    """A paragraph, a ruled table (fpdf2's), a closing line; then a page of text."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "Revenue by quarter for the harbour board, as reported in May.")
    with pdf.table() as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.multi_cell(0, 7, "The figures are unaudited and may change.")
    pdf.add_page()
    pdf.multi_cell(0, 7, "A page of plain words about the lighthouse keepers and their lamps.")
    pdf.output(str(path))
    return path


def test_a_ruled_pdf_table_becomes_rows_with_its_header(tmp_path: Path):
    pytest.importorskip("pdfplumber")
    pytest.importorskip("fpdf")
    # long enough to go on over the next page, where fpdf2 repeats its heading row
    rows = REVENUE + [(f"W{i}", f"{i}.0M", "harbour " * 8) for i in range(20)]
    pdf = table_pdf(tmp_path / "board.pdf", rows)
    found = list(pdf_loader.PdfLoader().load(pdf))
    tables = [s for s in found if "table" in s.meta]
    assert [s.span.page for s in tables] == [1, 2]
    assert all(s.text.split("\n\n")[1].startswith("| Quarter | Revenue | Region |\n|---|")
               for s in tables)
    assert tables[0].text.startswith("table 1 on p.1, rows 1-")
    assert "| Q3 | 2.7M | west |" in tables[0].text
    assert "| W19 | 19.0M | harbour harbour" in tables[1].text
    # every data row once, in one of the two pages' row groups
    assert sum(b - a + 1 for a, b in (s.meta["table"]["rows"] for s in tables)) == len(rows) - 1
    # each table's box on its page, in the text layer's form
    for table in tables:
        [[left, bottom, right, top]] = table.meta["boxes"]
        width, height = table.meta["page_size"]
        assert 0 <= left < right <= width and 0 <= bottom < top <= height
    # the pages' passages keep the text around the table, not its cells
    text = [s for s in found if "table" not in s.meta]
    assert [s.text for s in text] == [
        "Revenue by quarter for the harbour board, as reported in May.",
        "The figures are unaudited and may change.",
        "A page of plain words about the lighthouse keepers and their lamps."]
    assert [s.span.page for s in text] == [1, 2, 3] and all(s.meta["chars"] for s in text)


def test_a_pdf_table_row_is_what_a_question_about_it_hits(tmp_path: Path):
    pytest.importorskip("pdfplumber")
    pytest.importorskip("fpdf")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    assert rag.ingest([str(table_pdf(tmp_path / "board.pdf"))]).errors == []
    top = rag.search("Q3 revenue west", k=1)[0]
    assert "| Q3 | 2.7M | west |" in top.text and top.meta["table"]["header"] == list(REVENUE[0])
