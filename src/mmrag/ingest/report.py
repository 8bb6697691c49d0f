"""What an ingest run did, file by file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ProgressCallback = Callable[[int, int, str], None]
# (source, units done, units in all or None) within one long file: seconds for audio
FileProgressCallback = Callable[[str, float, "float | None"], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # files that were read fine and recorded, but hold nothing to index (silence)
    notes: list[tuple[str, str]] = field(default_factory=list)
    chunks: int = 0
    recovered: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when there was input and none of it could be ingested."""
        return bool(self.errors) and not (self.added or self.updated or self.unchanged)

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unsupported": self.unsupported,
            "errors": [{"source": s, "error": e} for s, e in self.errors],
            "notes": [{"source": s, "note": n} for s, n in self.notes],
            "chunks": self.chunks,
            "recovered": self.recovered,
            "seconds": round(self.seconds, 3),
        }
