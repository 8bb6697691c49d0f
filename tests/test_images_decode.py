"""Bad and unusual image files: handled, or refused with an error that names the file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

PIL = pytest.importorskip("PIL.Image")
from PIL import Image  # noqa: E402

from mmrag.errors import IngestError  # noqa: E402
from mmrag.vision.image_file import open_rgb  # noqa: E402


def _jpeg(path: Path, size=(64, 48), colour=(200, 30, 30), **save) -> Path:
    Image.new("RGB", size, colour).save(path, "JPEG", **save)
    return path


def test_plain_rgb(tmp_path):
    im, facts = open_rgb(_jpeg(tmp_path / "a.jpg"))
    assert im.mode == "RGB" and im.size == (64, 48)
    assert facts["format"] == "JPEG" and facts["frames"] == 1


def test_truncated_jpeg_is_named(tmp_path):
    path = _jpeg(tmp_path / "cut.jpg", size=(256, 256))
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(IngestError, match="truncated") as err:
        open_rgb(path)
    assert err.value.path == str(path)


def test_not_an_image(tmp_path):
    path = tmp_path / "fake.png"
    path.write_text("this is text, not a PNG")
    with pytest.raises(IngestError, match="not a readable image"):
        open_rgb(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="empty"):
        open_rgb(path)


def test_decompression_bomb_refused(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (2000, 1500)).save(path)
    with pytest.raises(IngestError, match="decompression bomb"):
        open_rgb(path, max_pixels=1_000_000)


def test_pillow_bomb_guard_is_named(tmp_path, monkeypatch):
    path = tmp_path / "big2.png"
    Image.new("L", (1000, 1000)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # Pillow errors past 2x this
    with pytest.raises(IngestError, match="decompression bomb"):
        open_rgb(path, max_pixels=10**9)


def test_cmyk_becomes_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, "JPEG")
    im, facts = open_rgb(path)
    assert facts["mode"] == "CMYK" and im.mode == "RGB"
    r, g, b = im.getpixel((16, 16))
    assert r > 200 and g < 60 and b < 60  # cyan 0, magenta+yellow full: red


def test_16bit_greyscale_is_rescaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    ramp = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    Image.fromarray(ramp).save(path)
    im, facts = open_rgb(path)
    assert facts["mode"].startswith("I")
    arr = np.asarray(im)
    assert arr.min() == 0 and arr.max() == 255 and 100 < arr.mean() < 155


def test_animated_gif_uses_first_frame(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    im, facts = open_rgb(path)
    assert facts["frames"] == 3
    r, g, b = im.getpixel((5, 5))
    assert r > 200 and g < 50


def test_transparent_png_on_white(tmp_path):
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(path)
    im, _ = open_rgb(path)
    assert im.getpixel((3, 3)) == (255, 255, 255)


def test_exif_orientation_applied(tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    exif[0x0110] = "TestCam"
    Image.new("RGB", (40, 20), (0, 0, 255)).save(path, "JPEG", exif=exif)
    im, facts = open_rgb(path)
    assert im.size == (20, 40)
    assert facts["camera"] == "TestCam"


def test_heic_roundtrip(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "photo.heic"
    try:
        pillow_heif.from_pillow(Image.new("RGB", (32, 32), (0, 200, 0))).save(path, quality=90)
    except Exception as exc:  # a pillow-heif build without an HEVC encoder
        pytest.skip(f"pillow-heif cannot encode HEIC here: {exc}")
    im, facts = open_rgb(path)
    assert im.size == (32, 32) and im.getpixel((16, 16))[1] > 150


def test_jpeg_draft_keeps_short_side(tmp_path):
    path = _jpeg(tmp_path / "large.jpg", size=(1600, 1200))
    im, facts = open_rgb(path, draft=224)
    assert min(im.size) >= 224 and im.size[0] < 1600
    assert facts["width"] == 1600  # facts describe the file, not the draft


def test_error_is_an_ingest_error_for_the_cli():
    assert issubclass(IngestError, Exception)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG")
    assert buf.getvalue().startswith(b"\x89PNG")


def test_image_support_imports_nothing_heavy_until_used():
    import subprocess
    import sys

    code = (
        "import sys, mmrag, mmrag.embedders, mmrag.loaders, mmrag.cli.main, mmrag.pipeline;"
        "heavy = [m for m in ('torch', 'onnxruntime', 'PIL', 'transformers', "
        "'rapidocr_onnxruntime', 'cv2') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**__import__("os").environ})
    assert out.stdout.strip() == "[]"
