"""The answer when the indexed sources hold nothing relevant, in the question's language."""

from __future__ import annotations

from ..text.tokenize import language
from ..types import Answer

NOT_FOUND = {
    "en": "The indexed sources do not say.",
    "zh": "索引中的资料没有提到这一点。",
}


def abstention(question: str, generator: str) -> Answer:
    """An answer that cites nothing and says the sources do not hold the answer."""
    text = NOT_FOUND[language(question)]
    return Answer(text, [], generator, notes=["no indexed source is relevant to the question"])
