"""The data that flows through mmrag: chunks going in, hits and answers coming out.

There is one result type, :class:`Hit`, whatever the configuration: the CLI, the server and
the evaluations all explain a ranking from the same fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MODALITIES = ("text", "image", "audio", "video", "mesh")
# the modalities whose chunks are transcripts of speech (they alone have sound-alike keys)
SPOKEN = ("audio", "video")


@dataclass(frozen=True)
class Span:
    """Where in its source a chunk lies: a page, a time range in seconds, a region."""

    page: int | None = None
    start: float | None = None
    end: float | None = None
    region: tuple[float, float, float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def label(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p.{self.page}")
        if self.start is not None:
            end = self.end if self.end is not None else self.start
            parts.append(f"{_clock(self.start)}-{_clock(end)}")
        return " ".join(parts)


def _clock(seconds: float) -> str:
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


@dataclass(frozen=True)
class Content:
    """One input to an embedder: text, or a file of another modality.

    For a file, ``text`` may carry text found in or with it (an image's OCR text), which a
    multimodal embedder can blend into the file's vector.
    """

    modality: str = "text"
    text: str | None = None
    path: str | None = None
    # the image model's output for this image when ingest already has it (a
    # ``vision.encoder.Encoded`` of one row), so the embedder does not run it again
    encoded: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of_text(cls, text: str) -> Content:
        return cls("text", text=text)


@dataclass(frozen=True)
class Section:
    """A piece of a source as a loader reads it, before chunking (a page, a file's text)."""

    text: str
    span: Span = Span()
    modality: str = "text"
    # Carried to every chunk of the section and stored with it (a transcript's language,
    # an image's path, labels and OCR text).
    meta: dict[str, Any] = field(default_factory=dict)
    # An image's (or a 3D model's views') image-model output, computed by the loader for
    # its labels and handed to the embedder; never stored.
    encoded: Any = field(default=None, compare=False, repr=False)
    # The loader cut it into one retrievable unit already (a table's row group with its
    # header, a PDF window located on its page): the chunker keeps it whole.
    chunked: bool = False


@dataclass(frozen=True)
class Chunk:
    """One retrievable unit, ready to embed and store."""

    id: str
    source: str
    text: str
    modality: str = "text"
    span: Span = Span()
    index: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    encoded: Any = field(default=None, compare=False, repr=False)  # as Section.encoded


@dataclass(frozen=True)
class Hit:
    """One search result, with the per-stage scores that produced its rank.

    Immutable: a stage that rescores a hit makes a new one (``dataclasses.replace``) with
    its own score added to ``scores``, so an earlier stage's list is never changed."""

    id: str
    score: float
    source: str
    text: str
    modality: str = "text"
    span: Span = Span()
    scores: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "score": self.score,
            "modality": self.modality,
            "source": self.source,
            "span": self.span.to_dict(),
            "text": self.text,
            "scores": dict(self.scores),
            "meta": dict(self.meta),
        }


@dataclass
class Answer:
    """An answer with numbered citations: ``[n]`` in the text is ``citations[n-1]``."""

    answer: str
    citations: list[Hit]
    generator: str
    notes: list[str] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [{"n": i, **hit.to_dict()} for i, hit in enumerate(self.citations, 1)],
            "generator": self.generator,
            "notes": list(self.notes),
            "stats": dict(self.stats),
        }
