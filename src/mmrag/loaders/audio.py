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
        guesses = uncertain(run, context.hints)
        if guesses:
            meta["uncertain"] = guesses
        span = Span(start=round(run[0].start, 2), end=round(run[-1].end, 2))
        sections.append(Section(text=text, span=span, modality=modality, meta=meta))
    return sections


def hinted_where_named(transcriber: Any, path: Path, context: LoadContext) -> list[Segment]:
    """A recording's segments, hinted only where hints may help. It is heard plain; if
    the transcript sounds like some of the vocabulary's names (their sound-alike keys, by
    the rule a name query uses), it is heard again with just those names as hints. Hints
    bias whisper towards their words everywhere (WER 0.0326 -> 0.0377 on speech naming
    none of them), so a recording naming none keeps its plain transcript."""
    plain = list(transcriber.transcribe(path, on_progress=context.on_progress))
    if not context.hints or not isinstance(transcriber, HintedTranscriber):
        return plain
    named = phonetic.names_sounded(context.hints.split(HINT_SEPARATOR), join_text(plain))
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
