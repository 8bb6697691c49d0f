"""Streamed decoding: any audio or video file to 16 kHz mono float32 blocks (PyAV).

A file is never held whole: samples arrive in blocks of about ``block_s`` seconds
(120 s is 7.7 MB), each cut at the quietest 50 ms near its end so a word is not split
between two blocks. Whisper reads 16 kHz mono, so resampling happens here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import IngestError

RATE = 16_000
_FRAME = RATE // 20  # 50 ms


def _av() -> Any:
    return require("av", extra="audio", purpose="decoding audio and video")


def open_media(path: Path) -> Any:
    """Open ``path`` with PyAV, turning every failure into an IngestError naming the file."""
    av = _av()
    try:
        if path.stat().st_size == 0:
            raise IngestError(str(path), "file is empty")
        return av.open(str(path), metadata_errors="ignore")
    except OSError as exc:
        if isinstance(exc, av.FFmpegError):
            raise IngestError(str(path), f"not a readable audio/video file ({_why(exc)})") from None
        raise IngestError(str(path), f"cannot read file ({exc.strerror or exc})") from None
    except av.FFmpegError as exc:
        raise IngestError(str(path), f"not a readable audio/video file ({_why(exc)})") from None


def _why(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def duration(container: Any) -> float | None:
    if container.duration:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    return None


def has_audio(path: Path) -> bool:
    container = open_media(path)
    try:
        return bool(container.streams.audio)
    finally:
        container.close()


def samples(path: Path) -> Iterator[np.ndarray]:
    """Resampled 16 kHz mono float32 pieces of the first audio stream, as decoded."""
    av = _av()
    container = open_media(path)
    try:
        if not container.streams.audio:
            raise IngestError(str(path), "no audio track")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        decoded = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    piece = out.to_ndarray().reshape(-1)
                    decoded += len(piece)
                    yield piece
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1)
        except av.FFmpegError as exc:
            # A truncated or damaged tail: keep what decoded, fail only if nothing did.
            if not decoded:
                raise IngestError(
                    str(path), f"audio could not be decoded ({_why(exc)})"
                ) from None
    finally:
        container.close()


def media_duration(path: Path) -> float | None:
    container = open_media(path)
    try:
        return duration(container)
    finally:
        container.close()


def blocks(path: Path, block_s: float = 120.0) -> Iterator[tuple[float, np.ndarray]]:
    """(offset in seconds, samples) blocks of about ``block_s`` seconds, cut at quiet points."""
    target = int(block_s * RATE)
    pending: list[np.ndarray] = []
    size = 0
    offset = 0
    for piece in samples(path):
        pending.append(piece)
        size += len(piece)
        if size >= target + 2 * RATE:
            buffer = np.concatenate(pending)
            cut = _quiet_cut(buffer, target)
            yield offset / RATE, buffer[:cut]
            offset += cut
            pending, size = [buffer[cut:]], len(buffer) - cut
    if size:
        yield offset / RATE, np.concatenate(pending)


def _quiet_cut(buffer: np.ndarray, target: int) -> int:
    """The start of the quietest 50 ms frame in the 2 s before ``target``."""
    lo = max(target - 2 * RATE, 0)
    window = buffer[lo:target]
    frames = len(window) // _FRAME
    if frames < 2:
        return target
    energy = (window[: frames * _FRAME].reshape(frames, _FRAME) ** 2).mean(axis=1)
    return lo + int(np.argmin(energy)) * _FRAME
