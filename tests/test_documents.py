"""Office files, e-books, mail, tables and PDF pages, on files each test builds with the
real libraries (python-docx, python-pptx, openpyxl, ebooklib, odfpy, fpdf2, Pillow), with
the hashing embedder. OCR and figure labelling (real models) are in
test_documents_media.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from document_files import (
    REVENUE,
    docx_file,
    epub_file,
    mail_message,
    odt_file,
    pptx_file,
    scanned_pdf,
    xlsx_file,
    zip_bomb,
)
from fixtures import NOVEL_PAGES, make_pdf
from mmrag.cli.main import main
from mmrag.config import ImageConfig, IndexConfig
from mmrag.errors import IngestError
from mmrag.loaders import loader_for
from mmrag.loaders.figures import decorative
from mmrag.loaders.packages import MAX_RATIO
from mmrag.loaders.tables import MAX_ROWS
from mmrag.pipeline import Pipeline

for module in ("docx", "pptx", "openpyxl", "ebooklib", "odf", "fpdf", "PIL"):
    pytest.importorskip(module)

HEADER = "| Quarter | Revenue | Region |"
Q3 = "| Q3 | 2.7M | west |"


def sections(path: Path):
    loader = loader_for(path)
    assert loader is not None, path
    return list(loader.load(path))


def tables(found):
    return [s for s in found if "table" in s.meta]


def test_docx_keeps_headings_and_its_table(tmp_path: Path):
    found = sections(docx_file(tmp_path / "report.docx"))
    [table] = tables(found)
    assert HEADER in table.text and Q3 in table.text
    assert table.meta["table"]["header"] == list(REVENUE[0])
    assert table.meta["heading"] == "Annual results"
    staff = next(s for s in found if "volunteers" in s.text)
    assert staff.meta["heading"] == "Staff" and "table" not in staff.meta


def test_pptx_slides_are_cited_as_pages(tmp_path: Path):
    found = sections(pptx_file(tmp_path / "deck.pptx"))
    first = next(s for s in found if "glacier sensors" in s.text)
    assert first.span.page == 1 and first.meta["slide"] == 1
    [table] = tables(found)
    assert table.span.page == 2 and Q3 in table.text
    notes = next(s for s in found if "notes:" in s.text)
    assert "west region" in notes.text and notes.span.page == 2


def test_xlsx_csv_epub_odt_tables(tmp_path: Path):
    [sheet] = sections(xlsx_file(tmp_path / "book.xlsx"))
    assert sheet.text.startswith("sheet 'Revenue', rows 1-4") and Q3 in sheet.text
    (tmp_path / "r.csv").write_text("\n".join(";".join(r) for r in REVENUE) + "\n")
    [csv] = sections(tmp_path / "r.csv")
    assert HEADER in csv.text and Q3 in csv.text
    book = sections(epub_file(tmp_path / "rivers.epub"))
    assert any("Danube flows" in s.text and s.meta["chapter"] == 1 for s in book)
    [depths] = tables(book)
    assert "| River | Depth |" in depths.text and "| Rhine | 6 m |" in depths.text
    odt = sections(odt_file(tmp_path / "log.odt"))
    assert any("pier nine" in s.text and s.meta.get("heading") == "Harbour log" for s in odt)
    assert Q3 in tables(odt)[0].text


def test_html_tables_become_tables(tmp_path: Path):
    page = tmp_path / "t.html"
    rows = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in REVENUE[1:])
    page.write_text(f"<html><body><p>Our results.</p><table><tr><th>Quarter</th><th>Revenue"
                    f"</th><th>Region</th></tr>{rows}</table></body></html>")
    found = sections(page)
    assert found[0].text == "Our results." and HEADER in tables(found)[0].text


def test_rows_are_grouped_with_the_header_repeated(tmp_path: Path):
    path = tmp_path / "long.csv"
    path.write_text("name,value\n" + "".join(f"item {i},{i * 3}\n" for i in range(400)))
    found = sections(path)
    assert len(found) > 3
    assert all(s.text.split("\n\n")[1].startswith("| name | value |") for s in found)
    covered = [s.meta["table"]["rows"] for s in found]
    assert covered[0][0] == 1 and covered[-1][1] == 400
    assert all(b[0] == a[1] + 1 for a, b in zip(covered, covered[1:], strict=False))


def test_a_100k_row_sheet_is_capped(tmp_path: Path):
    found = sections(xlsx_file(tmp_path / "big.xlsx", rows=100_000))
    log = [s for s in found if s.meta["sheet"] == "Log"]
    assert log[-1].meta["table"]["rows"][1] == MAX_ROWS
    assert log[-1].meta["table"]["truncated"] is True
    assert "truncated" not in [s for s in found if s.meta["sheet"] == "Revenue"][-1].meta["table"]


def test_mail_bodies_and_attachments(tmp_path: Path):
    csv = "\n".join(",".join(r) for r in REVENUE).encode()
    (tmp_path / "one.eml").write_bytes(
        mail_message("Quarterly numbers", "See the table attached.", ("q.csv", csv)).as_bytes())
    found = sections(tmp_path / "one.eml")
    assert "Subject: Quarterly numbers" in found[0].text and "table attached" in found[0].text
    [table] = tables(found)
    assert table.meta["attachment"] == "q.csv" and Q3 in table.text
    box = tmp_path / "box.mbox"
    box.write_bytes(b"".join(b"From ana@example.org Mon Jan  1 00:00:00 2024\n"
                             + mail_message(s, b).as_bytes() + b"\n"
                             for s, b in [("Tides", "High tide at six."),
                                          ("Ferry", "The ferry is late.")]))
    found = sections(box)
    assert [s.meta["subject"] for s in found] == ["Tides", "Ferry"]
    assert "ferry is late" in found[1].text


@pytest.mark.parametrize("name", ["bomb.docx", "bomb.xlsx"])
def test_zip_bombs_are_refused(tmp_path: Path, name: str):
    inside = "word/document.xml" if name.endswith("docx") else "xl/worksheets/sheet1.xml"
    with pytest.raises(IngestError, match=f"expands .*cap {MAX_RATIO}x"):
        sections(zip_bomb(tmp_path / name, inside))


def test_bad_documents_get_named_errors_and_the_rest_is_kept(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    docx_file(folder / "good.docx")
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    assert rag.ingest([str(folder)]).errors == []
    whole = docx_file(tmp_path / "whole.docx").read_bytes()
    (folder / "cut.docx").write_bytes(whole[: len(whole) // 2])
    (folder / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    zip_bomb(folder / "bomb.docx")
    (folder / "empty.pptx").write_bytes(b"")
    (folder / "junk.epub").write_bytes(b"PK\x03\x04 not really a zip")
    (folder / "none.eml").write_bytes(b"\n\njust text, no headers\n")
    xlsx_file(folder / "fine.xlsx")
    report = rag.ingest([str(folder)])
    errors = {Path(path).name: reason for path, reason in report.errors}
    assert set(errors) == {"cut.docx", "locked.xlsx", "bomb.docx", "empty.pptx", "junk.epub",
                           "none.eml"}
    assert "truncated" in errors["cut.docx"] and "password-protected" in errors["locked.xlsx"]
    assert "zip bomb" in errors["bomb.docx"] and "empty" in errors["empty.pptx"]
    assert "not an e-mail" in errors["none.eml"]
    assert {Path(r.source).name for r in rag.sources()} == {"good.docx", "fine.xlsx"}
    assert any(Q3 in h.text for h in rag.search("Q3 revenue west", k=5))


def test_pdf_pages_get_thumbnails_in_hits(tmp_path: Path, capsys):
    make_pdf(tmp_path / "novels.pdf", NOVEL_PAGES)
    index = tmp_path / "index"
    assert main(["ingest", str(tmp_path / "novels.pdf"), "--index", str(index), "--embedder",
                 "hash", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["search", "Faulkner 1929", "--index", str(index), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    hit = hits[0]
    thumb = Path(hit["meta"]["thumb"])
    assert hit["span"]["page"] == 3 and thumb.name == "p3.jpg"
    # the pages the search cited, and only those, were rendered (once, when first cited)
    assert {p.name for p in (index / "media").glob("*/pages/*.jpg")} == {
        f"p{h['span']['page']}.jpg" for h in hits}
    assert thumb.is_relative_to(index / "media") and thumb.read_bytes()[:2] == b"\xff\xd8"
    from PIL import Image

    with Image.open(thumb) as image:
        assert max(image.size) == 640


def test_a_scanned_pdf_with_ocr_off_is_refused_by_name(tmp_path: Path):
    pdf = scanned_pdf(tmp_path / "scan.pdf", [["Nothing but pixels here."]])
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True,
                        config=IndexConfig(image=ImageConfig(ocr=False)))
    [(path, reason)] = rag.ingest([str(pdf)]).errors
    assert path.endswith("scan.pdf") and reason == "PDF has no text layer and OCR is off for " \
        "this index"


def test_decorative_rule():
    assert decorative(32, 400) and decorative(900, 60) and decorative(400, 40)
    assert decorative(200, 200, page_share=0.01)
    assert not decorative(320, 220) and not decorative(320, 220, page_share=0.2)


def test_api_thumb_renders_a_pdf_page_once(tmp_path: Path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient
    from PIL import Image

    from mmrag.server import create_app

    pdf = make_pdf(tmp_path / "novels.pdf", NOVEL_PAGES)
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([str(pdf)])
    client = TestClient(create_app(rag), base_url="http://127.0.0.1")
    # ingest renders no text page: the first request does, once, into the media folder
    assert not list((tmp_path / "index" / "media").glob("*/pages/*.jpg"))
    r = client.get("/api/thumb", params={"path": str(pdf), "page": 2})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    made = next((tmp_path / "index" / "media").glob("*/pages/p2.jpg"))
    assert r.content == made.read_bytes()
    kept = made.stat().st_mtime_ns
    assert client.get("/api/thumb", params={"path": str(pdf), "page": 2}).content == r.content
    assert made.stat().st_mtime_ns == kept
    made.unlink()  # an index from before thumbnails: rendered on request, then kept
    again = client.get("/api/thumb", params={"path": str(pdf), "page": 2})
    assert again.status_code == 200 and made.exists() and again.content == made.read_bytes()
    with Image.open(made) as image:
        assert max(image.size) == 640
    assert client.get("/api/thumb", params={"path": str(pdf), "page": 9}).status_code == 404
    assert client.get("/api/thumb", params={"path": str(pdf), "page": 0}).status_code == 422
    hit = client.post("/api/search", json={"query": "Gatsby Fitzgerald"}).json()
    assert hit["hits"][0]["meta"]["thumb"].endswith("/pages/p2.jpg")


def test_sample_writes_a_multimodal_corpus_made_by_code(tmp_path: Path, capsys):
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    assert main(["sample", str(tmp_path / "s")]) == 0
    names = {p.name for p in (tmp_path / "s").iterdir()}
    assert {"field_report.pdf", "red_balloon.jpg", "survey_budget.docx",
            "american_novels.pdf"} <= names and ".sample-work" not in names
    doc = pdfium.PdfDocument(str(tmp_path / "s" / "field_report.pdf"))
    texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    images = [len(list(doc[i].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE])))
              for i in range(len(doc))]
    assert "spring survey" in texts[0] and "Figure 1" in texts[1] and texts[2] == ""
    assert images == [0, 1, 1]
    [table] = tables(sections(tmp_path / "s" / "survey_budget.docx"))
    assert "| Q3 | 2.7M | west |" in table.text
    assert main(["sample", str(tmp_path / "t"), "--text-only"]) == 0
    assert "field_report.pdf" not in {p.name for p in (tmp_path / "t").iterdir()}


def test_a_cited_pdf_passage_is_located_on_its_page(tmp_path: Path):
    import pypdfium2 as pdfium

    long = "The first measurement was taken at dawn. " * 30
    pdf = make_pdf(tmp_path / "notes.pdf", [long + "The glacier moved four metres in July."])
    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    rag.ingest([str(pdf)])
    hits = rag.search("glacier moved four metres July", k=10)
    hit = next(h for h in hits if "four metres" in h.text)
    assert hit.span.page == 1 and len({h.id for h in hits}) > 1  # the page is in windows
    start, end = hit.meta["chars"]
    page = pdfium.PdfDocument(str(pdf))[0].get_textpage()
    assert "four metres in July" in page.get_text_range(start, end - start)
    assert hit.meta["page_size"] == [595.3, 841.9]
    boxes = hit.meta["boxes"]
    assert boxes and all(0 <= left < right <= 595.3 and 0 <= bottom < top <= 841.9
                         for left, bottom, right, top in boxes)
