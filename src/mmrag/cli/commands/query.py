"""search, ask and chat: the commands that read the index, all through one filter."""

from __future__ import annotations

import argparse
import sys

from ...errors import ConfigError
from ...text.valid import valid_text
from ..parser import where
from ..shared import emit, open_pipeline


def spoken(args: argparse.Namespace, typed: str | None) -> str:
    """The query text: typed, or transcribed from --audio (echoed to stderr)."""
    if args.audio is None:
        if not typed or not typed.strip():
            raise ConfigError("expected a query, or --audio FILE with a spoken one")
        return valid_text(typed, "the query")
    if typed:
        raise ConfigError("give either a query or --audio FILE, not both")
    from ...errors import IngestError
    from ...speech import transcribe_text

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


def cmd_search(args: argparse.Namespace) -> int:
    import os

    from .. import render, via_server

    served = via_server.search(args, os.environ)
    if served is not None:  # a running `mmrag serve` on this index answered
        emit(args, served, render.hits([via_server.hit_of(h) for h in served]))
        return 0
    rag = open_pipeline(args)
    filters = where(args)
    if args.mesh is not None:
        if args.image is not None or args.audio is not None or args.query:
            raise ConfigError("search --mesh FILE takes no query text, --audio or --image")
        found = rag.search_mesh(args.mesh, args.k or 10, where=filters)
    elif args.image is not None:
        if args.audio is not None:
            raise ConfigError("search takes a query text or --audio FILE, not both with --image")
        found = rag.search_image(args.image, args.k or 10, where=filters, text=args.query)
    else:
        query = spoken(args, args.query)
        found = rag.search(query, args.k or 10, where=filters, strategy=args.strategy,
                           min_relevance=args.min_relevance)
    from ...loaders.pdf_pages import with_thumbs

    found = with_thumbs(found)  # the cited pages' pictures, rendered once when first cited
    emit(args, [h.to_dict() for h in found], render.hits(found))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .. import render

    question = spoken(args, args.question)
    rag = open_pipeline(args)
    result = rag.ask(question, args.k or 5, where=where(args), strategy=args.strategy,
                     min_relevance=args.min_relevance)
    from ...loaders.pdf_pages import with_thumbs

    result.citations = with_thumbs(result.citations)
    emit(args, result.to_dict(), render.answer(result))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from ...chat import Conversation
    from .. import render

    conversation = Conversation(open_pipeline(args), k=args.k or 5, where=where(args),
                                min_relevance=args.min_relevance, rewrite=args.rewrite)
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
