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

