"""What the ``llm`` answerer reads: passage order (``rank`` / ``dense``) and count, on identical
contexts.

Each question's 5 refined hits are retrieved once (the hard and the original set of
``bench_answers.py``, each its own index, kept in ``--contexts`` so a later run reuses them)
and RGB zh_refine's draws are made as ``mmrag eval`` makes them, so every variant reads the
same passages. A variant is ``ORDER:PASSAGES[:CONTEXT_TOKENS]`` (``rank:5`` is the default
before this bench; ``context_tokens`` is 240 unless given), with ``+one`` after it for the
model's own pick among the passages read (``pick="one"``).
Reports per variant and set: answers holding the gold answer (and citing the gold file), where
the gold file sits among the passages read, RGB accuracy at noise 0.4 and rejection at 1.0
(and how many refusals are in Chinese), time to the first streamed piece and to the answer.

    python3 benchmarks/bench_reading.py --variants rank:5,dense:3 --sets hard,original,rgb
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pick  # noqa: E402

from mmrag import Pipeline  # noqa: E402
from mmrag.generators import generators  # noqa: E402
from mmrag.generators.abstain import NOT_FOUND  # noqa: E402
from mmrag.generators.reading import reading  # noqa: E402


def contexts(names: list[str], folder: Path, limit: int | None, rgb: Path, seed: int) -> dict:
    """Every set's (question, hits, gold, source) rows, made once into ``folder``."""
    saved = folder / "contexts.pkl"
    sets = pickle.loads(saved.read_bytes()) if saved.exists() else {}
    for name in names:
        if name == "rgb":
            for noise in (0.4, 1.0):
                key = f"rgb@{noise:g}"
                if key not in sets:
                    sets[key] = bench_pick.rgb_draws(rgb, noise, limit or 10, seed)
        elif name not in sets:
            sets[name] = bench_pick.retrieved(name, folder, None)
    folder.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(pickle.dumps(sets))
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="rank:5,dense:5,dense:3,dense:2,dense:1")
    parser.add_argument("--sets", default="hard,original,rgb")
    parser.add_argument("--limit", type=int, default=None, help="questions per set")
    parser.add_argument("--rgb", type=Path, default=bench_pick.RGB)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contexts", type=Path, default=Path("/tmp/mmrag-reading"))
    args = parser.parse_args()
    names = args.sets.split(",")
    every = contexts(names, args.contexts, args.limit, args.rgb, args.seed)
    wanted = [n for n in every if n in names or (n.startswith("rgb") and "rgb" in names)]
    # the hard set's index gives the embedder (the default one, as every index here has)
    index = next(p for p in (args.contexts / "hard" / "index", args.contexts / "original" /
                             "index") if p.exists())
    embedder = Pipeline.open(index).embedder
    for variant in args.variants.split(","):
        print(f"LOAD {Path('/proc/loadavg').read_text().strip()}", flush=True)
        reading_of, _, pick = variant.partition("+")
        order, count, *budget = reading_of.split(":")
        passages = None if count == "all" else int(count)
        gen = generators.create("llm", embedder=embedder, order=order, passages=passages,
                                context_tokens=int(budget[0]) if budget else 240,
                                pick=pick or None)
        gen.generate("warm up?", every[wanted[0]][0][1])
        for name in wanted:
            right = cited = first = zh = 0
            firsts, totals = [], []
            for question, hits, gold, source in every[name][: args.limit]:
                started = time.perf_counter()
                answer, seconds = bench_pick.timed(gen, question, hits)
                totals.append(time.perf_counter() - started)
                firsts.append(seconds)
                read = [Path(h.source).name for h in
                        reading(question, hits[: gen.top_hits], order, passages, embedder)]
                first += bool(read) and read[0] == source
                ok, gold_cited = bench_pick.judged(name, answer, gold, source)
                right += ok
                cited += gold_cited
                zh += name == "rgb@1" and answer.answer == NOT_FOUND["zh"]
                where = read.index(source) + 1 if source in read else "-"
                print(f"{variant:8} {name:9} gold@{where} {question[:36]!r} -> "
                      f"{answer.answer[:60]!r} {answer.notes[-1:]}", flush=True)
            n = len(firsts)
            what = "rejected" if name == "rgb@1" else "right"
            extra = (f" in Chinese {zh}" if name == "rgb@1" else "" if name.startswith("rgb")
                     else f" gold cited {cited} gold read first {first}")
            print(f"SUMMARY {variant:8} {name:9} {what} {right}/{n}{extra} first token p50 "
                  f"{1000 * statistics.median(firsts):.0f} ms answer p50 "
                  f"{1000 * statistics.median(totals):.0f} ms", flush=True)
    print(f"LOAD {Path('/proc/loadavg').read_text().strip()}", flush=True)


if __name__ == "__main__":
    main()
