"""Sentence-aware windows with overlap.

Windows fill with whole sentences up to ``max_tokens`` (multilingual-e5 reads 512 tokens;
~200 keeps a chunk about one idea, which suits both dense and BM25 retrieval), and each
window repeats the last ``overlap`` sentences of the previous one so an answer that
straddles a boundary is still found whole. A sentence longer than a window is cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..types import Chunk, Section
from .sentences import split_sentences
from .tokenize import count_tokens


@dataclass(frozen=True)
class ChunkerConfig:
    max_tokens: int = 200
    overlap: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if self.overlap < 0:
            raise ValueError(f"overlap must be >= 0, got {self.overlap}")


def _cut(sentence: str, max_tokens: int) -> list[str]:
    """Cut an over-long sentence into pieces that each fit a window (linear time: a
    10 MB line without punctuation must not take quadratic time)."""
    if count_tokens(sentence) <= max_tokens:
        return [sentence]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for word in _words(sentence):
        n = count_tokens(word)
        if current and size + n > max_tokens:
            pieces.append("".join(current).strip())
            current, size = [], 0
        current.append(word)
        size += n
    if "".join(current).strip():
        pieces.append("".join(current).strip())
    return [p for p in pieces if p]


def _words(text: str) -> Iterator[str]:
    """Words with their trailing space; each CJK character is its own word."""
    word = ""
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            if word:
                yield word
                word = ""
            yield ch
        elif ch.isspace():
            yield word + ch
            word = ""
        else:
            word += ch
    if word:
        yield word


def windows(text: str, config: ChunkerConfig = ChunkerConfig()) -> list[str]:
    sentences = [p for s in split_sentences(text) for p in _cut(s, config.max_tokens)]
    out: list[str] = []
    current: list[str] = []
    size = 0
    fresh = 0  # sentences in `current` not already emitted
    for sentence in sentences:
        n = count_tokens(sentence)
        if current and size + n > config.max_tokens and fresh:
            out.append(_join(current))
            current = current[-config.overlap :] if config.overlap else []
            size = sum(count_tokens(s) for s in current)
            fresh = 0
            while current and size + n > config.max_tokens:
                size -= count_tokens(current.pop(0))
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
    chunks: list[Chunk] = []
    for section in sections:
        # An image or a 3D model is one retrievable unit: its text describes it whole.
        whole = section.modality in ("image", "mesh")
        texts = [section.text] if whole else windows(section.text, config)
        for text in texts:
            i = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(source_key, content_hash, i),
                    source=source,
                    text=text,
                    modality=section.modality,
                    span=section.span,
                    index=i,
                    meta=dict(section.meta),
                    encoded=section.encoded if whole else None,
                )
            )
    return chunks
