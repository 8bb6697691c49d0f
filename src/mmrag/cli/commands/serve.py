"""serve: the HTTP API and web page over one index, or several as named collections."""

from __future__ import annotations

import argparse
import sys
import threading

from .connect import open_collections, watch_in_background


def cmd_serve(args: argparse.Namespace) -> int:
    from ...server import Settings, serve
    from ...server.security import check_bind

    settings = Settings.from_env(
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        allowed_paths=tuple(p.expanduser().resolve() for p in args.allow_path),
        cors_origins=tuple(args.cors_origin),
        mcp_delete=args.allow_delete,
    )
    check_bind(args.host, settings.token or bool(settings.grants))
    pipelines = open_collections(args, create=True)
    rag = next(iter(pipelines.values()))
    names = ", ".join(f"{n} ({p.index_dir})" for n, p in pipelines.items())
    print(f"mmrag: serving {names} on http://{args.host}:{args.port}/ "
          f"(API docs at /docs, OpenAI API at /v1, MCP at /mcp)", file=sys.stderr)
    stop = threading.Event()
    if args.watch:
        watch_in_background(pipelines, args.watch, stop)
    try:
        serve(rag, settings, host=args.host, port=args.port, collections=pipelines)
    finally:
        stop.set()
    return 0
