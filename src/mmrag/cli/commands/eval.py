"""eval: measure retrieval or answers on a dataset, in an index of its own."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_eval(args: argparse.Namespace) -> int:
    import tempfile

    from ...evaluation import report
    from ...evaluation.datasets import detect
    from ...evaluation.images import run_captions, run_classes
    from ...evaluation.runner import EvalConfig, run_beir, run_qa
    from ..progress import StageBars
    from ..shared import use_query_engine

    use_query_engine(args)

    data = detect(args.dataset, args.corpus, args.split, args.captions)
    config = EvalConfig(
        strategies=[s for s in (args.strategies or (
            "shared,text,average,fusion" if data.kind == "captions"
            else "hybrid,fusion,text,average,hybrid-rrf" if data.kind == "mixed"
            else "hybrid,hybrid-rrf,dense,bm25"
        )).split(",") if s],
        generators=[g for g in args.generators.split(",") if g],
        limit=args.limit, corpus_limit=args.corpus_limit, seed=args.seed,
        embedder=args.embedder, store=args.store,
        align_pairs=_eval_pairs(args) if args.align else (),
        transcriber=args.transcriber,
        noise_rates=[float(r) for r in args.noise_rates.split(",") if r],
    )
    bars = StageBars()
    progress = None if args.no_progress else bars

    with tempfile.TemporaryDirectory(prefix="mmrag-eval-") as tmp:
        index = args.index or Path(tmp) / "index"
        workdir = Path(f"{args.index}-corpus") if args.index else Path(tmp)
        try:
            if data.kind == "beir":
                results = run_beir(data, index, workdir, config, progress)
            elif data.kind == "mixed":
                from ...evaluation.mixed import run_mixed

                results = run_mixed(data, index, config, progress)
            elif data.kind == "qa":
                results = run_qa(data, index, config, progress)
            elif data.kind == "rgb":
                from ...evaluation.rgb import run_rgb

                results = run_rgb(data, index, config, progress)
            elif data.kind == "captions":
                results = run_captions(data, index, workdir, config, progress)
            else:
                results = run_classes(data, index, workdir, config, progress)
        finally:
            bars.close()
    written = report.write(results, args.out)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(report.terminal_table(results))
        print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _eval_pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``eval --align``: a pairs file/folder, or split lists of the evaluated Flickr folder."""
    from ...align import read_pairs

    given = Path(args.align)
    if given.exists():
        return read_pairs(given)
    return read_pairs(args.dataset, args.captions or "flickr8kenc", args.align)
