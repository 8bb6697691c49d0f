"""serve: the HTTP API and web page over one index."""

from __future__ import annotations

import argparse
import sys

from ..shared import open_pipeline


def cmd_serve(args: argparse.Namespace) -> int:
    from ...server import Settings, serve
    from ...server.security import check_bind

    settings = Settings.from_env(
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        allowed_paths=tuple(p.expanduser().resolve() for p in args.allow_path),
        cors_origins=tuple(args.cors_origin),
    )
    check_bind(args.host, settings.token)
    rag = open_pipeline(args, create=True)
    print(f"mmrag: serving {rag.index_dir} on http://{args.host}:{args.port}/ "
          f"(API docs at /docs)", file=sys.stderr)
    serve(rag, settings, host=args.host, port=args.port)
    return 0
