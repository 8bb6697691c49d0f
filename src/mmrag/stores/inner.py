"""Files inside files: a mail's attachment is a source of its own, named after its mail.

An attachment ``report.pdf`` of ``/data/inbox.eml`` is the source ``/data/inbox.eml``
followed by ``#attachment/report.pdf`` (in a mailbox, ``#attachment/3/report.pdf``: message
3), in both its path (its identity in the store) and the name it is cited by. A store
deletes a file's attachments with it; ingest rewrites them with it, in one write.
"""

from __future__ import annotations

MARK = "#attachment/"


def inner_path(outer: str, key: str) -> str:
    """The identity (or shown name) of the file ``key`` inside ``outer``."""
    return f"{outer}{MARK}{key}"


def outer_of(path: str) -> str | None:
    """The file ``path`` is inside, or None for a file of its own."""
    outer, mark, _ = path.rpartition(MARK)
    return outer if mark else None


def key_of(path: str) -> str:
    """``path``'s name inside its outer file (``path`` itself for a file of its own)."""
    return path.rpartition(MARK)[2]


def like_inner(outer: str) -> str:
    """A SQL LIKE pattern (escape character ``\\``) of every file inside ``outer``."""
    escaped = outer.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + MARK.replace("_", "\\_") + "%"
