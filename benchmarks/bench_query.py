"""Local-LLM answer options side by side on one index: quality and time to first token.

    python3 benchmarks/bench_query.py                       # every variant, the hard set
    python3 benchmarks/bench_query.py --variants base,top3 --sets hard,followup

Each variant is a way to answer with the default local model (Qwen2.5-Coder-0.5B-Instruct):
how many passages it reads, a listwise LLM reranker, HyDE, decomposition. Every variant asks
the same questions on the same index, one after the other in one run, so their times compare
as ratios on a noisy machine. Time to first token runs from the question (search included)
to the first piece of the answer that the stream shows (``Pipeline.answer``'s ``on_token``).
An answer counts when it contains a gold answer; "gold cited" also needs the gold file cited.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _followups  # noqa: E402
import _hard_answers  # noqa: E402
from _report import git_rev, machine, table, update_section  # noqa: E402

from mmrag import Pipeline  # noqa: E402
from mmrag.chat import Conversation  # noqa: E402
from mmrag.query.search import understood_search  # noqa: E402

# name: Pipeline.open options (beyond the index) and query options of Pipeline.ask
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {"generator": "llm"},
    "ctx-full": {"generator": "llm", "generator_options": {"context_tokens": None}},
    "ctx120": {"generator": "llm", "generator_options": {"context_tokens": 120}},
    "large": {"generator": "llm", "generator_options": {"model": "qwen2.5-coder-1.5b"}},
    "top3": {"generator": "llm", "generator_options": {"top_hits": 3}},
    "completion": {"generator": "llm", "generator_options": {"mode": "completion"}},
    "rerank": {"generator": "llm", "reranker": "llm"},
    "hyde": {"generator": "llm", "query": {"use_hyde": True}},
    "decompose": {"generator": "llm", "query": {"use_decompose": True}},
    "extractive": {"generator": "extractive"},
}


def corpus(name: str, root: Path) -> list[tuple[str, list[str], str]]:
    root.mkdir(parents=True)
    if name == "hard":
        for file, text in _hard_answers.PASSAGES.items():
            (root / file).write_text(text, encoding="utf-8")
        return list(_hard_answers.QUESTIONS)
    raise SystemExit(f"unknown set {name!r}; available: hard, followup, rgb")


def _first_token(first: list[float], started: float) -> Any:
    def seen(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)
    return seen


def run_variant(index: Path, name: str, items: list, k: int) -> dict[str, Any]:
    spec = dict(VARIANTS[name])
    query = spec.pop("query", {})
    rag = Pipeline.open(index, **spec)
    rows, ttft, total = [], [], []
    for question, answers, gold in items:
        first: list[float] = []
        started = time.perf_counter()
        if query:
            hits = understood_search(rag, rag.generator._llm(), question, k, **query)
        else:
            hits = rag.search(question, k)
        answer = rag.answer(question, hits, on_token=_first_token(first, started))
        total.append(time.perf_counter() - started)
        if first:
            ttft.append(first[0])
        right = any(a.lower() in answer.answer.lower() for a in answers)
        cited = gold in {Path(c.source).name for c in answer.citations}
        rows.append({"question": question, "answer": answer.answer, "right": right,
                     "cited": right and cited, "found": gold in {Path(h.source).name
                                                                 for h in hits}})
        print(f"{name:10} {'ok ' if right else 'MISS'} {question} -> {answer.answer[:80]!r}",
              flush=True)
    return {"rows": rows, "ttft": ttft, "total": total}


def run_rgb(index: Path, names: list[str], limit: int, noise: float) -> str:
    """RGB zh_refine's long passages (5 a question, ``noise`` of them negative) given to
    each variant as they are, without retrieval: RGB's matching rule for correctness."""
    import random

    from _report import SHARED_DATA

    from mmrag.evaluation.rgb import correct, passages, read_rgb
    from mmrag.types import Hit

    data = read_rgb(SHARED_DATA / "rgb" / "zh_refine.json")
    items = sorted(random.Random(0).sample(data.items, limit), key=lambda r: r["id"])
    draw = random.Random(f"0-{noise}")
    asked = [(item, [Hit(id=f"{item['id']}-{i}", score=1.0 - i / 10, source=f"passage{i}",
                         text=t) for i, t in enumerate(passages(item, noise, draw), 1)])
             for item in items]
    rows = []
    for name in names:
        spec = dict(VARIANTS[name])
        spec.pop("query", None)
        rag = Pipeline.open(index, **spec)
        right, ttft, total = 0, [], []
        for item, hits in asked:
            first: list[float] = []
            started = time.perf_counter()
            answer = rag.answer(item["query"], hits, on_token=_first_token(first, started))
            total.append(time.perf_counter() - started)
            ttft += first[:1]
            right += correct(answer.answer, item["answer"])
            print(f"{name:10} {item['query']} -> {answer.answer[:60]!r}", flush=True)
        rows.append([name, f"{right}/{len(asked)}", _p50(ttft), _p50(total)])
    return (f"### RGB zh_refine, {limit} questions at noise {noise:g} (`--limit {limit}`)\n\n"
            + table(["variant", "correct (RGB rule)", "first token p50 ms", "answer p50 ms"],
                    rows))


def run_followups(index: Path, k: int) -> str:
    """Follow-ups searched after the rule's and after the LLM's rewriting: is the gold file
    in the top k, and what the rewriting costs."""
    rag = Pipeline.open(index, generator="llm")
    rows = []
    for mode in ("none", "rule", "llm"):
        found, seconds = 0, []
        for first, follow, _answers, gold in _followups.FOLLOWUPS:
            talk = Conversation(rag, k=k, rewrite="rule" if mode == "none" else mode)
            talk.turns.append(_turn(first))
            started = time.perf_counter()
            query = follow if mode == "none" else talk.query(follow)
            seconds.append(time.perf_counter() - started)
            names = {Path(h.source).name for h in rag.search(query, k)}
            found += gold in names
            print(f"{mode:5} {'ok ' if gold in names else 'MISS'} {first} / {follow} -> "
                  f"{query!r}", flush=True)
        rows.append([mode, f"{found}/{len(_followups.FOLLOWUPS)}", _p50(seconds)])
    return "### follow-ups (`benchmarks/_followups.py`)\n\n" + table(
        ["rewriting", f"gold file in the top {k}", "rewrite p50 ms"], rows)


def _turn(question: str) -> Any:
    from mmrag.chat import Turn
    from mmrag.types import Answer

    return Turn(question, question, Answer("", [], "none"))


def _p50(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.0f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--sets", default="hard")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--limit", type=int, default=10, help="RGB questions")
    parser.add_argument("--noise", type=float, default=0.4, help="RGB noise rate")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every answer here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-query-"))
    sections, dump = [], {}
    try:
        for set_name in args.sets.split(","):
            items = corpus("hard", tmp / set_name / "corpus")  # rgb: only its index
            index = tmp / set_name / "index"
            Pipeline.open(index, create=True).ingest([tmp / set_name / "corpus"])
            if set_name == "followup":
                sections.append(run_followups(index, args.k))
                continue
            if set_name == "rgb":
                run_variant(index, "base", items[:1], args.k)
                sections.append(run_rgb(index, args.variants.split(","), args.limit,
                                        args.noise))
                continue
            # one unmeasured question starts the local server and loads the model
            run_variant(index, "base", items[:1], args.k)
            rows = []
            for name in args.variants.split(","):
                result = run_variant(index, name, items, args.k)
                dump[f"{set_name}/{name}"] = result
                n = len(result["rows"])
                rows.append([name, f"{sum(r['right'] for r in result['rows'])}/{n}",
                             f"{sum(r['cited'] for r in result['rows'])}/{n}",
                             f"{sum(r['found'] for r in result['rows'])}/{n}",
                             _p50(result["ttft"]), _p50(result["total"])])
            sections.append(f"### the {set_name} set\n\n" + table(
                ["variant", "correct", "correct, gold cited", "gold in the hits",
                 "first token p50 ms", "answer p50 ms"], rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    body = (f"## Local-LLM answer options (`benchmarks/bench_query.py`)\n\n"
            f"Command: `python3 benchmarks/bench_query.py --variants {args.variants} --sets "
            f"{args.sets}`\nMachine: {machine()}; commit {git_rev()}; "
            f"{time.strftime('%Y-%m-%d %H:%M')}.\n\n" + "\n\n".join(sections) + "\n")
    print(body)
    if args.json:
        args.json.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.no_write:
        update_section("local-llm-options", body)


if __name__ == "__main__":
    main()
