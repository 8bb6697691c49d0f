"""Speech recordings become timed transcript passages (wav, mp3, flac, ogg, m4a, opus)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import NoContentError
from ..speech import HintedTranscriber, Segment, group, join_text, transcribers
from ..text import phonetic
from ..types import Section, Span
from ..vocab import HINT_SEPARATOR, heard_with
from . import LoadContext, loaders

# Below this word probability a transcript word is shown as a guess (whisper-base gives
# names it mishears ~0.1-0.5 and ordinary words it hears right ~0.9).
LOW_CONFIDENCE = 0.5
# A word under this makes a recording heard again with the vocabulary as hints (see
# hinted_where_named): whisper-base writes a name it mishears at 0.02-0.3.
UNSURE_NAME = 0.3
TIMED_WORDS = 6  # a segment's opening words that find it in its chunk's text


def transcript_sections(
    path: Path, context: LoadContext, modality: str = "audio"
) -> list[Section]:
    """One section per ~30 s group of segments, spanning first start to last end."""
    phonetic.available()  # the store keys every transcript by sound
    # the recorded model directory is whisper's (``--transcriber-model``)
    options = context.transcriber_options if context.transcriber == "whisper" else {}
    transcriber = transcribers.create(context.transcriber, **options)
    segments = hinted_where_named(transcriber, path, context)
    key = heard_with(context.hints, context.transcriber_options.get("model"))
    sections = []
    for run in group(segments):
        text = join_text(run)
        if not text:
            continue
        meta: dict[str, Any] = {"language": run[0].language} if run[0].language else {}
        if key:
            meta["heard_with"] = key
        # where each segment (about a sentence) starts, by its opening words: the page
        # seeks a player to the very sentence an answer cites
        meta["times"] = [[round(seg.start, 2), " ".join(seg.text.split()[:TIMED_WORDS])]
                         for seg in run if seg.text.strip()]
        guesses = uncertain(run, context.hints)
        if guesses:
            meta["uncertain"] = guesses
        span = Span(start=round(run[0].start, 2), end=round(run[-1].end, 2))
        sections.append(Section(text=text, span=span, modality=modality, meta=meta))
    return sections


def hinted_where_named(transcriber: Any, path: Path, context: LoadContext) -> list[Segment]:
    """A recording's segments, hinted only where hints may help. It is heard plain, and
    heard again with hints when the plain transcript shows it may hold a name: a word
    whisper was unsure of (a misheard name: 29 of 33 name memos, 1 of 50 spoken captions)
    brings every entry, those it sounds like first; else the entries it sounds like (by
    the sound-alike rule a name query uses) come alone. Hints bias whisper towards their
    words everywhere (hinting every clip raised WER 0.0326 -> 0.0377 on speech naming none
    of them), so a recording with neither sign keeps its plain transcript."""
    plain = list(transcriber.transcribe(path, on_progress=context.on_progress))
    if not context.hints or not isinstance(transcriber, HintedTranscriber):
        return plain
    entries = context.hints.split(HINT_SEPARATOR)
    named = phonetic.names_sounded(entries, join_text(plain))
    unsure = any(w.probability is not None and w.probability < UNSURE_NAME
                 for seg in plain for w in seg.words if w.text.strip())
    if unsure:
        named += [e for e in entries if e not in named]
    if not named:
        return plain
    return list(transcriber.with_hints(HINT_SEPARATOR.join(named)).transcribe(path))


def uncertain(segments: Sequence[Segment], hints: str = "") -> list[dict[str, Any]]:
    """The words the model was unsure of: ``{"word", "p", "start"}`` in time order. A word
    of the vocabulary is not one: the user said the recordings hold it (whisper gives a
    hinted name it writes right ~0.1-0.4)."""
    expected = set(_bare(hints).split())
    return [
        {"word": w.text.strip(), "p": w.probability, "start": w.start}
        for seg in segments for w in seg.words
        if w.probability is not None and w.probability < LOW_CONFIDENCE
        and _bare(w.text).strip() and not set(_bare(w.text).split()) <= expected
    ]


def _bare(text: str) -> str:
    """Words without punctuation, case folded ("'Carolan," -> "carolan")."""
    return re.sub(r"[^\w\s]+", " ", text).casefold()


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
