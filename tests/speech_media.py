"""Media the speech tests make for themselves: espeak-ng speech, silence, a small video."""

from __future__ import annotations

import shutil
import subprocess
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from fixtures import RATE, write_wav


def need_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed: run scripts/install-system-deps.sh")
    return exe


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as fh:
        rate = fh.getframerate()
        data = np.frombuffer(fh.readframes(fh.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0, rate


def speak(path: Path, text: str, lead_s: float = 0.0, tail_s: float = 0.5) -> Path:
    """``text`` spoken by espeak-ng (120 words/min) after ``lead_s`` seconds of silence."""
    exe = need_espeak()
    raw = path.with_suffix(".raw.wav")
    subprocess.run([exe, "-s", "120", "-w", str(raw), text], check=True, capture_output=True)
    voice, rate = read_wav(raw)
    raw.unlink()
    pad = lambda s: np.zeros(int(s * rate), dtype=np.float32)  # noqa: E731
    return write_wav(path, np.concatenate([pad(lead_s), voice, pad(tail_s)]), rate)


def silence(path: Path, seconds: float) -> Path:
    return write_wav(path, np.zeros(int(seconds * RATE), dtype=np.float32))


def video(path: Path, audio: Path | None, seconds: float, fps: int = 10) -> Path:
    """An mp4 whose picture turns from black to white halfway, with ``audio`` as its track."""
    av = pytest.importorskip("av")
    out = av.open(str(path), "w")
    webm = path.suffix == ".webm"
    vstream = out.add_stream("libvpx" if webm else "mpeg4", rate=fps)
    vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
    samples, rate = read_wav(audio) if audio is not None else (np.zeros(0, np.float32), RATE)
    acodec = "libopus" if webm else "aac"
    astream = out.add_stream(acodec, rate=rate) if audio is not None else None
    for i in range(int(seconds * fps)):
        level = 0 if i < seconds * fps / 2 else 255
        image = np.full((48, 64, 3), level, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = i
        frame.time_base = Fraction(1, fps)
        out.mux(vstream.encode(frame))
    out.mux(vstream.encode(None))
    if astream is not None:
        step = 1024
        for j in range(0, len(samples), step):
            piece = samples[j : j + step].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(piece, format="flt", layout="mono")
            frame.sample_rate = rate
            frame.pts = j
            frame.time_base = Fraction(1, rate)
            out.mux(astream.encode(frame))
        out.mux(astream.encode(None))
    out.close()
    return path


def encode(path: Path, samples: np.ndarray, codec: str, rate: int = RATE) -> Path:
    """``samples`` (mono float32 at ``rate``) encoded with ``codec`` into ``path``."""
    av = pytest.importorskip("av")
    out = av.open(str(path), "w")
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    step = 960
    for i in range(0, len(samples), step):
        frame = av.AudioFrame.from_ndarray(
            samples[i : i + step].reshape(1, -1).astype(np.float32), format="flt", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = i
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return path
