"""One function per subcommand, grouped by what they do; each imports its heavy parts when run."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .connect import cmd_mcp, cmd_watch
from .eval import cmd_eval
from .index import cmd_delete, cmd_doctor, cmd_ingest, cmd_sample, cmd_sources
from .learn import cmd_align, cmd_tune
from .query import cmd_ask, cmd_chat, cmd_search
from .serve import cmd_serve
from .vocab import cmd_vocab

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest,
    "search": cmd_search,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "delete": cmd_delete,
    "sources": cmd_sources,
    "doctor": cmd_doctor,
    "tune": cmd_tune,
    "align": cmd_align,
    "eval": cmd_eval,
    "serve": cmd_serve,
    "sample": cmd_sample,
    "vocab": cmd_vocab,
    "mcp": cmd_mcp,
    "watch": cmd_watch,
}
