"""A deterministic stand-in transcriber for fast tests: it hears loudness, not words.

Each 5 s stretch whose RMS passes a threshold becomes a segment "sound at MM:SS", so tests
of decoding, grouping, time ranges and bad input run the real audio path without a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from . import AudioProgress, Segment, transcribers
from .audio import RATE, blocks, media_duration


class FakeTranscriber:
    name = "fake"

    def __init__(self, step_s: float = 5.0, threshold: float = 0.01):
        self.step_s = step_s
        self.threshold = threshold
        self.hints = ""  # kept, not heard: the fake hears loudness only

    def with_hints(self, hints: str) -> FakeTranscriber:
        hinted = FakeTranscriber(self.step_s, self.threshold)
        hinted.hints = hints
        return hinted

    def transcribe(
        self, path: Path, on_progress: AudioProgress | None = None
    ) -> Iterator[Segment]:
        total = media_duration(path)
        step = int(self.step_s * RATE)
        for offset, audio in blocks(path, block_s=60.0):
            for i in range(0, len(audio), step):
                piece = audio[i : i + step]
                if float(np.sqrt(np.mean(piece**2))) >= self.threshold:
                    start = offset + i / RATE
                    end = start + len(piece) / RATE
                    minutes, seconds = divmod(int(start), 60)
                    yield Segment(f"sound at {minutes:02d}:{seconds:02d}.", start, end, "en")
            if on_progress:
                on_progress(offset + len(audio) / RATE, total)


transcribers.register("fake")(FakeTranscriber)
