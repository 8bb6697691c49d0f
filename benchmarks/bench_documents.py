"""Documents: PDF pages/s from the text layer and by OCR, figures extracted, and peak RSS
as a PDF grows from 200 to 2,000 pages (it should stay flat: pages are read one at a time).

    PYTHONPATH=$PWD/src nice -n 10 python3 benchmarks/bench_documents.py
    PYTHONPATH=$PWD/src python3 benchmarks/bench_documents.py --pages 500 --scanned 4 --no-write

Every measurement runs in a fresh child process (its own peak RSS). The files are built
here with fpdf2 and Pillow (tests/document_files.py). "before" is the text-layer loader of
``--before`` (another checkout's src, default /work/main/src) on the same file, when given.
Writes the `documents` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, git_rev, machine, table, update_section  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

PARAGRAPH = ("Page {n}. The survey measured the glacier's retreat along the valley floor, "
             "and the field team logged temperature, snow depth and wind every hour. ") * 4


def text_pdf(path: Path, pages: int, figure_every: int = 0) -> Path:
    from fpdf import FPDF

    from document_files import figure_image

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, PARAGRAPH.format(n=n))
        if figure_every and n % figure_every == 0:  # each one its own (repeats are kept once)
            picture = figure_image(path.parent / f"figure{n}.png",
                                   ((37 * n) % 256, (91 * n) % 256, (53 * n) % 256))
            pdf.image(str(picture), x=30, y=90, w=110)
            pdf.set_xy(30, 170)
            pdf.multi_cell(0, 6, f"Figure {n}: the balloon over the valley.")
    pdf.output(str(path))
    return path


def table_pdf(path: Path, pages: int) -> Path:
    """A paragraph and a ruled 12-row table (fpdf2's) on every page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 6, PARAGRAPH.format(n=n)[:240])
        with pdf.table() as grid:
            for r in range(12):
                cells = ("Station", "Snow (cm)", "Wind") if r == 0 else (
                    f"S{n}-{r}", str((n * r) % 300), f"{(7 * r) % 60} km/h")
                row = grid.row()
                for value in cells:
                    row.cell(value)
    pdf.output(str(path))
    return path


def _hwm_mib() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over fork and exec from
    the parent (which built a 2,000-page PDF in memory); VmHWM starts afresh at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(args: argparse.Namespace) -> None:
    """One measurement: load (and chunk) one PDF as ingest does, print JSON."""
    from mmrag.loaders import LoadContext, loader_for
    from mmrag.text.chunker import chunk_sections

    path = Path(args.pdf)
    loader = loader_for(path)
    assert loader is not None
    base = _hwm_mib()
    media = Path(tempfile.mkdtemp()) if args.media else None
    start = time.perf_counter()
    if getattr(loader, "accepts_context", False):
        sections = list(loader.load(path, LoadContext(media_dir=media)))  # type: ignore[call-arg]
    else:  # an older checkout's loader
        sections = list(loader.load(path))
    chunks = chunk_sections(sections, source=str(path), source_key=str(path), content_hash="b")
    seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds, "sections": len(sections), "chunks": len(chunks),
        "figures": sum(s.modality == "image" for s in sections),
        "ocr_pages": sum(s.meta.get("text_from") == "ocr" for s in sections),
        "table_groups": sum("table" in s.meta for s in sections),
        "rss_mib": _hwm_mib(),
        "rss_after_imports_mib": base,
    }))


def measure(pdf: Path, media: bool, src: Path = ROOT / "src") -> dict:
    env = {**os.environ, "PYTHONPATH": f"{src}:{ROOT / 'tests'}",
           "OMP_NUM_THREADS": "2", "MMRAG_CACHE": os.environ.get("MMRAG_CACHE", "")}
    if not env["MMRAG_CACHE"]:
        env.pop("MMRAG_CACHE")
    cmd = [sys.executable, __file__, "--child", "--pdf", str(pdf)] + (["--media"] if media
                                                                      else [])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="the long PDF's pages")
    parser.add_argument("--scanned", type=int, default=10, help="scanned pages to OCR")
    parser.add_argument("--figures", type=int, default=20, help="pages with a figure")
    parser.add_argument("--tables", type=int, default=100, help="pages with a ruled table")
    parser.add_argument("--before", type=Path, default=Path("/work/main/src"))
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pdf", help=argparse.SUPPRESS)
    parser.add_argument("--media", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from document_files import scanned_pdf

    work = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    short = text_pdf(work / "short.pdf", args.pages // 10)
    long = text_pdf(work / "long.pdf", args.pages)
    scan = scanned_pdf(work / "scan.pdf", [[f"Scanned page {n} of the field notes.",
                                            "The glacier lost twelve metres of ice.",
                                            "Wind from the north at forty km/h."]
                                           for n in range(1, args.scanned + 1)])
    figures = text_pdf(work / "figures.pdf", args.figures, figure_every=1)
    tables = table_pdf(work / "tables.pdf", args.tables)
    rows = []

    def row(name: str, pdf: Path, pages: int, media: bool, src: Path = ROOT / "src") -> dict:
        got = measure(pdf, media, src)
        rows.append([name, pages, f"{pages / got['seconds']:.1f}", got["figures"],
                     got["ocr_pages"], got.get("table_groups", 0),
                     f"{got['rss_after_imports_mib']:.0f}",
                     f"{got['rss_mib']:.0f}"])
        print(rows[-1], flush=True)
        return got

    if args.before.is_dir():
        row(f"text layer, before ({args.before})", long, args.pages, False, args.before)
        row(f"text layer + media folder, before ({args.before})", long, args.pages, True,
            args.before)
    row("text layer, no media folder (no figures)", long, args.pages, False)
    row("text layer + media folder (thumbnails when cited)", short, args.pages // 10, True)
    row("text layer + media folder (thumbnails when cited)", long, args.pages, True)
    row("scanned: render + OCR + thumbnails", scan, args.scanned, True)
    row("a figure on every page: extracted, labelled, OCR'd", figures, args.figures, True)
    row("a ruled table on every page (pdfplumber)", tables, args.tables, True)
    body = "\n".join([
        "## Documents (PDF pages, OCR, figures)",
        "",
        f"`PYTHONPATH=$PWD/src nice -n 10 python3 benchmarks/bench_documents.py "
        f"--pages {args.pages} --scanned {args.scanned} --figures {args.figures} "
        f"--tables {args.tables}` at "
        f"{git_rev()}; {machine()}. Each row is a fresh process loading and chunking one "
        "PDF as ingest does (no embedding, no store); peak RSS is the process's.",
        "",
        table(["PDF", "pages", "pages/s", "figures", "OCR'd pages", "table groups",
               "RSS after imports (MiB)", "peak RSS (MiB)"], rows),
    ])
    if not args.no_write:
        update_section("documents", body)
    print(body)


if __name__ == "__main__":
    main()
