"""Test data and helpers shared by tests and benchmarks: texts, a PDF and WAV writer.

Plain functions, not pytest fixtures (those are in conftest.py), and nothing here imports
pytest, so a benchmark can import this module too.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16_000  # the speech model's sample rate

# One question, the passage that answers it in other words ("gold") and two that share its
# words ("d1", "d2"): what the local model's passage pick and reading order are tested on.
LIBRARY_QUESTION = "When does the Harbor Street library close on Saturdays?"
LIBRARY = {
    "d1": "The Harbor Street library opens on Saturdays at 9 am.",
    "d2": "The library on Harbor Street has a children's corner.",
    "gold": "At weekends the Harbor Street branch shuts its doors at 4 pm sharp.",
}


def library_hits(order: list[str]) -> list:
    """The library passages as hits in ``order``, scores falling by 0.1 from 1.0."""
    from mmrag.types import Hit

    return [Hit(id=i, score=round(1.0 - 0.1 * n, 1), source=f"library_{i}.txt",
                text=LIBRARY[i]) for n, i in enumerate(order)]

PANDA_ZH = (
    "大熊猫是中国特有的动物，主要生活在四川的竹林中。大熊猫的食物几乎全是竹子，"
    "一只成年大熊猫每天要吃十二到三十八公斤竹子。它们偶尔也吃水果。"
)
TEA_EN = (
    "Tea drinking began in southwest China. Portuguese traders brought tea to Europe in the "
    "16th century. Black tea is fully oxidised, green tea hardly at all."
)
PLANETS_EN = (
    "Jupiter is the largest planet in the Solar System. Venus is the hottest planet because "
    "its thick atmosphere traps heat. Mars has the tallest volcano, Olympus Mons."
)
NOVEL_PAGES = [
    "Notes on American novels. Each page covers one book.",
    "The Great Gatsby is a 1925 novel by F. Scott Fitzgerald, set on Long Island.",
    "The Sound and the Fury is a 1929 novel written by William Faulkner.",
]


def make_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    if password:
        pdf.set_encryption(owner_password=password, user_password=password)
    pdf.output(str(path))
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Mono 16-bit PCM, ``samples`` in -1..1 (clipped)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def garden(root: Path) -> Path:
    """60 diary notes on one subject: enough for a space's spread to be read (topicality)."""
    root.mkdir()
    plants = ["roses", "tulips", "tomatoes", "lavender", "apple trees", "ferns", "orchids",
              "basil", "peonies", "hedges"]
    jobs = ["pruning", "watering", "feeding", "planting", "mulching", "repotting"]
    for n in range(60):
        plant, job, season = plants[n % 10], jobs[n % 6], ["spring", "summer", "autumn"][n % 3]
        (root / f"note{n}.txt").write_text(
            f"Garden diary {n}: {job} the {plant} in the {season} needs care; the {plant} "
            f"grew well after {job}.")
    return root
