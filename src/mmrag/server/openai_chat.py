"""What an OpenAI chat request asks mmrag: the question, the history, an image; and the
answer back in OpenAI's shapes (a completion, or its stream of chunks).

The last user message is the question; earlier user messages are the history a follow-up
leans on (:func:`mmrag.chat.standalone` makes the searched query, as ``mmrag chat`` does).
System and assistant turns are not searched. An ``image_url`` part holding a data URL is an
image query; the server fetches no URL. The answer keeps its ``[n]`` markers, and
``citations`` (``Answer.to_dict()``'s) is an extra field OpenAI clients ignore.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..chat import standalone
from ..errors import ConfigError
from ..text.valid import valid_text
from . import uploads
from .openai_schemas import ChatMessage

MAX_QUESTION = 2000  # as /api/ask
IMAGE_SUFFIXES = {".png", ".jpg", ".gif", ".webp"}


@dataclass(frozen=True)
class ChatQuery:
    question: str  # the last user message's text
    query: str  # what is searched: the question made standalone from the history
    image: bytes | None = None


def _text_and_image(message: ChatMessage, at: int) -> tuple[str, bytes | None]:
    if message.content is None or isinstance(message.content, str):
        return message.content or "", None
    texts, image = [], None
    for part in message.content:
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image_url":
            if image is not None:
                raise ConfigError(f"messages[{at}]: one image per question, got more")
            url = part.get("image_url", {})
            image = data_url_bytes(url.get("url", "") if isinstance(url, dict) else str(url), at)
        else:
            raise ConfigError(f"messages[{at}]: content part type {kind!r} is not supported "
                              "(expected 'text' or 'image_url')")
    return " ".join(t for t in texts if t), image


def data_url_bytes(url: str, at: int) -> bytes:
    head, sep, data = url.partition(",")
    if not url.startswith("data:") or not sep or not head.endswith(";base64"):
        raise ConfigError(f"messages[{at}]: image_url must be a base64 data URL "
                          "('data:image/png;base64,...'); the server fetches no URL")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"messages[{at}]: the image's data URL is not valid base64") from None


def read_chat(messages: list[ChatMessage]) -> ChatQuery:
    users = [(i, m) for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ConfigError("messages: no user message to answer (the last user message is "
                          "the question)")
    history: list[str] = []
    for at, message in users[:-1]:
        text = _text_and_image(message, at)[0].strip()
        if text:
            history.append(standalone(text, history))
    at, last = users[-1]
    question, image = _text_and_image(last, at)
    question = valid_text(question.strip(), f"messages[{at}]")
    if len(question) > MAX_QUESTION:
        raise ConfigError(f"messages[{at}]: the question is {len(question)} characters; at "
                          f"most {MAX_QUESTION}")
    if not question and image is None:
        raise ConfigError(f"messages[{at}]: the last user message is empty")
    return ChatQuery(question, standalone(question, history) if question else "", image)


@contextmanager
def image_file(data: bytes, max_bytes: int) -> Iterator[Path]:
    """The query image in a temporary file (checked as an upload is), gone after use."""
    with tempfile.TemporaryDirectory(prefix="mmrag-query-") as tmp:
        yield uploads.save("image", io.BytesIO(data), Path(tmp), max_bytes, IMAGE_SUFFIXES)


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(model: str, answer: dict[str, Any], query: str) -> dict[str, Any]:
    return {
        "id": completion_id(), "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": answer["answer"]}}],
        "citations": answer["citations"],
        "mmrag": {"query": query, "generator": answer["generator"], "notes": answer["notes"]},
    }


class Chunks:
    """``chat.completion.chunk`` events of one streamed completion, as SSE lines."""

    def __init__(self, model: str):
        self.id, self.model, self.created = completion_id(), model, int(time.time())

    def event(self, delta: dict[str, Any], finish: str | None = None,
              **extra: Any) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
