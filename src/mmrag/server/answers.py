"""The streamed answer of POST /api/ask/stream, as Server-Sent Events.

``citations`` (the retrieved passages, numbered as the generator sees them) comes first, then
``token`` events with the answer's text as it is written (one event for generators that do not
stream), then ``done`` with ``Answer.to_dict()``, the answer to keep: an LLM's preview may be
replaced by its extractive fallback. A failure after the status line is an ``error`` event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from ..errors import MmragError
from ..types import Hit
from .statuses import error_body, status_of


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def answer_events(pipeline: Any, question: str, hits: list[Hit]) -> AsyncIterator[str]:
    """citations first, then the answer as tokens, then the final answer (see /docs)."""
    yield sse("citations", {"citations": [{"n": i, **h.to_dict()} for i, h in
                                          enumerate(hits, 1)]})
    async for kind, data in answer_stream(pipeline, question, hits):
        if kind == "token":
            yield sse("token", {"text": data})
        elif kind == "done":
            yield sse("done", data)
        else:
            yield sse("error", {"status": data["status"], "error": data["error"],
                                "detail": data["detail"]})


async def answer_stream(pipeline: Any, question: str, hits: list[Hit]
                        ) -> AsyncIterator[tuple[str, Any]]:
    """The answer made on a worker thread, as it is written: ("token", text)... (one for
    a generator that does not stream), then ("done", ``Answer.to_dict()``) or ("error",
    {"status", "error", "detail"}): the HTTP status line is sent by then."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any] | None] = asyncio.Queue()

    def put(item: tuple[str, Any] | None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        streamed = False

        def on_token(text: str) -> None:
            nonlocal streamed
            streamed = True
            put(("token", text))

        try:
            answer = pipeline.answer(question, hits, on_token=on_token)
            if not streamed:
                put(("token", answer.answer))
            put(("done", answer.to_dict()))
        except Exception as exc:  # reported in the stream: the status line is already sent
            body = error_body(exc) if isinstance(exc, MmragError) else {
                "error": "InternalError", "detail": "the answer could not be made"}
            put(("error", {"status": status_of(exc), **body}))
        finally:
            put(None)

    worker = loop.run_in_executor(None, work)
    while (item := await queue.get()) is not None:
        yield item
    await worker
