"""Documents built at run time with the real libraries (no committed binaries): Office
files, e-books, mail, and PDFs with figures and scanned pages. Plain functions, so the
benchmarks import them too."""

from __future__ import annotations

import zipfile
from email.message import EmailMessage
from pathlib import Path

REVENUE = [("Quarter", "Revenue", "Region"), ("Q1", "1.2M", "north"),
           ("Q2", "1.5M", "south"), ("Q3", "2.7M", "west"), ("Q4", "3.1M", "east")]
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def draw_page(lines: list[str], size: tuple[int, int] = (1240, 1754)):
    """A page of text as a Pillow image (a 150 dpi A4 scan)."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        cjk = any("\u4e00" <= ch <= "\u9fff" for ch in line) and CJK_FONT.exists()
        font = ImageFont.truetype(str(CJK_FONT), 44) if cjk else ImageFont.load_default(44)
        draw.text((110, 160 + i * 90), line, fill="black", font=font)
    return page


def figure_image(path: Path, colour=(200, 30, 30)) -> Path:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (320, 220), "white")
    ImageDraw.Draw(im).ellipse((40, 20, 280, 200), fill=colour)
    im.save(path)
    return path


def scanned_pdf(path: Path, pages: list[list[str]]) -> Path:
    """Text pages rendered to images and wrapped as a PDF: no text layer at all."""
    images = [draw_page(lines) for lines in pages]
    images[0].save(path, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return path


def figure_pdf(path: Path, work: Path, scanned: list[str] | None = None) -> Path:
    """Page 1: text; page 2: a figure with its caption and a tiny logo; page 3 (if
    ``scanned``): a scan of those lines."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 7, "The field report covers the spring survey of the valley.")
    pdf.add_page()
    pdf.multi_cell(0, 7, "Results of the balloon flight.")
    pdf.image(str(figure_image(work / "balloon.png")), x=30, y=40, w=110)
    logo = work / "logo.png"
    Image.new("RGB", (24, 24), (0, 0, 255)).save(logo)
    pdf.image(str(logo), x=180, y=10, w=6)
    pdf.set_xy(30, 125)
    pdf.multi_cell(0, 7, "Figure 1: the red weather balloon above the glacier.")
    if scanned:
        scan = work / "scan.png"
        draw_page(scanned).save(scan)
        pdf.add_page()
        pdf.image(str(scan), x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


def docx_file(path: Path, picture: Path | None = None) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("Annual results", level=1)
    d.add_paragraph("Revenue rose every quarter, fastest in the west.")
    table = d.add_table(rows=0, cols=3)
    for row in REVENUE:
        cells = table.add_row().cells
        for c, value in zip(cells, row, strict=True):
            c.text = value
    d.add_heading("Staff", level=1)
    d.add_paragraph("The survey team counted forty volunteers.")
    if picture is not None:
        d.add_picture(str(picture))
        d.add_paragraph("Figure 2: the team's red balloon.")
    d.save(str(path))
    return path


def pptx_file(path: Path, picture: Path | None = None) -> Path:
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Roadmap"
    first.placeholders[1].text = "Ship the glacier sensors in spring."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Revenue by quarter"
    shape = second.shapes.add_table(len(REVENUE), 3, Inches(1), Inches(2), Inches(6), Inches(3))
    for r, row in enumerate(REVENUE):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    second.notes_slide.notes_text_frame.text = "Mention the west region."
    if picture is not None:
        third = deck.slides.add_slide(deck.slide_layouts[5])
        third.shapes.title.text = "The balloon launch"
        third.shapes.add_picture(str(picture), Inches(2), Inches(2), Inches(5))
    deck.save(str(path))
    return path


def xlsx_file(path: Path, rows: int = 0) -> Path:
    """The revenue table on one sheet; with ``rows``, a second sheet that long."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Revenue")
    for row in REVENUE:
        sheet.append(list(row))
    if rows:
        big = book.create_sheet("Log")
        big.append(["id", "reading"])
        for i in range(rows):
            big.append([i, i * 0.5])
    book.save(str(path))
    return path


def epub_file(path: Path) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("mmrag-test")
    book.set_title("River notes")
    book.set_language("en")
    one = epub.EpubHtml(title="Rivers", file_name="one.xhtml", lang="en")
    one.content = "<h1>Rivers</h1><p>The Danube flows through ten countries.</p>"
    two = epub.EpubHtml(title="Depths", file_name="two.xhtml", lang="en")
    two.content = ("<h1>Depths</h1><table><tr><th>River</th><th>Depth</th></tr>"
                   "<tr><td>Danube</td><td>8 m</td></tr><tr><td>Rhine</td><td>6 m</td></tr>"
                   "</table>")
    for chapter in (one, two):
        book.add_item(chapter)
    book.toc = (one, two)
    book.spine = [one, two]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(path), book)
    return path


def mail_message(subject: str, body: str, attachment: tuple[str, bytes] | None = None):
    message = EmailMessage()
    message["From"] = "ana@example.org"
    message["To"] = "team@example.org"
    message["Subject"] = subject
    message.set_content(body)
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    return message


def odt_file(path: Path) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Harbour log"))
    doc.text.addElement(P(text="The ferry leaves at dawn from pier nine."))
    table = Table(name="Tides")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    for row in REVENUE:
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    doc.save(str(path))
    return path


def zip_bomb(path: Path, inside: str = "word/document.xml", mb: int = 40) -> Path:
    """A package whose one member expands ~1000x (zeros), named like a real one."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(inside, b"\0" * (mb * 1024 * 1024))
    return path
