"""Bytes to text for plain-text formats, refusing binaries that wear a text extension."""

from __future__ import annotations

from pathlib import Path

from ..errors import IngestError

_BOMS = (("\ufeff", "utf-8-sig"),)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(str(path), "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    sample = data[:8192]
    if b"\x00" in sample:
        raise IngestError(str(path), "binary data in a text file (NUL bytes); wrong extension?")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable_ratio(text[:4096]) > 0.9:
            return text
    raise IngestError(str(path), "not valid UTF-8 or GB18030 text; binary file or unknown encoding")


def _printable_ratio(text: str) -> float:
    if not text:
        return 1.0
    ok = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    return ok / len(text)
