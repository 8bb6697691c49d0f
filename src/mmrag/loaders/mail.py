"""Mail (.eml one message, .mbox many; the standard library's email parser): a message's
headers and body as one section (plain text preferred, else its HTML's text), and each
attachment mmrag reads (a PDF, a .docx, a photo...) loaded by its own loader as a source of
its own: its sections say so under ``meta[INNER]`` (its name in the mail, content hash,
loader), and ingest records it as ``inbox.eml#attachment/report.pdf`` (in a mailbox
``inbox.mbox#attachment/3/report.pdf``, message 3; see :mod:`mmrag.stores.inner`).
An attachment is written, at most ``MAX_ATTACHMENT_BYTES``, into the media folder of its
own content hash, as any file's derived files are, so its thumbnails and figures live there.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
import re
import tempfile
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ..errors import IngestError, MissingDependencyError
from ..types import Section
from . import INNER, LoadContext, load, loader_for, loaders
from .html import html_to_text

MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024
MAX_MESSAGES = 100_000
HEADERS = ("From", "To", "Cc", "Date", "Subject")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: read it as Latin-1
        raw = part.get_payload(decode=True)
        content = raw.decode("latin-1") if isinstance(raw, bytes) else ""
    return html_to_text(content) if part.get_content_subtype() == "html" else str(content)


def message_sections(message: EmailMessage, number: int | None, context: LoadContext,
                     scratch: Path) -> list[Section]:
    """``number``: the message's place in its mailbox (None for an .eml file)."""
    head = [f"{h}: {message[h]}" for h in HEADERS if message[h]]
    subject = str(message["Subject"] or "")
    meta: dict[str, Any] = {"message": number or 1, "subject": subject}
    sections = [Section(text="\n".join(head) + "\n\n" + _body(message), meta=meta)]
    keys: set[str] = set()
    for k, part in enumerate(message.iter_attachments(), 1):
        name = Path(part.get_filename() or f"attachment-{k}").name
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        loader = loader_for(Path(name))
        if loader is None or not data or len(data) > MAX_ATTACHMENT_BYTES:
            continue
        safe = re.sub(r"[^\w.\-]+", "_", name)[-120:].lstrip(".") or f"attachment-{k}"
        key = safe if safe not in keys else f"{k}-{safe}"  # two files of one name
        keys.add(key)
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()  # as ingest hashes files
        # media folders are keyed by content hash under one root (the ingest job's)
        media = context.media_dir.parent / digest if context.media_dir else None
        target = (media or scratch / digest) / "attached" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        try:
            found = list(load(loader, target, replace(context, media_dir=media)))
        except (IngestError, MissingDependencyError):
            continue  # the message is still read; one bad attachment is left out
        key = f"{number}/{key}" if number else key
        inner = {"key": key, "hash": digest, "size": len(data), "loader": loader.name}
        prefix = f"attachment {name} of message {subject!r}\n"
        sections += [replace(s, text=prefix + s.text, meta={
            **s.meta, **meta, "attachment": name, INNER: inner}) for s in found]
    return sections


class MailLoader:
    name = "mail"
    extensions: tuple[str, ...] = (".eml", ".mbox")
    accepts_context = True

    def load(self, path: Path, context: LoadContext | None = None) -> list[Section]:
        context = context or LoadContext()
        if not path.stat().st_size:
            raise IngestError(str(path), "file is empty")
        with tempfile.TemporaryDirectory() as scratch:
            if path.suffix.lower() == ".mbox":
                box = mailbox.mbox(str(path), factory=None, create=False)
                sections: list[Section] = []
                for number, raw in enumerate(box, 1):
                    if number > MAX_MESSAGES:
                        break
                    parsed = email.message_from_bytes(raw.as_bytes(),
                                                      policy=email.policy.default)
                    assert isinstance(parsed, EmailMessage)
                    sections += message_sections(parsed, number, context, Path(scratch))
            else:
                with path.open("rb") as f:
                    message = email.message_from_binary_file(f, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                if not message.keys():
                    raise IngestError(str(path), "not an e-mail message (no headers)")
                sections = message_sections(message, None, context, Path(scratch))
        if not sections:
            raise IngestError(str(path), "no messages in the mailbox")
        return sections


loaders.register("mail")(MailLoader)
