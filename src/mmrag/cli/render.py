"""Terminal rendering of hits, answers and ingest reports."""

from __future__ import annotations

import shutil
import textwrap
from typing import TYPE_CHECKING

from ..types import Answer, Hit

if TYPE_CHECKING:  # the ingest package imports every loader: a search needs none of them
    from ..ingest import IngestReport

_STAGES = ("dense", "bm25", "image", "shape")


def _width() -> int:
    return min(shutil.get_terminal_size((100, 20)).columns, 120)


def snippet(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cite(hit: Hit) -> str:
    label = hit.span.label()
    return f"{hit.source} [{label}]" if label else hit.source


def hits(results: list[Hit]) -> str:
    if not results:
        return ("Nothing found: no indexed source is relevant to the query "
                "(--min-relevance 0 lists the nearest anyway).")
    lines = []
    indent = " " * 5
    for n, hit in enumerate(results, 1):
        measure = "relevance" if "relevance" in hit.scores else "score"
        lines.append(f"{n:>3}. {cite(hit)}  {measure} {hit.score:.4f}")
        if hit.modality == "image" and "labels" in hit.meta:
            lines.extend(indent + line for line in image_lines(hit))
        elif hit.modality == "mesh" and "geometry" in hit.meta:
            lines.extend(indent + line for line in mesh_lines(hit))
        else:
            body = textwrap.fill(snippet(marked(hit.text, [hit])), _width(), initial_indent=indent,
                                 subsequent_indent=indent)
            lines.append(body)
        stages = []
        for stage in _STAGES:
            if stage in hit.scores:
                rank = hit.scores.get(f"{stage}_rank")
                shown = f" #{rank:.0f}" if rank else ""
                stages.append(f"{stage} {hit.scores[stage]:.3f}{shown}")
        if stages:
            lines.append(indent + " · ".join(stages))
    return "\n".join(lines)


def marked(text: str, cited: list[Hit]) -> str:
    """``text`` with the words a transcriber was unsure of (``meta["uncertain"]``) marked
    ``word(?)``, so a misheard name reads as the guess it is."""
    import re

    words = {g["word"] for h in cited for g in h.meta.get("uncertain", ()) if g.get("word")}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<![\w(]){re.escape(word)}(?![\w(])", word + "(?)", text)
    return text


def image_lines(hit: Hit) -> list[str]:
    meta = hit.meta
    labels = ", ".join(f"{x['name']} / {x['zh']} {x['p']:.2f}" for x in meta["labels"])
    lines = [f"image: {meta.get('path', hit.source)}", f"labels: {labels}"]
    if meta.get("ocr"):
        lines.append("ocr: " + snippet(meta["ocr"], 160))
    return lines


def mesh_lines(hit: Hit) -> list[str]:
    from ..mesh.stats import describe

    meta = hit.meta
    lines = [f"3D model: {meta.get('mesh', hit.source)}", describe(meta["geometry"])]
    if meta.get("labels"):
        lines.append("looks like: " + ", ".join(x["name"] for x in meta["labels"]))
    if meta.get("path"):
        lines.append(f"thumbnail: {meta['path']}")
    return lines


def answer(result: Answer) -> str:
    text = marked(result.answer, result.citations)
    lines = [textwrap.fill(text, _width()), ""]
    for n, hit in enumerate(result.citations, 1):
        lines.append(f"[{n}] {cite(hit)}")
    for note in result.notes:
        lines.append(f"note: {note}")
    if text != result.answer:
        lines.append("note: word(?) is a word the transcriber was unsure of")
    return "\n".join(lines).rstrip()


def report(result: IngestReport) -> str:
    done = len(result.added) + len(result.updated)
    parts = [
        f"ingested {done} file{'s' if done != 1 else ''} "
        f"({len(result.added)} new, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged), {result.chunks} chunks in {result.seconds:.1f}s"
    ]
    if result.errors:
        parts.append(f"{len(result.errors)} failed")
    if result.notes:
        parts.append(f"{len(result.notes)} with nothing to index")
    if result.unsupported:
        parts.append(f"{len(result.unsupported)} unsupported skipped")
    return "; ".join(parts)
