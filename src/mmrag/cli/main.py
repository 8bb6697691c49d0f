"""The mmrag command line. Kept free of heavy imports so that ``mmrag --help`` is instant:
the parser is in :mod:`.parser`, the commands in :mod:`.commands`, each importing the
library's heavy parts when it runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import MmragError, explain
from .commands import COMMANDS
from .parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    from .environment import thread_defaults  # (its config import is not for --help)

    thread_defaults(os.environ)  # before any command loads a model
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("mmrag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `mmrag sources --json | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if os.environ.get("MMRAG_DEBUG") and not isinstance(exc, MmragError):
            raise
        error = explain(exc)
        print(f"mmrag: error: {error}", file=sys.stderr)
        return error.exit_code
