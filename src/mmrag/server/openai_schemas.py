"""Request bodies of the OpenAI-compatible ``/v1`` endpoints.

Unlike ``/api`` these accept unknown keys: OpenAI clients send options (``temperature``,
``top_p``, ``user``, ``stream_options``...) that mean nothing to a retrieval answerer, and a
client that cannot be told to leave them out must still be served. mmrag's own options
(``k``, ``role``) are extra fields that such clients pass with ``extra_body``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChatMessage(Lenient):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    # a string, or parts: {"type": "text", "text": ...} and {"type": "image_url",
    # "image_url": {"url": "data:image/png;base64,..."}}
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(Lenient):
    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    k: int = Field(5, ge=1, le=50, strict=True, description="passages to cite (mmrag)")


class EmbeddingRequest(Lenient):
    model: str = Field(min_length=1, max_length=200)
    input: str | list[str] | list[int] | list[list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    role: Literal["query", "passage"] = Field(
        "passage", description="mmrag: embed as a search query or as a passage to index")
