"""Videos: the audio track through the speech path, plus key frames with their times.

Until an image embedder is configured, frames are not indexed as items of their own
(a text embedder would make them searchable noise); each transcript chunk lists the
frames that fall in its time range in ``meta["frames"]``. With an embedder that reads
images, each frame is also an ``image`` item spanning its own timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ..errors import NoContentError
from ..speech.audio import has_audio
from ..types import Section, Span, _clock
from . import LoadContext, loaders
from .audio import transcript_sections
from .keyframes import Frame, keyframes


class VideoLoader:
    name = "video"
    extensions: tuple[str, ...] = (".mp4", ".mkv", ".webm", ".mov")
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> Iterable[Section]:
        context = context or LoadContext()
        frames = keyframes(path, context.media_dir) if context.media_dir else []
        speech = transcript_sections(path, context, "video") if has_audio(path) else []
        sections = _attach(speech, frames)
        if "image" in context.modalities:
            sections += [
                Section(
                    text=f"video frame at {_clock(f.time)}",
                    span=Span(start=f.time, end=f.time),
                    modality="image",
                    meta={"path": str(f.path)},
                )
                for f in frames
            ]
        if not sections:
            kept = f"; {len(frames)} key frames kept in {context.media_dir}" if frames else ""
            raise NoContentError(str(path), f"no speech found (empty transcript){kept}")
        return sections


def _attach(sections: list[Section], frames: list[Frame]) -> list[Section]:
    """Give each frame to the transcript section nearest in time, so none is dropped."""
    if not sections or not frames:
        return sections
    owned: list[list[dict[str, object]]] = [[] for _ in sections]
    for f in frames:
        best = min(range(len(sections)), key=lambda i: _distance(sections[i].span, f.time))
        owned[best].append({"t": f.time, "path": str(f.path)})
    return [
        replace(s, meta={**s.meta, "frames": mine}) if mine else s
        for s, mine in zip(sections, owned, strict=True)
    ]


def _distance(span: Span, t: float) -> float:
    start = span.start or 0.0
    end = span.end if span.end is not None else start
    return 0.0 if start <= t <= end else min(abs(t - start), abs(t - end))


loaders.register("video")(VideoLoader)
