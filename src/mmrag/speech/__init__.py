"""Speech becomes timed text: the transcriber role, and grouping segments into passages.

A transcriber turns one audio (or video) file into :class:`Segment` s with times in seconds
from the start of the file. Loaders group consecutive segments into passages of about
``window_s`` seconds (or ``max_words`` words) so a chunk keeps one time range to cite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..registry import Registry

# (seconds of audio done, seconds in all or None when the container does not say)
AudioProgress = Callable[[float, "float | None"], None]


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    # how sure the model was of the word (whisper's word probability), None if unknown
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, times in seconds from the start of the file."""

    text: str
    start: float
    end: float
    language: str | None = None
    words: tuple[Word, ...] = field(default=())


@runtime_checkable
class Transcriber(Protocol):
    name: str

    def transcribe(
        self, path: Path, on_progress: AudioProgress | None = None
    ) -> Iterator[Segment]:
        """Stream the segments of ``path`` in time order; raise IngestError on bad media."""
        ...


@runtime_checkable
class HintedTranscriber(Protocol):
    """A transcriber that can be told the names a recording may say (an index's
    vocabulary, :mod:`mmrag.vocab`), e.g. as whisper's hotwords."""

    def with_hints(self, hints: str) -> Transcriber:
        """A transcriber like this one that expects the words of ``hints``."""
        ...


transcribers: Registry[Transcriber] = Registry("transcriber")

DEFAULT_TRANSCRIBER = "whisper"


def group(
    segments: Iterable[Segment], window_s: float = 30.0, max_words: int = 120
) -> Iterator[list[Segment]]:
    """Consecutive segments, cut when a group would pass ``window_s`` or ``max_words``.

    ~30 s (~75 spoken English words) keeps a passage about one thought and under the
    chunker's 200 tokens, so each chunk keeps exactly its group's time range.
    """
    current: list[Segment] = []
    words = 0
    for seg in segments:
        n = len(seg.text.split()) or 1
        if current and (seg.end - current[0].start > window_s or words + n > max_words):
            yield current
            current, words = [], 0
        current.append(seg)
        words += n
    if current:
        yield current


def join_text(segments: Iterable[Segment]) -> str:
    text = ""
    for seg in segments:
        piece = seg.text.strip()
        if not piece:
            continue
        # CJK transcripts have no spaces between segments
        if text and not (_is_cjk(text[-1]) and _is_cjk(piece[0])):
            text += " "
        text += piece
    return text


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def transcribe_text(path: Path, transcriber: str = DEFAULT_TRANSCRIBER) -> str:
    """The whole transcript of a short recording, e.g. a spoken query."""
    return join_text(transcribers.create(transcriber).transcribe(path))


# Importing the built-in backends registers them; their heavy imports are lazy.
from . import fake, whisper  # noqa: E402,F401
