"""Name registries for pluggable backends.

Each role (loader, embedder, store, generator, ...) has one registry. Built-in backends
register themselves with a decorator; third parties plug in through the entry-point group
``mmrag.<role>s`` (for example ``mmrag.embedders``), loaded on first lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, role: str, group: str | None = None, ordered: bool = False):
        self.role = role
        # names listed in registration order (the default first) rather than sorted
        self.ordered = ordered
        # the entry-point group third parties register under ("mmrag.strategies")
        self.group = group or f"mmrag.{role}s"
        self._factories: dict[str, Callable[..., T]] = {}
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            self._factories[name] = factory
            return factory

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.group):
            self._factories.setdefault(ep.name, ep.load())

    def names(self) -> list[str]:
        self._load_entry_points()
        return list(self._factories) if self.ordered else sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> Callable[..., T]:
        if name not in self._factories:
            self._load_entry_points()
        try:
            return self._factories[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.role} {name!r}; available: {self.names()}"
            ) from None

    def create(self, name: str, **options: object) -> T:
        factory = self.get(name)
        try:
            return factory(**options)
        except TypeError as exc:
            raise ConfigError(f"bad options for {self.role} {name!r}: {exc}") from exc
