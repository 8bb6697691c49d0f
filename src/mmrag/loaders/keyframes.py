"""Key frames of a video: sampled at a fixed interval, kept on a scene change.

A frame is looked at every ``interval_s`` seconds and kept when it differs from the last
kept frame (mean absolute difference of 32x32 grey thumbnails above ``threshold``) or when
``max_gap_s`` has passed, so a static talk gives few frames and a busy one at most
60 / ``interval_s`` per minute. Kept frames are saved as JPEG (PyAV's mjpeg encoder,
at most ``max_side`` pixels wide or high) for the image path to embed.

Only the codec's own key frames are decoded when there is at least one per ``max_gap_s``
(counted from packet flags, without decoding): encoders put them on scene cuts and every
few seconds, and skipping the others made a 2-minute 360p clip ten times faster to sample
(0.2 s against 2.3 s here). Videos with sparser key frames are decoded in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import IngestError
from ..speech.audio import open_media


@dataclass(frozen=True)
class Frame:
    time: float
    path: Path


def keyframes(
    video: Path,
    out_dir: Path,
    interval_s: float = 5.0,
    max_gap_s: float = 30.0,
    threshold: float = 0.08,
    max_side: int = 640,
) -> list[Frame]:
    av = require("av", extra="audio", purpose="reading video")
    container = open_media(video)
    kept: list[Frame] = []
    try:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        if _dense_key_frames(video, max_gap_s):
            stream.codec_context.skip_frame = "NONKEY"
        stream.thread_type = "AUTO"
        next_t = 0.0
        last: np.ndarray | None = None
        last_t = -max_gap_s
        try:
            for frame in container.decode(stream):
                t = frame.time
                if t is None or t < next_t:
                    continue
                next_t = t + interval_s
                thumb = frame.reformat(width=32, height=32, format="gray").to_ndarray()
                thumb = thumb.astype(np.float32) / 255.0
                changed = last is None or float(np.abs(thumb - last).mean()) > threshold
                if changed or t - last_t >= max_gap_s:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    dest = out_dir / f"{t:09.2f}.jpg"
                    _save_jpeg(av, frame, dest, max_side)
                    kept.append(Frame(round(float(t), 2), dest))
                    last, last_t = thumb, t
        except av.FFmpegError as exc:
            if not kept:
                raise IngestError(str(video), f"video could not be decoded ({exc})") from None
    finally:
        container.close()
    return kept


def _dense_key_frames(video: Path, max_gap_s: float) -> bool:
    container = open_media(video)
    try:
        stream = container.streams.video[0]
        keys = sum(1 for packet in container.demux(stream) if packet.is_keyframe)
        seconds = float(container.duration or 0) / 1_000_000
    except Exception:  # a damaged file: let the decoding pass report it
        return False
    finally:
        container.close()
    return keys >= max(seconds / max_gap_s, 1.0)


def _save_jpeg(av: Any, frame: Any, dest: Path, max_side: int) -> None:
    scale = min(1.0, max_side / max(frame.width, frame.height))
    width = max(2, int(frame.width * scale) // 2 * 2)
    height = max(2, int(frame.height * scale) // 2 * 2)
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    image = frame.reformat(width=width, height=height, format="yuvj420p")
    packets = list(codec.encode(image)) + list(codec.encode(None))
    dest.write_bytes(b"".join(bytes(p) for p in packets))
