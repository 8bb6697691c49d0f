"""ingest, delete, sources and sample: the commands that fill the index and list it."""

from __future__ import annotations

import argparse
import sys

from ...errors import MmragError
from ..shared import emit, open_pipeline


def cmd_ingest(args: argparse.Namespace) -> int:
    from .. import render
    from ..progress import IngestBars
    from .vocab import apply_ingest_flags

    if args.ray and args.retranscribe:
        raise MmragError("--retranscribe runs without --ray (it redoes a few recordings)")
    rag = open_pipeline(args, create=True)
    apply_ingest_flags(args, rag.index_dir)
    bars = None if args.no_progress else IngestBars()
    try:
        if args.ray:
            from ...distributed import ray_ingest

            result = ray_ingest(rag, args.paths, transcriber=args.transcriber, tags=args.tags)
        else:
            result = rag.ingest(
                args.paths, on_progress=bars.files if bars else None,
                on_file_progress=bars.recording if bars else None,
                transcriber=args.transcriber, batch_chunks=args.batch_chunks, tags=args.tags,
                retranscribe=args.retranscribe,
            )
    finally:
        if bars is not None:
            bars.close()
    for source, note in result.notes:
        print(f"mmrag: note: {source}: {note}", file=sys.stderr)
    for source, error in result.errors:
        print(f"mmrag: error: {source}: {error}", file=sys.stderr)
    emit(args, result.to_dict(), render.report(result))
    return 1 if result.failed else 0


def cmd_delete(args: argparse.Namespace) -> int:
    rag = open_pipeline(args)
    gone = rag.delete(args.path)
    if not gone:
        raise MmragError(f"{args.path}: not in the index (see `mmrag sources`)")
    chunks = sum(r.chunks for r in gone)
    data = {"deleted": [r.source for r in gone], "chunks": chunks}
    emit(args, data, f"deleted {len(gone)} file(s), {chunks} chunks")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    rag = open_pipeline(args)
    records = rag.sources()
    lines = [f"{r.chunks:>6}  {r.loader:<6} {r.source}" for r in records]
    lines.append(f"{len(records)} files, {sum(r.chunks for r in records)} chunks")
    calibration = rag.calibration()
    if calibration:
        spaces = ", ".join(f"{s} {b.count} ({len(b.vectors)} sampled)"
                           for s, b in sorted(calibration.spaces.items()))
        lines.append(f"relevance calibrated on {spaces}; floor {rag.floor:g}")
    emit(args, [r.__dict__ for r in records], "\n".join(lines))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """0: healthy or all repaired; 3: problems left (each printed with what to do)."""
    from ...doctor import examine
    from ...index import default_index_dir

    index = args.index or default_index_dir()
    found = examine(index, repair=args.repair)
    lines = [f"{'repaired' if f.repaired else 'problem'}: {f.problem}\n  -> {f.advice}"
             for f in found] or [f"{index}: no problems found"]
    emit(args, {"index": str(index), "findings": [f.to_dict() for f in found]},
         "\n".join(lines))
    return 0 if all(f.repaired for f in found) else 3


def cmd_sample(args: argparse.Namespace) -> int:
    from ...sample import write_sample

    written = write_sample(args.dir)
    if not args.text_only:
        from ...sample.build import write_multimodal

        made, skipped = write_multimodal(args.dir)
        written += made
        for name, why in skipped.items():
            print(f"skipped {name}: {why}")
    print(f"wrote {len(written)} sample files to {args.dir}")
    return 0
