"""Bytes to text for plain-text formats, refusing binaries that wear a text extension."""

from __future__ import annotations

from pathlib import Path

from ..errors import IngestError


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(str(path), "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:  # found by the loader fuzzer
            raise IngestError(str(path), f"broken UTF-16 text ({exc.reason})") from None
    sample = data[:8192]
    if b"\x00" in sample:
        raise IngestError(str(path), "binary data in a text file (NUL bytes); wrong extension?")
    text = decode_text(data)
    if text is None:
        raise IngestError(str(path), "not text in any encoding tried; binary file?")
    return text


def decode_text(data: bytes) -> str | None:
    """UTF-8, then GB18030 (Chinese), then UTF-8 with a few bad bytes replaced (files that
    mix encodings), then Windows-1252 (Western European); None for what reads as binary."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable_ratio(text[:4096]) > 0.9:
            return text
    mixed = data.decode("utf-8", errors="replace")
    if mixed.count("\ufffd") <= max(1, len(mixed) // 50) and _printable_ratio(mixed) > 0.9:
        return mixed
    western = data.decode("cp1252", errors="replace")
    # Western text is mostly ASCII with a few accents; random high bytes are printable in
    # Windows-1252 too, and must not be indexed as garbage
    ascii_share = sum(1 for b in data[:4096] if b < 0x80) / max(1, len(data[:4096]))
    if _printable_ratio(western[:4096]) > 0.95 and ascii_share > 0.5:
        return western
    return None


def _printable_ratio(text: str) -> float:
    if not text:
        return 1.0
    ok = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return ok / len(text)
