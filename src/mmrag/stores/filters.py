"""Metadata and modality filters, and their SQL form for stores that speak SQL (a glob as
a regex for those that do not)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import ConfigError
from ..types import MODALITIES


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def glob_to_like(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch in "%_\\":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The glob of ``Filter.source`` as LIKE reads it: ``*`` any run, ``?`` one character."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True)
class Filter:
    """Restrict a search: ``modalities`` any of, ``source`` a glob on the path as given,
    ``tags`` any of (set at ingest), ``after``/``before`` seconds: only timed items (audio,
    video) whose span overlaps that range."""

    modalities: tuple[str, ...] = ()
    source: str | None = None
    tags: tuple[str, ...] = ()
    after: float | None = None
    before: float | None = None

    def __post_init__(self) -> None:
        # lenient where intent is obvious: lists from the CLI or JSON become tuples
        object.__setattr__(self, "modalities", tuple(self.modalities))
        object.__setattr__(self, "tags", tuple(self.tags))
        for m in self.modalities:
            if m not in MODALITIES:
                raise ConfigError(f"unknown modality {m!r}; expected one of {list(MODALITIES)}")
        for name, value in (("after", self.after), ("before", self.before)):
            if value is not None and not math.isfinite(value):
                raise ConfigError(f"expected a finite number of seconds for {name}, got {value}")
        if self.after is not None and self.before is not None and self.after > self.before:
            raise ConfigError(f"expected after <= before, got {self.after} > {self.before}")
        for tag in self.tags:
            if not tag or "," in tag:
                raise ConfigError(f"a tag is a non-empty word without commas, got {tag!r}")

    def sql(self) -> str | None:
        clauses = []
        if self.modalities:
            clauses.append("modality IN (" + ", ".join(quote(m) for m in self.modalities) + ")")
        if self.source:
            like = quote(glob_to_like(self.source))
            clauses.append(f"(source LIKE {like} ESCAPE '\\' OR path LIKE {like} ESCAPE '\\')")
        if self.tags:
            # tags are stored as ",a,b," so that one LIKE matches a whole tag
            clauses.append("(" + " OR ".join(
                f"tags LIKE {quote('%,' + glob_to_like(t) + ',%')} ESCAPE '\\'" for t in self.tags
            ) + ")")
        if self.after is not None:
            clauses.append(f"`end` >= {float(self.after)}")
        if self.before is not None:
            clauses.append(f"`start` <= {float(self.before)}")
        return " AND ".join(clauses) or None
