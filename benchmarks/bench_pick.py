"""The ``llm`` answerer's passage pick (``pick`` None / "one" / "order") on identical contexts.

Each question's 5 refined hits are retrieved once (the hard and the original set of
``bench_answers.py``, each its own index) and RGB zh_refine's draws are made as ``mmrag eval``
makes them, so every mode reads exactly the same passages. Reports, per mode and set, the
answers that hold the gold answer (and cite the gold file), RGB accuracy at noise 0.4 and
rejection at 1.0, and the time to the first streamed piece (an abstention counts at its
return). Run: ``python3 benchmarks/bench_pick.py --modes none,one,order --sets hard,original,rgb``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _hard_answers  # noqa: E402
import bench_answers  # noqa: E402

from mmrag import Pipeline  # noqa: E402
from mmrag.evaluation.rgb import correct, passages, read_rgb, refused  # noqa: E402
from mmrag.generators import generators  # noqa: E402
from mmrag.refiners.extractive import ExtractiveRefiner  # noqa: E402
from mmrag.types import Hit  # noqa: E402

RGB = Path(__file__).resolve().parents[2] / "shared" / "data" / "rgb" / "zh_refine.json"


def retrieved(name: str, tmp: Path, limit: int | None) -> list[tuple[str, list[Hit], list, str]]:
    corpus = tmp / name / "corpus"
    if name == "hard":
        corpus.mkdir(parents=True)
        for file, text in _hard_answers.PASSAGES.items():
            (corpus / file).write_text(text, encoding="utf-8")
        items = [{"question": q, "answers": a, "source": s} for q, a, s in _hard_answers.QUESTIONS]
    else:
        items = bench_answers.questions(bench_answers.build_corpus(corpus))
    rag = Pipeline.open(tmp / name / "index", create=True)
    rag.ingest([corpus])
    rows = []
    for item in items[:limit]:
        hits = rag.refiner.refine(item["question"], rag.search(item["question"], 5))
        rows.append((item["question"], hits, item["answers"], item["source"]))
    return rows


def rgb_draws(
    path: Path, noise: float, limit: int, seed: int
) -> list[tuple[str, list[Hit], list, str]]:
    data = read_rgb(path)
    items = sorted(random.Random(seed).sample(data.items, limit), key=lambda r: r["id"])
    draw = random.Random(f"{seed}-{noise}")
    rows = []
    for item in items:
        hits = [Hit(id=f"{item['id']}-{i}", score=1.0 - i / 10, source=f"passage{i}", text=t)
                for i, t in enumerate(passages(item, noise, draw), 1)]
        rows.append((item["query"], ExtractiveRefiner().refine(item["query"], hits),
                     item["answer"], ""))
    return rows


def timed(gen, question: str, hits: list[Hit]):
    """The answer, and the seconds to its first streamed piece (an abstention streams
    nothing: the seconds to its return)."""
    first: list[float] = []
    started = time.perf_counter()

    def seen(_: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    answer = gen.stream(question, hits, seen)
    return answer, first[0] if first else time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="none,one,order")
    parser.add_argument("--sets", default="hard,original,rgb")
    parser.add_argument("--limit", type=int, default=None, help="questions per set")
    parser.add_argument("--rgb", type=Path, default=RGB)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-pick-"))
    sets: dict[str, list] = {}
    for name in args.sets.split(","):
        if name == "rgb":
            for noise in (0.4, 1.0):
                sets[f"rgb@{noise:g}"] = rgb_draws(args.rgb, noise, args.limit or 10, args.seed)
        else:
            sets[name] = retrieved(name, tmp, args.limit)
    for mode in args.modes.split(","):
        gen = generators.create("llm", pick=None if mode == "none" else mode)
        gen.generate("warm up?", next(iter(sets.values()))[0][1])
        for name, rows in sets.items():
            right = cited = 0
            firsts = []
            for question, hits, gold, source in rows:
                answer, seconds = timed(gen, question, hits)
                firsts.append(seconds)
                ok, gold_cited = judged(name, answer, gold, source)
                right += ok
                cited += gold_cited
                print(f"{mode:6} {name:9} {question[:40]!r} -> {answer.answer[:60]!r} "
                      f"{answer.notes[-1:]}", flush=True)
            what = "rejected" if name == "rgb@1" else "right"
            print(f"SUMMARY {mode:6} {name:9} {what} {right}/{len(rows)}"
                  + ("" if name.startswith("rgb") else f" gold cited {cited}")
                  + f" first token p50 {1000 * statistics.median(firsts):.0f} ms", flush=True)


def judged(name: str, answer, gold, source: str) -> tuple[bool, bool]:
    """(right, right and citing the gold passage) by the set's rule: RGB at noise 1 wants a
    refusal, RGB's matching rules otherwise, and the answer sets a gold phrase."""
    if name == "rgb@1":
        return refused(answer), False
    if name.startswith("rgb"):
        return correct(answer.answer, gold), False
    ok = any(g.lower() in answer.answer.lower() for g in gold)
    return ok, ok and source in {Path(h.source).name for h in answer.citations}


if __name__ == "__main__":
    main()
