"""Uploaded files: size-limited, typed by their content, stored under generated names.

The client's file name only contributes a cleaned stem (letters, digits, ``_`` and ``-``) to
make the source readable; the folder and the suffix are ours, so no upload can name a path.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from ..errors import MmragError
from ..loaders import by_extension

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".csv", ".json", ".rst",
                 ".obj", ".off", ".stl", ".gltf"}  # 3D formats written as text
BINARY_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".wav", ".mp3", ".ogg",
                   ".oga", ".flac", ".m4a", ".mp4", ".m4v", ".mov", ".webm", ".mkv"}
CHUNK = 1 << 16


class UploadTooLarge(MmragError):
    pass


class UnsupportedUpload(MmragError):
    pass


def sniff(head: bytes) -> str | None:
    """The suffix a file's first bytes say it is, '.txt' for UTF-8 text, None if unknown."""
    signatures = [
        (b"%PDF-", ".pdf"),
        (b"\x89PNG\r\n\x1a\n", ".png"),
        (b"\xff\xd8\xff", ".jpg"),
        (b"GIF87a", ".gif"),
        (b"GIF89a", ".gif"),
        (b"fLaC", ".flac"),
        (b"OggS", ".ogg"),
        (b"ID3", ".mp3"),
        (b"\x1a\x45\xdf\xa3", ".webm"),
        (b"glTF", ".glb"),
        (b"ply\n", ".ply"),
        (b"ply\r\n", ".ply"),
    ]
    for magic, suffix in signatures:
        if head.startswith(magic):
            return suffix
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"WEBP"):
        return ".wav" if head[8:12] == b"WAVE" else ".webp"
    if head[4:8] == b"ftyp":
        return ".m4a" if head[8:11] == b"M4A" else ".mp4"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return ".mp3"
    return ".txt" if _is_text(head) else None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sniffed block.
        return exc.start >= len(head) - 3
    return True


def stored_suffix(claimed: str, sniffed: str | None) -> str | None:
    """Text keeps the suffix it claims (md, html: the loader differs), binaries take ours.

    A binary whose content and name disagree is kept when both name the same loader (an MP3
    named ``.wav`` is audio either way, and ``mmrag ingest`` reads it as audio), refused
    when they do not (a ``.wav`` that is really a PDF)."""
    if sniffed == ".txt":
        if claimed in TEXT_SUFFIXES:
            return claimed
        return None if claimed in BINARY_SUFFIXES else ".txt"
    if sniffed is None and claimed == ".stl":
        return ".stl"  # binary STL has no magic number (an 80-byte free header)
    same = {".jpeg": ".jpg", ".oga": ".ogg", ".mkv": ".webm", ".mov": ".mp4", ".m4v": ".mp4"}
    mp4 = {".mp4", ".m4a"}
    # A .wav that is really a PDF is refused rather than renamed.
    mismatch = claimed and same.get(claimed, claimed) != sniffed
    loaders = by_extension()
    family = claimed in loaders and loaders.get(claimed) == loaders.get(sniffed or "")
    if sniffed is not None and mismatch and not {claimed, sniffed} <= mp4 and not family:
        return None
    return sniffed


def clean_stem(filename: str) -> str:
    stem = Path(filename.replace("\\", "/")).stem
    return re.sub(r"[^\w\-]+", "_", stem).strip("_")[:60] or "upload"


def save(
    filename: str, data: BinaryIO, folder: Path, max_bytes: int, supported: Iterable[str]
) -> Path:
    """Write one upload to ``folder`` and return its path; refuse too large or unknown files."""
    head = data.read(4096)
    claimed = Path(filename).suffix.lower()
    sniffed = sniff(head)
    suffix = stored_suffix(claimed, sniffed)
    name = f"{clean_stem(filename)}{claimed}"
    # short: one line per file in a batch (the supported types are in /api/info)
    if not head:
        raise UnsupportedUpload(f"{name}: the file is empty")
    if suffix is None and sniffed is not None and claimed:
        what = "text" if sniffed == ".txt" else sniffed[1:].upper()
        raise UnsupportedUpload(f"{name}: its content is {what}, not {claimed[1:].upper()}")
    if suffix is None:
        raise UnsupportedUpload(f"{name}: its content is not a type mmrag reads")
    if suffix not in set(supported):
        raise UnsupportedUpload(f"{name}: a {suffix[1:].upper()} file is not accepted here")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex[:12]}-{clean_stem(filename)}{suffix}"
    size = 0
    try:
        with path.open("xb") as out:
            block = head
            while block:
                size += len(block)
                if size > max_bytes:
                    raise UploadTooLarge(
                        f"{filename!r} is larger than the upload limit of {max_bytes} bytes"
                    )
                out.write(block)
                block = data.read(CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
