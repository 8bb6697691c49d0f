"""Change-to-searchable latency of a watched folder (``mmrag watch`` / ``serve --watch``).

A folder of N text files is watched; each round writes (or edits) one file holding a fresh
word and times until a search for that word finds it. Reported: median and p90 seconds, with
the debounce (the quiet that ends a burst) as a parameter, since it is a floor on latency.

    PYTHONPATH=src python3 benchmarks/bench_watch.py --files 200 --rounds 20 --embedder hash
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from mmrag.ingest.watch import watch
from mmrag.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--debounce-ms", type=int, default=300)
    parser.add_argument("--embedder", default="hash")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "folder"
        root.mkdir()
        for i in range(args.files):
            (root / f"note{i:04}.txt").write_text(f"note {i} about the weather in town {i % 31}",
                                                  encoding="utf-8")
        rag = Pipeline.open(Path(tmp) / "index", embedder=args.embedder, create=True)
        stop, ready = threading.Event(), threading.Event()
        thread = threading.Thread(target=watch, args=(rag, [root]), daemon=True, kwargs={
            "debounce_ms": args.debounce_ms, "stop": stop, "on_sync": lambda r: ready.set()})
        thread.start()
        ready.wait(600)
        seconds = []
        for n in range(args.rounds):
            word = f"zqx{n}marker"
            target = root / (f"note{n:04}.txt" if n % 2 else f"new{n:04}.txt")  # edit / create
            started = time.perf_counter()
            target.write_text(f"this note now mentions {word} once", encoding="utf-8")
            # every round's file shares the other words: look deep enough to see this one
            while not any(h.source.endswith(target.name)
                          for h in rag.search(word, args.rounds + 5)):
                time.sleep(0.01)
            seconds.append(time.perf_counter() - started)
        stop.set()
        thread.join(30)
    seconds.sort()
    p90 = seconds[int(0.9 * (len(seconds) - 1))]
    print(f"files={args.files} rounds={args.rounds} debounce_ms={args.debounce_ms} "
          f"embedder={args.embedder}: median {statistics.median(seconds):.2f} s, "
          f"p90 {p90:.2f} s, max {seconds[-1]:.2f} s")


if __name__ == "__main__":
    main()
