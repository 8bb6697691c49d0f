"""An index's vocabulary: the names its recordings say, given to the transcriber as hints.

whisper-base mishears names it has rarely seen ("Turlough O'Carolan" becomes "the
low-carol and"); told the name as a hotword it writes it. The vocabulary is kept in the
manifest (``"vocabulary": [...]``) and handed to the transcriber of every recording and
video the index ingests. Each transcript chunk records which hints (and model) made it
(``meta["heard_with"]``), so ``mmrag ingest --retranscribe`` redoes only the recordings
transcribed with other hints, and a second run does nothing.

Limits (documented in the README): at most ``MAX_TERMS`` entries of at most
``MAX_TERM_CHARS`` characters, no control characters. whisper's prompt holds 223 tokens,
so only the first ``HINT_CHARS`` characters of the joined vocabulary reach it; the
entries added first come first.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import ConfigError

MAX_TERMS = 1000
MAX_TERM_CHARS = 100
# ~220 whisper tokens of names (about 3.5 characters a token for Latin names, 1-2 per
# Chinese character): faster-whisper cuts hotwords past 223 tokens.
HINT_CHARS = 600


def clean(term: object) -> str:
    """One vocabulary entry, whitespace folded, or a ConfigError saying what is wrong."""
    if not isinstance(term, str):
        raise ConfigError(f"vocabulary entry: expected text, got {type(term).__name__}")
    bad = next((c for c in term if unicodedata.category(c) in ("Cc", "Cf")
                and c not in " \t\n\r"), None)
    if bad is not None:
        raise ConfigError(f"vocabulary entry {term!r}: control character U+{ord(bad):04X} "
                          "(expected printable text)")
    text = " ".join(term.split())
    if not text:
        raise ConfigError("vocabulary entry: expected a word or name, got an empty one")
    if len(text) > MAX_TERM_CHARS:
        raise ConfigError(f"vocabulary entry {text[:40]!r}...: {len(text)} characters, "
                          f"expected at most {MAX_TERM_CHARS}")
    return text


def merge(current: Sequence[str], added: Iterable[object]) -> list[str]:
    """``current`` with ``added`` appended, each checked, duplicates (any case) left out."""
    out = list(current)
    seen = {t.casefold() for t in out}
    for term in added:
        text = clean(term)
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    if len(out) > MAX_TERMS:
        raise ConfigError(f"vocabulary: {len(out)} entries, expected at most {MAX_TERMS} "
                          "(only the first ~600 characters reach the transcriber anyway: "
                          "keep the names your recordings say)")
    return out


def without(current: Sequence[str], removed: Iterable[str]) -> list[str]:
    gone = {" ".join(t.split()).casefold() for t in removed}
    return [t for t in current if t.casefold() not in gone]


def read_file(path: Path) -> list[str]:
    """A vocabulary file: one entry a line; blank lines and lines starting '#' skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read vocabulary file ({exc})") from None
    terms = [line for line in text.splitlines() if line.strip()
             and not line.lstrip().startswith("#")]
    if not terms:
        raise ConfigError(f"{path}: no vocabulary entries (expected one name a line)")
    return terms


def of(manifest: dict[str, Any] | None) -> list[str]:
    """The vocabulary an index's manifest records (none for an older index)."""
    terms = (manifest or {}).get("vocabulary") or []
    if not isinstance(terms, list):
        raise ConfigError(f"manifest entry 'vocabulary': expected a list, got {terms!r}")
    return [str(t) for t in terms]


# Between entries in the hints text; an entry that holds one ("Smith, John") is matched
# against a transcript by its parts, and hinted whole all the same
HINT_SEPARATOR = ", "


def hints(terms: Sequence[str]) -> str:
    """The hotwords text the transcriber is given: entries in order, up to HINT_CHARS."""
    out = ""
    for term in terms:
        piece = f"{HINT_SEPARATOR}{term}" if out else term
        if len(out) + len(piece) > HINT_CHARS:
            break
        out += piece
    return out


def heard_with(hint_text: str, model: str | None) -> str:
    """What a transcript was made with, as a short key ("" for no hints, default model:
    what every older index's chunks were made with)."""
    if not hint_text and not model:
        return ""
    return hashlib.blake2b(f"{model or ''}\n{hint_text}".encode(), digest_size=6).hexdigest()


# -- an index's vocabulary and transcriber model, in its manifest ---------------------------
def load(index_dir: Path) -> list[str]:
    from .index import read_manifest

    return of(read_manifest(index_dir))


def save(index_dir: Path, terms: Sequence[str]) -> list[str]:
    from .index import update_manifest

    checked = merge([], terms)
    update_manifest(index_dir, vocabulary=checked)
    return checked


def transcriber_model(manifest: dict[str, Any] | None) -> str | None:
    """The whisper model directory an index records (``--transcriber-model``), if any."""
    model = ((manifest or {}).get("transcriber") or {}).get("model")
    return str(model) if model else None


def set_transcriber_model(index_dir: Path, model: Path) -> str:
    """Record a CTranslate2 whisper directory (small, medium, large-v3, distil) for the
    index's later transcripts; refused unless it holds a model."""
    from .index import update_manifest

    folder = model.expanduser().resolve()
    if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
        raise ConfigError(f"--transcriber-model {model}: expected a CTranslate2 whisper "
                          "directory (model.bin, config.json, tokenizer.json), e.g. from "
                          "`ct2-transformers-converter --model openai/whisper-small`")
    update_manifest(index_dir, transcriber={"model": str(folder)})
    return str(folder)


def ingest_options(index_dir: Path, store: Any, retranscribe: bool = False) -> dict[str, Any]:
    """What an ingest of the index passes its transcriber: the vocabulary's hint text, the
    recorded model, and with ``retranscribe`` the recordings made with other ones."""
    from .index import read_manifest

    manifest = read_manifest(index_dir)
    hint_text = hints(of(manifest))
    model = transcriber_model(manifest)
    options: dict[str, Any] = {"hints": hint_text,
                               "transcriber_options": {"model": model} if model else {}}
    if retranscribe:
        options["retranscribe"] = stale(store, heard_with(hint_text, model))
    return options


def stale(store: Any, key: str) -> list[str]:
    """The recordings and videos (file paths) whose transcripts were not made with ``key``.

    A store that cannot read its chunks back (Milvus) has every recording redone."""
    from .stores.capabilities import Capabilities

    items = Capabilities.of(store).items
    speech = {r.path for r in store.sources() if r.loader in ("audio", "video")}
    if items is None:
        return sorted(speech)
    by_source = {r.source: r.path for r in store.sources()}
    out = set()
    for modality in ("audio", "video"):
        for hit in items.items(modality):
            if hit.meta.get("heard_with", "") != key and hit.source in by_source:
                out.add(by_source[hit.source])
    return sorted(out & speech)

