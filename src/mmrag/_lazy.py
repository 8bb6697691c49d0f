"""The one place heavy optional modules are imported, on first use."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import threading
from collections.abc import Iterator
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


@contextlib.contextmanager
def deferred_model_builds() -> Iterator[None]:
    """pydantic models defined meanwhile build their validators on first use, not at once.

    lancedb imports ``lance_namespace``, whose package imports its REST client's ~150
    request and response models; pydantic builds each one's validator and serializer as the
    class is made (0.3-0.5 s of a CLI search) though an embedded store never validates one.
    ``defer_build`` (pydantic's own option) is inherited from ``BaseModel.model_config``
    by the classes made while it is set; each builds when first used, so nothing is lost.
    """
    try:
        import pydantic
    except ImportError:
        yield
        return
    config = pydantic.BaseModel.model_config
    if "defer_build" in config:  # someone chose already
        yield
        return
    config["defer_build"] = True
    try:
        yield
    finally:
        config.pop("defer_build", None)


@contextlib.contextmanager
def checks_as_on_python_312() -> Iterator[None]:
    """Modules imported meanwhile get no-op ``overrides`` checks, as on Python 3.12+.

    lancedb marks its methods with ``overrides.override`` and bases its connections on
    ``overrides.EnforceOverrides`` below Python 3.12, and on 3.12+ with ``typing.override``
    and a plain class: checks for its own developers, which inspect every method's
    signature as its classes are made (0.25-0.3 s of a CLI search). This stands in for
    them the way lancedb's 3.12 branch does, then takes the stand-in away, so a later
    ``import overrides`` gets the real package.
    """
    if sys.version_info >= (3, 12) or "overrides" in sys.modules:
        yield
        return

    def override(method: object) -> object:
        with contextlib.suppress(AttributeError, TypeError):
            method.__override__ = True  # type: ignore[attr-defined]  # typing.override's mark
        return method

    stand_in = ModuleType("overrides")
    stand_in.override = override  # type: ignore[attr-defined]
    stand_in.EnforceOverrides = type("EnforceOverrides", (), {})  # type: ignore[attr-defined]
    sys.modules["overrides"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("overrides") is stand_in:
            del sys.modules["overrides"]
