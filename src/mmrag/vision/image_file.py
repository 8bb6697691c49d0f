"""Files to RGB Pillow images, with every bad input refused by a named error.

Handled: EXIF orientation, CMYK / palette / alpha (composited on white), 16-bit and float
greyscale (rescaled, not clipped), animated GIF/WebP (first frame), HEIC/HEIF through
pillow-heif when installed. Refused with :class:`IngestError` naming the file: empty,
not an image, truncated, and decompression bombs (more than ``max_pixels``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from .._lazy import require
from ..errors import IngestError

MAX_PIXELS = 64_000_000  # ~8000x8000; Pillow's own default warns at 89 MP and fails at 179 MP
_heif_registered = False


def _pil() -> Any:
    global _heif_registered
    pil = require("PIL.Image", "image", purpose="reading images")
    if not _heif_registered:
        _heif_registered = True
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:
            pass
    return pil


def open_rgb(
    path: str | Path, max_pixels: int = MAX_PIXELS, draft: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Return ``(RGB image, facts)``; facts hold size, format, mode, frames and EXIF bits.

    ``draft`` lets JPEG decode at a reduced scale whose short side stays >= ``draft``
    (several times faster for camera photos that are only classified).
    """
    Image = _pil()
    from PIL import ImageOps, UnidentifiedImageError

    name = str(path)
    try:
        if Path(path).stat().st_size == 0:
            raise IngestError(name, "file is empty")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            width, height = im.size
            if width * height > max_pixels:
                raise IngestError(
                    name, f"image too large ({width}x{height} = {width * height:,} pixels, "
                    f"limit {max_pixels:,}): refused as a possible decompression bomb",
                )
            facts: dict[str, Any] = {
                "width": width, "height": height, "format": im.format, "mode": im.mode,
                "frames": int(getattr(im, "n_frames", 1) or 1),
            }
            facts.update(_exif(im))
            im.seek(0)  # animated: the first frame stands for the file
            if draft and im.format == "JPEG":
                im.draft("RGB", (draft, draft))
            im.load()
            loaded = im.size
            im = ImageOps.exif_transpose(im)
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise IngestError(name, f"refused as a possible decompression bomb ({exc})") from None
    except UnidentifiedImageError:
        raise IngestError(name, "not a readable image (unknown or corrupt format)") from None
    except OSError as exc:
        reason = str(exc)
        if "truncated" in reason.lower() or "broken data stream" in reason:
            raise IngestError(name, f"image file is truncated ({reason})") from None
        raise IngestError(name, f"cannot decode image ({reason})") from None
    except (ValueError, SyntaxError, EOFError) as exc:
        raise IngestError(name, f"corrupt image ({exc})") from None
    if im.size != loaded:  # EXIF turned it a quarter: report the size as displayed
        facts["width"], facts["height"] = height, width
    return to_rgb(im), facts


def to_rgb(im: Any) -> Any:
    from PIL import Image

    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        import numpy as np

        arr = np.asarray(im, dtype=np.float32)
        top = 65535.0 if im.mode.startswith("I;16") else max(float(arr.max()), 1.0)
        grey = np.clip(arr / top * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")  # CMYK, YCbCr, L, 1, P; 16-bit RGB is reduced by Pillow


def _exif(im: Any) -> dict[str, Any]:
    try:
        exif = im.getexif()
    except Exception:  # broken EXIF must not lose the picture
        return {}
    out: dict[str, Any] = {}
    for tag, key in ((0x0132, "datetime"), (0x0110, "camera"), (0x010E, "description")):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip("\x00 "):
            out[key] = value.strip("\x00 ")
    return out
