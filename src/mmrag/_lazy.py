"""The one place heavy optional modules are imported, on first use."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

from .errors import MissingDependencyError


def require(module: str, extra: str | None = None, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise an error saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        how = f"pip install 'mmrag[{extra}]'" if extra else f"pip install {module.split('.')[0]}"
        raise MissingDependencyError(
            f"mmrag needs the Python package '{module}'{what}, which is not installed: {how}"
        ) from exc


def defer_package_init(package: str) -> None:
    """Let ``package``'s submodules import without running its ``__init__`` until one of its
    own attributes is asked for.

    lancedb imports ``lance_namespace``, which imports its REST client's models, whose
    package ``__init__`` first builds every REST API class (366 pydantic ``validate_call``
    wrappers, 1.1-1.9 s, most of a CLI search) that an embedded store never calls. The
    models are submodules and import as before; ``lance_namespace_urllib3_client.ApiClient``
    or any other attribute of the package runs the real ``__init__`` then, so nothing is lost.
    """
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    once = threading.RLock()  # another thread asking meanwhile waits for the real __init__
    loading: list[bool] = []

    def __getattr__(name: str) -> object:
        with once:
            if loading:  # the real __init__, running, asks for a name it has not made yet
                raise AttributeError(f"partially initialised module {package!r} has no {name!r}")
            if module.__dict__.get("__getattr__") is __getattr__:
                loading.append(True)
                try:
                    loader.exec_module(module)
                finally:
                    loading.clear()
                    if module.__dict__.get("__getattr__") is __getattr__:
                        del module.__dict__["__getattr__"]
        return getattr(module, name)

    module.__dict__["__getattr__"] = __getattr__
    sys.modules[package] = module
