"""Speech recordings become timed transcript passages (wav, mp3, flac, ogg, m4a, opus)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import NoContentError
from ..speech import group, join_text, transcribers
from ..types import Section, Span
from . import LoadContext, loaders


def transcript_sections(
    path: Path, context: LoadContext, modality: str = "audio"
) -> list[Section]:
    """One section per ~30 s group of segments, spanning first start to last end."""
    transcriber = transcribers.create(context.transcriber)
    segments = transcriber.transcribe(path, on_progress=context.on_progress)
    sections = []
    for run in group(segments):
        text = join_text(run)
        if not text:
            continue
        meta = {"language": run[0].language} if run[0].language else {}
        span = Span(start=round(run[0].start, 2), end=round(run[-1].end, 2))
        sections.append(Section(text=text, span=span, modality=modality, meta=meta))
    return sections


class AudioLoader:
    name = "audio"
    extensions: tuple[str, ...] = (".wav", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".opus")
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]:
        context = context or LoadContext()
        sections = transcript_sections(path, context)
        if not sections:
            raise NoContentError(str(path), "no speech found (empty transcript)")
        return sections


loaders.register("audio")(AudioLoader)
