"""Sentence splitting that respects Chinese and English punctuation."""

from __future__ import annotations

import re

# A sentence ends at Chinese full-width terminators (no space follows them in Chinese
# text), or at ASCII terminators followed by whitespace, or at a blank line.
_BOUNDARY = re.compile(
    r"(?<=[。！？；…])(?![”’」』）\)])"
    r"|(?<=[。！？][”’」』）\)])"
    r"|(?<=[.!?;])[\"')\]]?\s+(?=\S)"
    r"|\n\s*\n"
)
_ABBREVIATIONS = (
    "e.g.", "i.e.", "etc.", "mr.", "mrs.", "ms.", "dr.", "prof.", "vs.", "no.", "fig.",
)


_HEADING_MAX = 60


def _mark_headings(text: str) -> str:
    """Put a blank line after heading-like lines, so a title is not glued to its body.

    A heading is a Markdown ``#`` line, or a short unpunctuated line that reads like a
    title (few words, mostly capitalised, or Chinese) and is followed by more text, as PDF
    page titles are. Other unpunctuated lines are hard-wrapped prose and stay joined.
    """
    lines = text.split("\n")
    for i, line in enumerate(lines[:-1]):
        if lines[i + 1].strip() and _is_heading(line.strip()):
            lines[i] = line + "\n"
    return "\n".join(lines)


def _is_heading(line: str) -> bool:
    if not line:
        return False
    if line.startswith("#"):
        return True
    if len(line) > _HEADING_MAX or line[-1] in _CONTINUES or _ENDS_SENTENCE.search(line):
        return False
    if re.search(r"[\u4e00-\u9fff]", line):
        return len(line) <= 20
    words = line.split()
    capitalised = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
    return len(words) <= 10 and capitalised / len(words) >= 0.5


_ENDS_SENTENCE = re.compile(r"[。！？!?.…]$")
_CONTINUES = ",，、;；:：-–—([（\"“'"


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping each one's punctuation."""
    text = _mark_headings(text)
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() if match.group(0).strip() == "" else match.end()
        candidate = text[start:end]
        if candidate.rstrip().lower().endswith(_ABBREVIATIONS):
            continue
        pieces.append(candidate)
        start = match.end()
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]
