"""Retrievers: from a query to ranked hits, with every stage's score kept on each hit."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..stores.filters import Filter
from ..types import Hit


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]: ...
