"""Mixed-corpus evaluation: files of every modality in one index, queried with no filter.

A dataset folder holds the files (photos, recordings, articles, in any subfolders), a
``queries.jsonl`` with one query per line, and the spoken or image queries it names under
``queries/`` (not indexed):

    {"query": "a boy kicks a ball", "relevant": ["recordings/b.mp3"], "set": "recording/en"}
    {"audio": "queries/q1.wav", "relevant": ["photos/dog.jpg"], "set": "speech"}
    {"image": "queries/beach.jpg", "relevant": ["photos/sea.jpg"], "set": "image"}
    {"query": "zqxjvw kkkk", "relevant": [], "set": "none/en"}

``relevant`` paths are relative to the folder; an empty list means nothing in the corpus
answers the query, and the right result is no result. Per query set and strategy it
reports R@1, R@10, MRR@10 and nDCG@10 over the answerable queries, the share of no-answer
queries that returned nothing, and over all sets the macro MRR@10 and the lowest R@10.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..jsonl import read_jsonl
from ..pipeline import Pipeline
from . import metrics

QUERIES = "queries.jsonl"


@dataclass
class MixedQuery:
    relevant: list[str]
    set: str
    query: str | None = None
    audio: str | None = None
    image: str | None = None
    lang: str | None = None


@dataclass
class Mixed:
    path: Path
    queries: list[MixedQuery] = field(default_factory=list)
    kind: str = "mixed"


def _query(row: Any) -> MixedQuery:
    if not isinstance(row, dict):
        raise TypeError("a JSON object")
    given = [k for k in ("query", "audio", "image") if row.get(k)]
    if len(given) != 1:
        raise ValueError("exactly one of query, audio, image")
    relevant = row.get("relevant")
    if not isinstance(relevant, list) or not all(isinstance(r, str) for r in relevant):
        raise ValueError("relevant must be a list of paths")
    kind = given[0]
    return MixedQuery(relevant=relevant, set=str(row.get("set") or kind),
                      lang=row.get("lang"), **{kind: str(row[kind])})


def read_mixed(path: Path) -> Mixed:
    expected = '{"query"|"audio"|"image": ..., "relevant": [paths], "set": ...}'
    queries = [q for _, q in read_jsonl(path / QUERIES, _query, expected, "queries")]
    for q in queries:
        for name in [*q.relevant, q.audio, q.image]:
            if name and not (path / name).is_file():
                raise ConfigError(f"{path / QUERIES}: {name!r} is not a file in {path}")
    return Mixed(path, queries)


def _ranked(hits: list[Any], root: Path) -> list[str]:
    """The files of ``hits`` as paths relative to the dataset, best first, each once."""
    out: dict[str, None] = {}
    for hit in hits:
        try:
            out.setdefault(Path(hit.source).resolve().relative_to(root).as_posix(), None)
        except ValueError:
            out.setdefault(hit.source, None)
    return list(out)


def run_mixed(data: Mixed, index_dir: Path, config: Any, progress: Any) -> dict[str, Any]:
    rag = Pipeline.open(index_dir, embedder=config.embedder, create=True, store=config.store)
    # the corpus is the folder but its queries (a spoken or image query lives in queries/)
    corpus = [p for p in sorted(data.path.iterdir()) if p.name not in (QUERIES, "queries")]
    report = rag.ingest(corpus, (lambda d, t, p: progress("ingest", d, t))
                        if progress else None, transcriber=config.transcriber)
    root = data.path.resolve()
    spoken = _transcripts(data, config.transcriber)
    results: dict[str, Any] = {
        "dataset": str(data.path), "kind": "mixed", "queries": len(data.queries),
        "files": len(rag.sources()), "chunks": rag.store.count(),
        "ingest_seconds": report.seconds, "embedder": rag.embedder.name,
        "ingest_errors": report.errors[:5], "strategies": {}, "sets": {},
    }
    sets = sorted({q.set for q in data.queries})
    for strategy in config.strategies:
        per_set: dict[str, dict[str, list[float]]] = {s: {} for s in sets}
        seconds = []
        for n, q in enumerate(data.queries, 1):
            started = time.perf_counter()
            if q.image:
                hits = rag.search_image(data.path / q.image, config.k)
            else:
                text = q.query if q.query else spoken[q.audio or ""]
                hits = rag.search(text, config.k, strategy=strategy) if text.strip() else []
            seconds.append(time.perf_counter() - started)
            scores = per_set[q.set]
            if q.relevant:
                ranked, relevant = _ranked(hits, root), dict.fromkeys(q.relevant, 1)
                for name, value in (
                    ("recall@1", metrics.recall_at(ranked, relevant, 1)),
                    ("recall@10", metrics.recall_at(ranked, relevant, 10)),
                    ("mrr@10", metrics.mrr_at(ranked, relevant, 10)),
                    ("ndcg@10", metrics.ndcg_at(ranked, relevant, 10)),
                ):
                    scores.setdefault(name, []).append(value)
            else:
                scores.setdefault("nothing_found", []).append(float(not hits))
            if progress:
                progress(strategy, n, len(data.queries))
        summary = {s: {k: sum(v) / len(v) for k, v in m.items()} for s, m in per_set.items()}
        answerable = [m for m in summary.values() if "mrr@10" in m]
        refusals = [m["nothing_found"] for m in summary.values() if "nothing_found" in m]
        ms = sorted(s * 1000 for s in seconds)
        results["sets"][strategy] = summary
        results["strategies"][strategy] = {
            "macro_mrr@10": sum(m["mrr@10"] for m in answerable) / max(len(answerable), 1),
            "min_recall@10": min((m["recall@10"] for m in answerable), default=0.0),
            "nothing_found": sum(refusals) / len(refusals) if refusals else 0.0,
            "latency": {"p50_ms": ms[len(ms) // 2] if ms else 0.0,
                        "p95_ms": ms[int(len(ms) * 0.95)] if ms else 0.0},
            "latencies_ms": ms,
        }
    return results


def _transcripts(data: Mixed, transcriber: str) -> dict[str, str]:
    """Spoken queries, each transcribed once by the speech model ingest uses."""
    audio = sorted({q.audio for q in data.queries if q.audio})
    if not audio:
        return {}
    from ..speech import transcribe_text

    return {name: transcribe_text(data.path / name, transcriber) for name in audio}
