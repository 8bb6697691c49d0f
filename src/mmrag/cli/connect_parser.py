"""The flags of the commands that plug mmrag into other tools: ``serve``'s collections and
watched folders, ``mmrag mcp`` and ``mmrag watch``. Imports nothing heavy, as :mod:`.parser`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

INDEXES = "DIR|NAME=DIR"


def collection_flags(parser: argparse.ArgumentParser) -> None:
    """Several indexes by name (``--index`` repeated or ``--collections``), chosen per
    request; :func:`mmrag.cli.commands.connect.open_collections` reads them back."""
    parser.add_argument("--collections", metavar="DIR", type=Path, default=None,
                        help="serve every index in DIR's subfolders, each as a collection "
                        "named by its folder (with --index NAME=DIR, both)")
    parser.add_argument("--allow-path", action="append", default=[], type=Path, metavar="DIR",
                        help="server-side folder that clients may ask to ingest (repeatable)")
    parser.add_argument("--allow-delete", action="store_true",
                        help="offer MCP clients the delete tool (off by default)")


def serve_flags(parser: argparse.ArgumentParser) -> None:
    collection_flags(parser)
    parser.add_argument("--watch", action="append", default=[], metavar="[NAME=]DIR",
                        help="keep DIR indexed as it changes, into collection NAME (default: "
                        "the first) (repeatable)")


def add_commands(sub: Any, common: Callable[..., argparse.ArgumentParser],
                 stages: Callable[[argparse.ArgumentParser, bool], None]) -> None:
    p = sub.add_parser("mcp", parents=[common(indexes=True)],
                       help="an MCP server over stdio: search, ask, ingest, sources tools")
    collection_flags(p)
    stages(p, True)

    p = sub.add_parser("watch", parents=[common(True)],
                       help="keep folders indexed as files are created, changed, moved or "
                       "deleted")
    p.add_argument("paths", nargs="+", metavar="DIR", type=Path, help="folders to watch")
    p.add_argument("--debounce-ms", type=int, default=300,
                   help="quiet time that ends a burst of changes, in ms (default 300)")
    p.add_argument("--once", action="store_true",
                   help="sync the folders once and exit (no watching)")
