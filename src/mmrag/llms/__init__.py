"""LLM backends: text (and image) in, text out. Generators and the LLM reranker use them.

Every backend speaks the OpenAI-compatible HTTP API: a remote server (vLLM, Ollama,
llama.cpp server, hosted APIs) or mmrag's local llama.cpp server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..registry import Registry


@dataclass(frozen=True)
class Message:
    """One chat turn; ``images`` are file paths sent to vision models."""

    role: str
    content: str
    images: tuple[str, ...] = ()


@runtime_checkable
class LLM(Protocol):
    name: str

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text as it is produced. A base model (no chat template) reads
        the concatenated contents as one completion prompt."""
        ...


@runtime_checkable
class TokenScorer(Protocol):
    """A backend that can say how likely each candidate first token of a reply is (an
    OpenAI-style ``top_logprobs``): a small model's yes/no is a graded confidence then, not a
    coin it has already tossed."""

    def first_token_logprobs(
        self, messages: Sequence[Message], *, top: int = 10, timeout: float | None = None
    ) -> dict[str, float]:
        """The ``top`` likeliest first tokens of the reply and their natural-log
        probabilities; raises :class:`~mmrag.llms.openai_http.LogprobsUnavailable` when the
        server gives none."""
        ...


def complete(llm: LLM, messages: Sequence[Message], **options: object) -> str:
    return "".join(llm.stream(messages, **options))  # type: ignore[arg-type]


llms: Registry[LLM] = Registry("llm")


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import llamacpp, openai_http  # noqa: E402,F401
