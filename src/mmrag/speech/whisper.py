"""faster-whisper (CTranslate2) transcription: whisper-base, int8 on the CPU.

Audio is fed in blocks of ``block_s`` seconds from :mod:`.audio`, so memory stays bounded
whatever the length; each block is transcribed with the voice activity filter (silence is
skipped, not hallucinated over) and word timestamps, then shifted by its offset. The
speech of a block is packed into 30 s windows decoded ``batch_size`` at a time
(faster-whisper's batched pipeline: an ingest's CPU time 0.81x the sequential decoder's
on 2 cores, WER unchanged; docs/benchmarks.md). The language is detected on the first
block with speech and kept for the rest of the file, so a long recording does not flip
language between blocks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from copy import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._lazy import require
from . import AudioProgress, Segment, Word, transcribers
from .audio import RATE, blocks, media_duration


@lru_cache(maxsize=2)
def _load(model_dir: str, compute_type: str, cpu_threads: int) -> Any:
    fw = require("faster_whisper", extra="audio", purpose="speech transcription")
    return fw.WhisperModel(
        model_dir, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
    )


def _default_threads() -> int:
    return min(os.cpu_count() or 1, 4)


class WhisperTranscriber:
    name = "whisper"

    def __init__(
        self,
        model: str | None = None,
        compute_type: str = "int8",
        cpu_threads: int | None = None,
        beam_size: int = 1,
        block_s: float = 120.0,
        language: str | None = None,
        hotwords: str | None = None,
        batch_size: int = 8,
    ):
        self.model = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or _default_threads()
        self.beam_size = beam_size
        self.block_s = block_s
        self.language = language
        # names the recording may say (the index's vocabulary); faster-whisper puts them
        # before the previous text in every window's prompt
        self.hotwords = hotwords or None
        # >1: faster-whisper's BatchedInferencePipeline, which packs the speech the VAD
        # finds into full 30 s windows and encodes/decodes them together; 1: the
        # sequential decoder, whose windows overlap where a segment ran past one
        self.batch_size = max(int(batch_size), 1)

    def with_hints(self, hints: str) -> WhisperTranscriber:
        hinted = copy(self)
        hinted.hotwords = hints or None
        return hinted

    def _model(self) -> Any:
        if self.model is None:
            from .models import whisper_base

            self.model = str(whisper_base())
        return _load(self.model, self.compute_type, self.cpu_threads)

    def transcribe(
        self, path: Path, on_progress: AudioProgress | None = None
    ) -> Iterator[Segment]:
        total = media_duration(path)
        language = self.language
        prompt: str | None = None
        model = None
        for offset, audio in blocks(path, self.block_s):
            model = model or self._model()
            pieces, info = self._transcribe_block(model, audio, language, prompt)
            for segment in (s for p in pieces for s in _segments(p, offset, info.language)):
                if segment.text:
                    language = language or info.language
                    prompt = segment.text
                    yield segment
            if on_progress:
                on_progress(offset + len(audio) / RATE, total)

    def _transcribe_block(
        self, model: Any, audio: Any, language: str | None, prompt: str | None
    ) -> tuple[Any, Any]:
        options: dict[str, Any] = dict(
            language=language, beam_size=self.beam_size, vad_filter=True,
            word_timestamps=True, hotwords=self.hotwords,
        )
        # a block of one window has nothing to batch: the sequential decoder hears it as
        # before (and a short clip is not padded and prompted differently)
        if self.batch_size == 1 or len(audio) <= _WINDOW_S * RATE:
            return model.transcribe(
                audio, initial_prompt=prompt, condition_on_previous_text=False, **options
            )
        # without timestamp tokens: with them the batched decoder dropped whole sentences
        # (63 of 583 words on the joined captions); _segments cuts sentences by word
        # times instead. No prompt: it would bias every window of the batch alike
        return _batched(model).transcribe(
            audio, batch_size=self.batch_size, without_timestamps=True, **options
        )


_WINDOW_S = 30  # whisper's input window


def _batched(model: Any) -> Any:
    fw = require("faster_whisper", extra="audio", purpose="speech transcription")
    return fw.BatchedInferencePipeline(model)


def _segments(piece: Any, offset: float, language: str) -> Iterator[Segment]:
    """A piece as sentence-long segments: the batched decoder gives one piece per ~30 s
    window, and a passage's "times" seek to the sentence an answer cites."""
    sentences: list[list[Any]] = [[]]
    for w in piece.words or ():
        sentences[-1].append(w)
        if w.word.strip().endswith(_SENTENCE_ENDS):
            sentences.append([])
    sentences = [s for s in sentences if s]
    if len(sentences) <= 1:
        yield _segment(piece.text, piece.words or (), piece, offset, language)
        return
    for words in sentences:
        yield _segment("".join(w.word for w in words), words, piece, offset, language)


_SENTENCE_ENDS = (".", "?", "!", "\u3002", "\uff1f", "\uff01")


def _segment(text: str, raw: Any, piece: Any, offset: float, language: str) -> Segment:
    convert = _simplify if language == "zh" else _same
    words = tuple(
        Word(convert(w.word), round(offset + float(w.start), 3),
             round(offset + float(w.end), 3), round(float(w.probability), 3))
        for w in raw
    )
    start = words[0].start if words else round(offset + float(piece.start), 3)
    end = words[-1].end if words else round(offset + float(piece.end), 3)
    return Segment(convert(text.strip()), start, end, language, words)


def _same(text: str) -> str:
    return text


def _simplify(text: str) -> str:
    # whisper often writes Mandarin in traditional characters; the index is simplified
    zhconv = require("zhconv", extra="audio", purpose="simplified Chinese transcripts")
    return str(zhconv.convert(text, "zh-cn"))


transcribers.register("whisper")(WhisperTranscriber)
