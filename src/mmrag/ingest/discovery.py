"""Finding the files to ingest: a stable order, hidden files and the index itself skipped,
each file once however it was named, and content hashes that say whether it changed.

One walk for every caller (CLI, server, Ray): it never follows a link out of the folder it
was given (an ``--allow-path`` root must not be escaped through a file symlink), names link
loops and broken links instead of raising, and refuses what is not a regular file (a FIFO
named ``.txt`` would block the first read forever) by its type, before anything opens it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..loaders import by_extension
from .report import IngestReport


def safe_str(path: str | Path) -> str:
    """A path as text the index can store: bytes that are not UTF-8 (which Python keeps as
    lone surrogates) become backslash escapes, e.g. ``bad\\xffname.txt``."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class NotRegularFile(OSError):
    """A path that is a FIFO, socket or device: reading it could block or never end."""


def file_hash(path: Path) -> str:
    # O_NONBLOCK: opening a FIFO that replaced a file since discovery must not block
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise NotRegularFile(0, f"not a regular file ({kind})")
        digest = hashlib.blake2b(digest_size=16)
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(mode: int) -> str | None:
    """None for a regular file, else what it is."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def _target(path: Path, inside: Path | None) -> tuple[Path | None, str | None]:
    """(the file ``path`` names, None) or (None, why it is refused). ``inside``: the root a
    link may not leave (None for a path the user named directly)."""
    try:
        resolved = path.resolve(strict=True)
        mode = os.stat(resolved).st_mode
    except RuntimeError:  # Python < 3.13 raises this for a loop
        return None, "symbolic link loop"
    except OSError as exc:
        if path.is_symlink():
            return None, ("symbolic link loop" if "loop" in str(exc).lower()
                          else "broken symbolic link")
        return None, f"cannot read file ({exc.strerror or exc})"
    if inside is not None and not resolved.is_relative_to(inside):
        return None, (f"symbolic link to {safe_str(resolved)}, outside {safe_str(inside)}; "
                      "not followed (name the target itself to ingest it)")
    kind = _kind(mode)
    if kind:
        return None, f"not a regular file ({kind}); only regular files are read"
    return resolved, None


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
            inside = root.resolve()
            for shown, path in _walk(given, root, skipped):
                if path.suffix.lower() not in extensions:
                    report.unsupported.append(shown)
                    continue
                target, refused = _target(path, inside)
                if target is None:
                    report.errors.append((shown, refused or ""))
                elif target.suffix.lower() not in extensions:  # a link to another type
                    report.unsupported.append(shown)
                else:
                    found.append((shown, target))
        elif root.is_symlink() or root.exists():
            target, refused = _target(root, None)
            if target is None:
                report.errors.append((given, refused or ""))
            elif target.suffix.lower() in extensions:
                found.append((given, target))
            else:
                report.errors.append(
                    (given, f"unsupported file type {target.suffix or '(none)'!r}; "
                            f"supported: {sorted(extensions)}")
                )
        else:
            report.errors.append((given, "no such file or directory"))
    unique: dict[Path, str] = {}
    for shown, path in found:
        unique.setdefault(path, shown)
    return [(shown, path) for path, shown in unique.items()]


def _walk(given: str, root: Path, skipped: set[Path]) -> Iterator[tuple[str, Path]]:
    """Every non-hidden file under ``root`` (links not resolved yet). Linked folders are not
    entered, and a folder seen twice (a bind mount of its parent) is entered once."""
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        try:
            info = os.stat(base)
        except OSError:
            dirnames[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (base / d).resolve() not in skipped
        )
        rel = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            shown = safe_str(os.path.normpath(os.path.join(given, rel, name)))
            yield shown, base / name
