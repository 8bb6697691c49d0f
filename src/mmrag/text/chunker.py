"""Sentence-aware windows with overlap.

Windows fill with whole sentences up to ``max_tokens`` (multilingual-e5 reads 512 tokens;
~200 keeps a chunk about one idea, which suits both dense and BM25 retrieval), and each
window repeats the last ``overlap`` sentences of the previous one so an answer that
straddles a boundary is still found whole. A sentence longer than a window is cut.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..types import Chunk, Section
from .sentences import split_sentences
from .tokenize import _CJK, count_tokens


@dataclass(frozen=True)
class ChunkerConfig:
    max_tokens: int = 200
    overlap: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if self.overlap < 0:
            raise ValueError(f"overlap must be >= 0, got {self.overlap}")


# An unbroken run longer than this (a 50 MB line of base64, a URL) is cut into pieces of
# this many characters, each counted as a word, so a window always fills and closes.
LONGEST_WORD = 40
_PIECES = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]{{1,{LONGEST_WORD}}}\s*|\s+")
_CJK_RUN = re.compile(rf"[{_CJK}]")
_LONG_RUN = re.compile(rf"[^\s{_CJK}]{{{LONGEST_WORD + 1},}}")


def _size(text: str) -> int:
    """Tokens, but never fewer than one per ``LONGEST_WORD`` characters: a run of symbols
    or one unbroken word still fills a window."""
    return max(count_tokens(text), -(-len(text) // LONGEST_WORD))


def _cut(sentence: str, max_tokens: int) -> list[str]:
    """Cut an over-long sentence into pieces that each fit a window, in linear time and
    whatever the text: no spaces, no punctuation, one 50 MB line."""
    if _size(sentence) <= max_tokens and not _LONG_RUN.search(sentence):
        return [sentence]
    pieces: list[str] = []
    current: list[str] = []
    size = 0

    def close() -> None:
        nonlocal current, size
        text = "".join(current).strip()
        if text:
            pieces.append(text)
        current, size = [], 0

    for match in _PIECES.finditer(sentence):
        piece = match.group(0)
        if _CJK_RUN.match(piece):  # one token a character: split the run where it fills
            while piece:
                if size >= max_tokens:
                    close()
                room = max_tokens - size
                current.append(piece[:room])
                size += len(piece[:room])
                piece = piece[room:]
            continue
        n = _size(piece) if piece.strip() else 0
        if current and size + n > max_tokens:
            close()
        current.append(piece)
        size += n
    close()
    return pieces


def windows(text: str, config: ChunkerConfig = ChunkerConfig()) -> list[str]:
    sentences = [p for s in split_sentences(text) for p in _cut(s, config.max_tokens)]
    out: list[str] = []
    current: list[str] = []
    size = 0
    fresh = 0  # sentences in `current` not already emitted
    for sentence in sentences:
        n = _size(sentence)
        if current and size + n > config.max_tokens and fresh:
            out.append(_join(current))
            current = current[-config.overlap :] if config.overlap else []
            size = sum(_size(s) for s in current)
            fresh = 0
            while current and size + n > config.max_tokens:
                size -= _size(current.pop(0))
        current.append(sentence)
        size += n
        fresh += 1
    if current and fresh:
        out.append(_join(current))
    return out


def _join(sentences: list[str]) -> str:
    text = ""
    for s in sentences:
        if not text:
            pass
        elif text[-1] not in ".!?;。！？；…”’」』\"')":
            text += "\n\n"  # a heading: keep it a sentence of its own when re-split
        elif text[-1] in ".!?;\"')":
            text += " "
        text += s
    return text


def chunk_id(source_key: str, content_hash: str, index: int) -> str:
    raw = f"{source_key}\x00{content_hash}\x00{index}".encode()
    return hashlib.blake2b(raw, digest_size=12).hexdigest()


def chunk_sections(
    sections: Iterable[Section],
    *,
    source: str,
    source_key: str,
    content_hash: str,
    config: ChunkerConfig = ChunkerConfig(),
) -> list[Chunk]:
    """Turn a loader's sections into chunks with stable ids and their spans."""
    return list(iter_chunks(sections, source=source, source_key=source_key,
                            content_hash=content_hash, config=config))


def iter_chunks(
    sections: Iterable[Section],
    *,
    source: str,
    source_key: str,
    content_hash: str,
    config: ChunkerConfig = ChunkerConfig(),
) -> Iterator[Chunk]:
    """:func:`chunk_sections` one chunk at a time, reading ``sections`` as it goes (a big
    file's chunks are written in parts and never all held)."""
    i = 0
    for section in sections:
        # An image or a 3D model is one retrievable unit: its text describes it whole; a
        # loader may have cut its sections already (a table's rows with their header).
        whole = section.modality in ("image", "mesh") or section.chunked
        texts = [section.text] if whole else windows(section.text, config)
        for text in texts:
            yield Chunk(
                id=chunk_id(source_key, content_hash, i),
                source=source,
                text=text,
                modality=section.modality,
                span=section.span,
                index=i,
                meta=dict(section.meta),
                encoded=section.encoded if whole else None,
            )
            i += 1
