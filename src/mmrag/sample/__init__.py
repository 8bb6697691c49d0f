"""A small en + zh sample corpus shipped with mmrag, for the quick start and smoke tests."""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path


def sample_files() -> list[str]:
    return sorted(p.name for p in files(__package__).joinpath("data").iterdir() if p.is_file())


def write_sample(target: str | Path) -> list[Path]:
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sample_files():
        source = files(__package__).joinpath("data").joinpath(name)
        with source.open("rb") as src, (target / name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
        written.append(target / name)
    return written
