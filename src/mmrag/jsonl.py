"""JSON-lines files as mmrag reads them (dev sets, image pairs, BEIR and QA datasets)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError

T = TypeVar("T")


def read_jsonl(path: Path, parse: Callable[[Any], T], expected: str,
               what: str = "file") -> Iterator[tuple[int, T]]:
    """(line number, ``parse(row)``) for each JSON value in ``path``, blank lines skipped.

    Lines are read one at a time, so a large corpus streams and a caller's own check of
    line N (naming N) comes before line N+1 is parsed. A line that is not JSON, or that
    ``parse`` rejects with KeyError, TypeError or ValueError, raises ConfigError
    ``PATH:N: expected EXPECTED, got 'LINE' (REASON)``.
    """
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = parse(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path}:{number}: expected {expected}, got "
                                  f"{line.rstrip()[:80]!r} ({exc})") from None
            yield number, value
