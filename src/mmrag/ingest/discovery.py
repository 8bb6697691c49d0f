"""Finding the files to ingest: a stable order, hidden files and the index itself skipped,
each file once however it was named, and content hashes that say whether it changed."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..loaders import by_extension
from .report import IngestReport


def safe_str(path: str | Path) -> str:
    """A path as text the index can store: bytes that are not UTF-8 (which Python keeps as
    lone surrogates) become backslash escapes, e.g. ``bad\\xffname.txt``."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(
    paths: Sequence[str | Path], report: IngestReport, skip: Sequence[Path] = ()
) -> list[tuple[str, Path]]:
    """(path as given, absolute path) for each supported file, in a stable order."""
    extensions = by_extension()
    skipped = {p.resolve() for p in skip}
    found: list[tuple[str, Path]] = []
    for given in paths:
        root = Path(given).expanduser()
        given = safe_str(given)
        if root.is_dir():
            for shown, path in _walk(given, root, skipped):
                if path.suffix.lower() in extensions:
                    found.append((shown, path))
                else:
                    report.unsupported.append(shown)
        elif root.is_file():
            if root.suffix.lower() in extensions:
                found.append((given, root.resolve()))
            elif root.is_symlink() and not root.exists():
                report.errors.append((given, "broken symbolic link"))
            else:
                report.errors.append(
                    (given, f"unsupported file type {root.suffix or '(none)'!r}; "
                            f"supported: {sorted(extensions)}")
                )
        elif root.is_symlink():
            report.errors.append((given, "broken symbolic link"))
        else:
            report.errors.append((given, "no such file or directory"))
    unique: dict[Path, str] = {}
    for shown, path in found:
        unique.setdefault(path, shown)
    return [(shown, path) for path, shown in unique.items()]


def _walk(given: str, root: Path, skipped: set[Path]) -> Iterator[tuple[str, Path]]:
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (base / d).resolve() not in skipped
        )
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            shown = safe_str(os.path.normpath(os.path.join(given, rel, name)))
            yield shown, (base / name).resolve()
