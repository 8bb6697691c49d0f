"""The multimodal part of the sample corpus, made by code when it is written (no binary
that no one wrote): a field report PDF with a text page, a figure and a scanned page, a
.docx with a table, a photo-like picture, and a short spoken recording. Each part needs
its library (Pillow for pictures and the scan, python-docx, espeak-ng to speak and
mmrag[audio] to hear); a part whose library is missing is skipped and named.
"""

from __future__ import annotations

import ctypes
import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

REPORT = [
    "Field report: the spring survey of the Aletsch glacier.",
    "The weather balloon carried a camera to 3,000 metres.",
    "Figure 1: the red weather balloon above the glacier.",
]
SCANNED = ["Scanned note: the survey hut needs a new stove.", "The team returns in June."]
RESULTS = [("Quarter", "Revenue", "Region"), ("Q1", "1.2M", "north"), ("Q2", "1.5M", "south"),
           ("Q3", "2.7M", "west"), ("Q4", "3.1M", "east")]
SPOKEN = "The survey team found that the glacier lost twelve metres of ice this year."
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def balloon(size: tuple[int, int] = (480, 360)) -> Any:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (135, 190, 235))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.polygon([(0, h), (w * 0.35, h * 0.55), (w * 0.6, h * 0.75), (w, h * 0.5), (w, h)],
                 fill=(240, 245, 250))
    draw.ellipse((w * 0.38, h * 0.08, w * 0.62, h * 0.42), fill=(210, 30, 30))
    draw.line((w * 0.5, h * 0.42, w * 0.5, h * 0.6), fill=(60, 60, 60), width=3)
    return image


def scan(lines: list[str]) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        cjk = any("\u4e00" <= ch <= "\u9fff" for ch in line)
        if cjk and not CJK_FONT.exists():
            continue
        font = ImageFont.truetype(str(CJK_FONT), 44) if cjk else ImageFont.load_default(44)
        draw.text((110, 160 + i * 90), line, fill="black", font=font)
    return page


def _text(pdf: Any, page: Any, line: str, x: float, y: float, size: float = 12) -> None:
    import pypdfium2.raw as raw

    obj = raw.FPDFPageObj_NewTextObj(pdf, b"Helvetica", ctypes.c_float(size))
    encoded = (line + "\0").encode("utf-16-le")
    raw.FPDFText_SetText(obj, ctypes.cast(ctypes.c_char_p(encoded),
                                          ctypes.POINTER(raw.FPDF_WCHAR)))
    raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
    raw.FPDFPage_InsertObject(page, obj)


def _image(pdf: Any, page: Any, jpeg: Path, box: tuple[float, float, float, float]) -> None:
    import pypdfium2 as pdfium

    image = pdfium.PdfImage.new(pdf)
    image.load_jpeg(str(jpeg), pages=[page], inline=False)
    left, bottom, width, height = box
    image.set_matrix(pdfium.PdfMatrix().scale(width, height).translate(left, bottom))
    page.insert_obj(image)


def report_pdf(path: Path, work: Path) -> Path:
    """Page 1 text, page 2 a figure with its caption, page 3 a scan (no text layer)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    first = pdf.new_page(595, 842)
    for i, line in enumerate(REPORT[:2]):
        _text(pdf, first, line, 60, 760 - i * 20)
    first.gen_content()
    second = pdf.new_page(595, 842)
    balloon().save(work / "figure.jpg", "JPEG", quality=88)
    _image(pdf, second, work / "figure.jpg", (100, 400, 360, 270))
    _text(pdf, second, REPORT[2], 100, 370)
    second.gen_content()
    third = pdf.new_page(595, 842)
    scan([*SCANNED, "调查小屋需要一个新炉子。"]).save(work / "scan.jpg", "JPEG", quality=85)
    _image(pdf, third, work / "scan.jpg", (0, 0, 595, 842))
    third.gen_content()
    pdf.save(str(path))
    pdf.close()
    return path


def results_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Survey budget", level=1)
    document.add_paragraph("Revenue from the glacier tours, by quarter.")
    table = document.add_table(rows=0, cols=3)
    for row in RESULTS:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.save(str(path))
    return path


def write_multimodal(target: Path) -> tuple[list[Path], dict[str, str]]:
    """The multimodal sample files written to ``target``, and those skipped (why)."""
    written: list[Path] = []
    skipped: dict[str, str] = {}
    work = target / ".sample-work"
    work.mkdir(parents=True, exist_ok=True)
    try:
        try:
            written.append(report_pdf(target / "field_report.pdf", work))
            balloon().save(target / "red_balloon.jpg", "JPEG", quality=88)
            written.append(target / "red_balloon.jpg")
        except ImportError:
            skipped["field_report.pdf, red_balloon.jpg"] = "needs Pillow: mmrag[image]"
        try:
            written.append(results_docx(target / "survey_budget.docx"))
        except ImportError:
            skipped["survey_budget.docx"] = "needs python-docx: mmrag[documents]"
        speaker = shutil.which("espeak-ng") or shutil.which("espeak")
        if importlib.util.find_spec("faster_whisper") is None:
            skipped["survey_note.wav"] = "only read with mmrag[audio]"
        elif speaker:
            wav = target / "survey_note.wav"
            subprocess.run([speaker, "-v", "en", "-s", "150", "-w", str(wav), SPOKEN],
                           check=True, capture_output=True, timeout=60)
            written.append(wav)
        else:
            skipped["survey_note.wav"] = "needs espeak-ng (apt-get install espeak-ng)"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written, skipped
