"""Bytes to text for plain-text formats, refusing binaries that wear a text extension.

Legacy East Asian encodings all decode each other's bytes without an error (GB18030 accepts
almost any byte pair), so a strict decode proves nothing: each candidate's text is scored by
how much of it is *common* characters of its script, and the best one wins. Chinese comes
first on a tie. EUC-JP and EUC-KR share GB2312's byte layout and read as Chinese; they are
not told apart (rare in files people have today)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import IngestError

# Tried in this order after UTF-8; a later one must score clearly higher to win
CANDIDATES = ("gb18030", "big5", "cp932", "utf-16-le", "utf-16-be")
MARGIN = 0.05
MIN_SCORE = 0.85  # below it the bytes read as garbage in every encoding tried
SAMPLE = 8192
BLOCK = 2**20  # what a big file is read and decoded by


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    encoding, errors = reading(path, data)
    return data.decode(encoding, errors)


def iter_text(path: Path, block: int = BLOCK) -> Iterator[str]:
    """A big file's text a block at a time, in the encoding its first block reads in (a
    byte that does not decode past it is replaced): a 200 MB file is never held whole."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(block)
            encoding, _ = reading(path, head, cut=len(head) == block)
            if encoding == "utf-16":  # the byte-order mark says which; read it once
                encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
                head = head[2:]
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            data = head
            while data:
                yield decoder.decode(data)
                data = handle.read(block)
            yield decoder.decode(b"", final=True)
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None


def reading(path: Path, data: bytes, cut: bool = False) -> tuple[str, str]:
    """The encoding ``data`` reads in, and the error handling it needs; ``cut``: the
    file's first block only (it may end inside a character)."""
    if not data.strip():
        raise IngestError(str(path), "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _strict(data, "utf-16", cut) is None:  # found by the loader fuzzer
            raise IngestError(str(path), "broken UTF-16 text")
        return "utf-16", "strict"
    wide = utf16_without_bom(data)
    if wide is not None:
        if _strict(data, wide, cut) is None:
            raise IngestError(str(path), f"broken {wide.upper()} text")
        return wide, "strict"
    if b"\x00" in data[:SAMPLE]:
        raise IngestError(str(path), "binary data in a text file (NUL bytes); wrong extension?")
    found = choose(data, cut)
    if found is None:
        raise IngestError(
            str(path), "not text in any encoding tried (UTF-8, UTF-16, GB18030, Big5, "
            "Shift-JIS, Windows-1252); binary file? Convert it to UTF-8 if it is text")
    return found


def _strict(data: bytes, encoding: str, cut: bool) -> str | None:
    """``data`` decoded, or None if it does not decode (a cut may end mid-character)."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=not cut)
    except UnicodeDecodeError:
        return None


def utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text mostly of ASCII has a NUL in every other byte: on the odd bytes for
    little-endian, on the even ones for big-endian. Binaries do not keep that rhythm."""
    sample = data[: SAMPLE - SAMPLE % 2]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) / len(zeros) > 0.6 and other.count(0) / len(other) < 0.05:
            try:
                text = sample.decode(encoding)
            except UnicodeDecodeError:
                return None
            return encoding if _printable_ratio(text) > 0.95 else None
    return None


def decode_text(data: bytes) -> str | None:
    """``data`` as text in the encoding :func:`choose` finds; None for what reads as binary."""
    found = choose(data)
    return None if found is None else data.decode(*found)


def choose(data: bytes, cut: bool = False) -> tuple[str, str] | None:
    """UTF-8; else the best-scoring of GB18030, Big5, Shift-JIS and UTF-16; else UTF-8 with
    a few bad bytes replaced (files that mix encodings); else Windows-1252 (Western
    European); None for what reads as binary. Returns (encoding, errors)."""
    text = _strict(data, "utf-8-sig", cut)
    if text is not None and _printable_ratio(text[:4096]) > 0.9:
        return "utf-8-sig", "strict"
    if _looks_western(data[:SAMPLE]):
        return "cp1252", "replace"
    for encoding in _ranked(data[:SAMPLE], cut=cut or len(data) > SAMPLE):
        if cut or _strict(data, encoding, cut) is not None:
            return encoding, "strict"
        # else broken past the sample: the next reading
    mixed = data[: 4 * SAMPLE].decode("utf-8", errors="replace")
    # a UTF-8 file with a few broken bytes still holds real multi-byte characters; bytes
    # with no such character are a one-byte Western encoding
    utf8_chars = any(ord(ch) > 0x7F and ch != "\ufffd" for ch in mixed[:SAMPLE])
    if utf8_chars and mixed.count("\ufffd") <= max(1, len(mixed) // 50) \
            and _printable_ratio(mixed) > 0.9:
        return "utf-8", "replace"
    western = data[:4096].decode("cp1252", errors="replace")
    # Western text is mostly ASCII with a few accents; random high bytes are printable in
    # Windows-1252 too, and must not be indexed as garbage
    ascii_share = sum(1 for b in data[:4096] if b < 0x80) / max(1, len(data[:4096]))
    if _printable_ratio(western) > 0.95 and ascii_share > 0.5:
        return "cp1252", "replace"
    return None


def _ranked(head: bytes, cut: bool) -> list[str]:
    """The candidates whose reading of ``head`` is real text, best first; a later one must
    score clearly higher than an earlier one to pass it."""
    scored = []
    for rank, encoding in enumerate(CANDIDATES):
        try:
            # a cut at SAMPLE may split a character, so a cut head is read leniently
            text = head.decode(encoding, errors="replace" if cut else "strict")
        except UnicodeDecodeError:
            continue
        score = common_share(text)
        if score >= MIN_SCORE and not _IMPOSSIBLE.search(text):
            scored.append((score - rank * MARGIN, encoding))
    return [encoding for _, encoding in sorted(scored, reverse=True)]


def _looks_western(sample: bytes) -> bool:
    """Mostly ASCII with lone high bytes (an accent, a curly quote, a no-break space) or two
    accented letters side by side ("grüßt"): double-byte encodings would read each as a
    kanji or a half-width kana, but real CJK text has its characters side by side (runs of
    three or more high bytes) and its punctuation reads as symbols pairs ("¡¯" for ’)."""
    high = sum(1 for b in sample if b >= 0x80)
    if not high or (len(sample) - high) / len(sample) < 0.8 or _HIGH_RUN.search(sample):
        return False
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False  # the five bytes Windows-1252 leaves undefined
    return all(pair.isalpha() for pair in _PAIR.findall(text))


_HIGH_RUN = re.compile(rb"[\x80-\xff]{3}")
_PAIR = re.compile("[^\x00-\x7f]{2}")
# C1 control characters: real text has none, and wrong decodings land on them (cp932
# maps 0x80 there)
_IMPOSSIBLE = re.compile("[\x80-\x9f]")


def common_share(text: str) -> float:
    """The share of characters that are not where wrong decodings land: a hanzi counts only
    if it is in GB2312's first level (3,755 simplified) or Big5's common set (5,401
    traditional); the wrong decoding of one of these encodings lands mostly on rare hanzi
    or half-width katakana."""
    if not text:
        return 1.0
    return sum(1 for ch in text if _common(ch)) / len(text)


def _common(ch: str) -> bool:
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF:
        return _lead(ch, "gb2312", 0xB0, 0xD7) or _lead(ch, "big5", 0xA4, 0xC6)
    if code < 0x80:
        return ch.isprintable() or ch in "\n\r\t"
    # where wrong decodings land: half-width katakana, private use, rare and compatibility
    # ideographs; any other printable character (Arabic, Cyrillic, accents) is real text
    rare = (0xFF61 <= code <= 0xFF9F or 0xE000 <= code <= 0xF8FF or 0x3400 <= code <= 0x4DBF
            or 0xF900 <= code <= 0xFAFF or code >= 0x20000)
    return not rare and (ch.isprintable() or ch.isspace())


def _lead(ch: str, encoding: str, low: int, high: int) -> bool:
    try:
        encoded = ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and low <= encoded[0] <= high


def _printable_ratio(text: str) -> float:
    if not text:
        return 1.0
    ok = sum(1 for ch in text if ch.isprintable() or ch.isspace())
    return ok / len(text)
