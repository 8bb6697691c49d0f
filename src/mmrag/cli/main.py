"""The mmrag command line. Kept free of heavy imports so that ``mmrag --help`` is instant:
the parser is in :mod:`.parser`, the commands in :mod:`.commands`, each importing the
library's heavy parts when it runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import MmragError
from .commands import COMMANDS
from .parser import build_parser

__all__ = ["build_parser", "main"]


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
