"""A fake generator for tests: answers with the first hit's text, cited as [1]."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import Answer, Hit
from . import generators


class EchoGenerator:
    name = "echo"

    def __init__(self, embedder: object = None):
        self.embedder = embedder

    def generate(self, question: str, hits: Sequence[Hit]) -> Answer:
        if not hits:
            return Answer("No indexed passage matches the question.", [], self.name)
        return Answer(f"{hits[0].text} [1]", [hits[0]], self.name)


generators.register("echo")(EchoGenerator)
