"""Generators answer a question from retrieved hits, citing them by number."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from ..registry import Registry
from ..types import Answer, Hit


@runtime_checkable
class Generator(Protocol):
    name: str

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        """Answer ``question`` from ``hits``; ``[n]`` in the answer cites ``citations[n-1]``."""
        ...


@runtime_checkable
class StreamingGenerator(Protocol):
    """A generator that can hand out its answer's text as it writes it."""

    def stream(
        self, question: str, hits: Sequence[Hit], on_token: Callable[[str], None]
    ) -> Answer: ...


# Factories are called as ``factory(embedder=<the index's embedder>, **options)``.
generators: Registry[Generator] = Registry("generator")


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import echo, extractive, llm  # noqa: E402,F401
