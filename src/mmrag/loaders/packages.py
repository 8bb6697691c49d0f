"""Office and e-book files are zip packages: checked before a library opens one, so a
truncated file, a password-protected document or a zip bomb gets a named error instead
of a library's traceback or all of the machine's memory.

A password-protected .docx/.xlsx/.pptx is not a zip at all: Office wraps the encrypted
package in an OLE compound file (the same container as the old binary .doc/.xls), which
is what ``OLE_MAGIC`` spots.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import IngestError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Caps: what a package may unpack to in all, and how much one member may expand (text
# XML compresses ~10-20x; a bomb 1000x and more).
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 8 * 1024 * 1024  # small members may compress as well as they like


def check_package(path: Path, kind: str) -> None:
    """Raise IngestError naming ``path`` if it is not a sound zip package of ``kind``."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    if not head:
        raise IngestError(str(path), "file is empty")
    if head == OLE_MAGIC:
        raise IngestError(str(path), f"{kind} is password-protected (encrypted) or in the old "
                                     "binary format; save it unencrypted as a current "
                                     f"{kind} file")
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            if any(m.flag_bits & 0x1 for m in members):
                raise IngestError(str(path), f"{kind} has encrypted parts (password required)")
            total = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members)
            worst = max(members, key=lambda m: m.file_size / max(1, m.compress_size),
                        default=None)
    except zipfile.BadZipFile as exc:
        raise IngestError(str(path), f"not a readable {kind} (truncated or not a zip "
                                     f"package: {exc})") from None
    if total > MAX_UNPACKED_BYTES:
        raise IngestError(str(path), f"{kind} unpacks to {total / 2**20:.0f} MB, over the "
                                     f"{MAX_UNPACKED_BYTES // 2**20} MB cap (a zip bomb?); "
                                     f"{packed / 2**20:.1f} MB packed")
    if worst is not None and worst.file_size > RATIO_FLOOR:
        ratio = worst.file_size / max(1, worst.compress_size)
        if ratio > MAX_RATIO:
            raise IngestError(str(path), f"{kind} member {worst.filename} expands {ratio:.0f}x "
                                         f"(cap {MAX_RATIO}x): a zip bomb?")
