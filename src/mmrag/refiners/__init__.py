"""Refiners compress retrieved context to what the question needs before generation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..registry import Registry
from ..types import Hit


@runtime_checkable
class Refiner(Protocol):
    name: str

    def refine(self, question: str, hits: Sequence[Hit]) -> list[Hit]:
        """Return the hits with shortened text; ids, sources and spans stay, so citations
        still resolve."""
        ...


# Factories are called as ``factory(embedder=..., **options)``.
refiners: Registry[Refiner] = Registry("refiner")


class NoRefiner:
    name = "none"

    def __init__(self, **_: object):
        pass

    def refine(self, question: str, hits: Sequence[Hit]) -> list[Hit]:
        return list(hits)


refiners.register("none")(NoRefiner)

# Importing the built-in backends registers them.
from . import extractive  # noqa: E402,F401
