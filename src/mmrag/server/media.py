"""Which files the server may send: only sources of the index (and files the index made).

A path is resolved and looked up in the store, so ``..`` or a symlink can not reach
anything the operator did not ingest. Responses carry a sandbox CSP, so an indexed HTML
or SVG file is shown, never run, on this origin; audio, video and raster images get a CSP
that allows nothing but the file itself instead (a sandboxed media document has origin
``null``, and the browser then refuses to load its own player's file).
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from ..errors import NotFoundError
from ..stores.inner import key_of, outer_of

HEADERS = {
    "Content-Security-Policy": "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=300",
}
# A media document (the browser's own player or image view): it may load itself, nothing else.
PLAYABLE_CSP = "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'"
# Shown as text: a browser would otherwise run them or offer a download.
AS_TEXT = {".html", ".htm", ".md", ".markdown", ".txt", ".csv", ".json", ".rst", ".svg"}


def indexed_file(pipeline: Any, path: str) -> Path:
    """The file at ``path`` if the index holds it (a source, or a file under the index
    folder such as a video's key frames), else NotFoundError."""
    attached = attachment(pipeline, path)
    if attached is not None:
        return attached
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        raise NotFoundError(f"{path}: not in the index") from None
    known = pipeline.store.source(str(resolved)) is not None
    made = resolved.is_relative_to(media_root(pipeline))
    if not (known or made) or not resolved.is_file():
        raise NotFoundError(f"{path}: not in the index")
    return resolved


def media_root(pipeline: Any) -> Path:
    return Path(pipeline.index_dir).resolve() / "media"


def attachment(pipeline: Any, path: str) -> Path | None:
    """The copy ingest kept of a mail's attachment (a source ``inbox.eml#attachment/x``,
    see :mod:`mmrag.stores.inner`): in the media folder of its content hash."""
    if outer_of(path) is None:
        return None
    record = pipeline.store.source(path)
    if record is None and not Path(path).is_absolute():
        record = pipeline.store.source(str(Path(path).expanduser().resolve()))
    if record is None:
        raise NotFoundError(f"{path}: not in the index")
    copy = media_root(pipeline) / record.hash / "attached" / Path(key_of(path)).name
    if not copy.is_file():
        raise NotFoundError(f"{path}: its copy in the index's media folder is gone "
                            "(ingest the mail again)")
    return copy


def headers(media: str) -> dict[str, str]:
    """The response headers of a file sent as ``media`` (its media type)."""
    playable = media.split("/")[0] in ("audio", "video", "image") and "svg" not in media
    return {**HEADERS, "Content-Security-Policy": PLAYABLE_CSP} if playable else HEADERS


def media_type(path: Path) -> str:
    if path.suffix.lower() in AS_TEXT:
        return "text/plain; charset=utf-8"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def thumbnail(path: Path, cache: Path, size: int = 320) -> Path | None:
    """A JPEG at most ``size`` px wide next to the index, when Pillow is there; else the
    image itself; None when the file is not an image (a PDF is never sent as its thumbnail)."""
    if not media_type(path).startswith("image/"):
        return None
    try:
        from PIL import Image
    except ImportError:
        return path
    stat = path.stat()
    key = f"{path}\0{stat.st_mtime_ns}\0{size}".encode()
    target = cache / f"{hashlib.blake2b(key, digest_size=12).hexdigest()}.jpg"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            with Image.open(path) as image:
                image.thumbnail((size, size))
                image.convert("RGB").save(target, "JPEG", quality=82)
        except Exception:  # not an image Pillow reads: send the file itself
            return path
    return target


def pdf_page(pipeline: Any, pdf: Path, page: int) -> Path:
    """The thumbnail of a PDF page: the one ingest rendered into the file's media folder,
    else rendered there now, once (an index built before thumbnails existed)."""
    from ..errors import IngestError
    from ..loaders.pdf_pages import page_thumbnail

    record = pipeline.store.source(str(pdf))
    digest = record.hash if record is not None else hashlib.blake2b(
        str(pdf).encode(), digest_size=16).hexdigest()
    if pdf.parent.name == "attached" and pdf.is_relative_to(media_root(pipeline)):
        digest = pdf.parent.parent.name  # an attachment: its thumbnails lie beside it
    try:
        return page_thumbnail(pdf, page, Path(pipeline.index_dir) / "media" / digest)
    except IngestError as exc:
        raise NotFoundError(f"{pdf}: {exc.reason}") from None
