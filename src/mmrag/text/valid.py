"""Text from outside (a query typed, sent or read from bytes) checked once at the edges."""

from __future__ import annotations

import re

from ..errors import ConfigError

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str, what: str = "the text") -> str:
    """``text`` if it can be encoded, else a ConfigError naming the first bad character
    (a lone surrogate from JSON ``\\ud800`` or from command-line bytes that are not UTF-8)."""
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise ConfigError(
            f"{what} holds a character that is not text (a lone surrogate "
            f"U+{ord(bad.group()):04X} at position {bad.start()}): send UTF-8")
    return text
