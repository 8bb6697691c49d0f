"""Run an evaluation: ingest the dataset's documents into an index, then measure each
strategy (retrieval) or generator (answers) on the same index, query by query."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import numpy as np

from ..pipeline import Pipeline
from . import metrics
from .datasets import QA, Beir
from .ranked import ranked_hits

Progress = Callable[[str, int, int], None]
CUTOFFS = (1, 5, 10)


@dataclass
class EvalConfig:
    strategies: Sequence[str] = ("hybrid", "hybrid-rrf", "dense", "bm25")
    generators: Sequence[str] = ("extractive",)
    limit: int | None = None
    corpus_limit: int | None = None
    k: int = 10
    seed: int = 0
    embedder: str | None = None
    store: str | None = None  # for a new evaluation index: lancedb, milvus[:URI], milvus://...
    generator_options: dict[str, Any] = field(default_factory=dict)
    # image datasets: image-caption pairs to train an adapter on (``mmrag align``), after
    # which every strategy is measured again ("+align") and the adapter alone ("adapter")
    align_pairs: Sequence[tuple[str, str]] = ()
    # captions with spoken recordings: the speech model for speech->image ("none": skip)
    transcriber: str = "whisper"
    # RGB: the shares of negative passages among the 5 to measure at
    noise_rates: Sequence[float] = (0.0, 0.4, 0.8, 1.0)


def _doc_file(doc_id: str) -> str:
    return quote(doc_id, safe="") + ".txt"


def _doc_id(source: str) -> str:
    return unquote(Path(source).name[: -len(".txt")])


def _summary(values: dict[str, list[float]]) -> dict[str, float]:
    return {name: float(np.mean(v)) if v else 0.0 for name, v in values.items()}


def _latency(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95))}


def run_beir(
    data: Beir, index_dir: Path, workdir: Path, config: EvalConfig, progress: Progress | None
) -> dict[str, Any]:
    rng = random.Random(config.seed)
    query_ids = sorted(data.queries)
    if config.limit and config.limit < len(query_ids):
        query_ids = sorted(rng.sample(query_ids, config.limit))
    keep: set[str] | None = None
    if config.corpus_limit:
        keep = {d for q in query_ids for d in data.qrels[q]}
    corpus_dir = workdir / "corpus"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for doc_id, text in data.documents():
        if keep is not None and doc_id not in keep and written >= config.corpus_limit:  # type: ignore[operator]
            continue
        target = corpus_dir / _doc_file(doc_id)
        if not target.exists():
            target.write_text(text, encoding="utf-8")
        written += 1
    rag = Pipeline.open(index_dir, embedder=config.embedder, create=True,
                        store=config.store)
    report = rag.ingest(
        [corpus_dir], (lambda d, t, p: progress("ingest", d, t)) if progress else None
    )
    results: dict[str, Any] = {
        "dataset": str(data.path), "kind": "beir", "split": data.split,
        "queries": len(query_ids), "documents": written, "chunks": rag.store.count(),
        "ingest_seconds": report.seconds, "embedder": rag.embedder.name, "strategies": {},
    }
    depth = max(config.k * 5, 50)  # chunks per query; several chunks can share a document
    for strategy in config.strategies:
        scores: dict[str, list[float]] = {f"recall@{c}": [] for c in CUTOFFS}
        scores |= {"mrr@10": [], "ndcg@10": []}
        curve = np.zeros(config.k)
        seconds, nothing = [], []
        for n, qid in enumerate(query_ids, 1):
            started = time.perf_counter()
            hits, judged_off = ranked_hits(rag, data.queries[qid], depth, strategy=strategy)
            seconds.append(time.perf_counter() - started)
            nothing.append(judged_off)
            ranked = list(dict.fromkeys(_doc_id(h.source) for h in hits))
            relevant = data.qrels[qid]
            for c in CUTOFFS:
                scores[f"recall@{c}"].append(metrics.recall_at(ranked, relevant, c))
            scores["mrr@10"].append(metrics.mrr_at(ranked, relevant, 10))
            scores["ndcg@10"].append(metrics.ndcg_at(ranked, relevant, 10))
            curve += [metrics.recall_at(ranked, relevant, c) for c in range(1, config.k + 1)]
            if progress:
                progress(strategy, n, len(query_ids))
        results["strategies"][strategy] = {
            **_summary(scores),
            "nothing_found": float(np.mean(nothing)) if nothing else 0.0,
            "recall_curve": (curve / max(len(query_ids), 1)).tolist(),
            "latency": _latency(seconds),
            "latencies_ms": [s * 1000 for s in seconds],
        }
    return results


def generator_choice(name: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``llm:gemma-3-270m`` is the ``llm`` generator on that local model; the LLM options
    go only to the generators that use an LLM."""
    generator, _, model = name.partition(":")
    if generator not in ("llm", "hybrid"):
        return generator, {}
    return generator, {**options, **({"model": model} if model else {})}


def _cited_sources(answer: Any) -> set[str]:
    return {Path(c.source).name for c in answer.citations}


def run_qa(
    data: QA, index_dir: Path, config: EvalConfig, progress: Progress | None
) -> dict[str, Any]:
    items = data.items[: config.limit] if config.limit else data.items
    rag = Pipeline.open(index_dir, embedder=config.embedder, create=True,
                        store=config.store)
    report = rag.ingest(
        [data.corpus], (lambda d, t, p: progress("ingest", d, t)) if progress else None
    )
    results: dict[str, Any] = {
        "dataset": str(data.path), "kind": "qa", "questions": len(items),
        "chunks": rag.store.count(), "ingest_seconds": report.seconds,
        "ingest_errors": report.errors, "generators": {},
    }
    for name in config.generators:
        generator, options = generator_choice(name, config.generator_options)
        answerer = Pipeline.open(index_dir, generator=generator, generator_options=options)
        scores: dict[str, list[float]] = {
            k: [] for k in ("exact_match", "f1", "contains", "citation_precision",
                            "citation_recall", "retrieved@5")
        }
        seconds, rows = [], []
        for n, item in enumerate(items, 1):
            question, answers = str(item["question"]), [str(a) for a in item["answers"]]  # type: ignore[attr-defined]
            started = time.perf_counter()
            answer = answerer.ask(question, config.k if config.k < 10 else 5)
            seconds.append(time.perf_counter() - started)
            scores["exact_match"].append(metrics.exact_match(answer.answer, answers))
            scores["f1"].append(metrics.f1(answer.answer, answers))
            scores["contains"].append(metrics.contains(answer.answer, answers))
            gold = item.get("source")
            if gold:
                cited = _cited_sources(answer)
                hit = float(Path(str(gold)).name in cited)
                scores["citation_precision"].append(hit / len(cited) if cited else 0.0)
                scores["citation_recall"].append(hit)
                top = [Path(h.source).name for h in answerer.search(question, 5)]
                scores["retrieved@5"].append(float(Path(str(gold)).name in top))
            rows.append({"question": question, "answer": answer.answer, "gold": answers,
                         "generator": answer.generator, "notes": answer.notes,
                         "contains": scores["contains"][-1],
                         "gold_cited": bool(gold) and Path(str(gold)).name
                         in _cited_sources(answer)})
            if progress:
                progress(name, n, len(items))
        results["generators"][name] = {
            **_summary(scores), "latency": _latency(seconds),
            "latencies_ms": [s * 1000 for s in seconds], "answers": rows,
        }
    return results
