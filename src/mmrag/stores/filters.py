"""Metadata and modality filters, and their SQL form for stores that speak SQL."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Filter:
    """Restrict a search: ``modalities`` any of, ``source`` a glob on the path as given."""

    modalities: tuple[str, ...] = ()
    source: str | None = None

    def __post_init__(self) -> None:
        for m in self.modalities:
            if m not in MODALITIES:
                raise ConfigError(f"unknown modality {m!r}; expected one of {list(MODALITIES)}")

    def sql(self) -> str | None:
        clauses = []
        if self.modalities:
            clauses.append("modality IN (" + ", ".join(quote(m) for m in self.modalities) + ")")
        if self.source:
            like = quote(glob_to_like(self.source))
            clauses.append(f"(source LIKE {like} ESCAPE '\\' OR path LIKE {like} ESCAPE '\\')")
        return " AND ".join(clauses) or None
