"""Rerankers reorder retrieved hits, adding their own score to each hit's stage scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..registry import Registry
from ..types import Hit


@runtime_checkable
class Reranker(Protocol):
    name: str

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]: ...


# Factories are called as ``factory(embedder=..., store=..., **options)``.
rerankers: Registry[Reranker] = Registry("reranker")


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import cross_encoder, llm, mmr  # noqa: E402,F401
