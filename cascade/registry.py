"""Backends by name: one small registry type that planners, generators and renderers each hold.

An entry names the class to build (imported only when first used, so listing backends stays cheap)
and carries what the command line and the pipeline need to know about it: a one-line description,
the options a user may set (with their command-line flags), the rate it works at, whether it takes
a SOFA file. Adding a backend is one new module plus one `register` line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Generic, TypeVar

from cascade.errors import CascadeError

T = TypeVar("T")


@dataclass(frozen=True)
class Option:
    """A constructor keyword a user may set, and the command-line flag that sets it.

    Several backends may declare the same flag (e.g. --device); the command line then has one flag
    whose value goes to each of them.
    """

    name: str
    flag: str | None  # None: set by the pipeline or the API only, never a command-line flag
    help: str
    type: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    switch: bool = False  # a flag without a value that sets True

    @property
    def dest(self) -> str:
        return (self.flag or self.name).lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Backend:
    """One registered backend and its metadata."""

    name: str
    target: str  # "package.module:Attribute", a class or factory called with the options
    description: str
    options: tuple[Option, ...] = ()
    native_rate: int | None = None  # Hz it works at inside; None = any rate
    extra: str | None = None  # pip extra it needs beyond the base install

    def option_names(self) -> list[str]:
        return [option.name for option in self.options]

    def takes(self, option: str) -> bool:
        """Whether the backend declares the constructor keyword `option` (e.g. 'sofa', 'sample_rate')."""
        return option in self.option_names()


@dataclass
class Registry(Generic[T]):
    """Name -> backend for one kind of stage ('planner', 'generator', 'renderer')."""

    kind: str
    error: type[CascadeError]
    _entries: dict[str, Backend] = field(default_factory=dict)

    def register(self, name: str, target: str, description: str, **metadata: Any) -> Backend:
        """Add a backend; `metadata` fills the other `Backend` fields."""
        if name in self._entries:
            raise ValueError(f"{self.kind} '{name}' is registered twice")
        entry = Backend(name, target, description, **metadata)
        self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        return list(self._entries)

    def __iter__(self) -> Iterator[Backend]:
        return iter(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def entry(self, name: str) -> Backend:
        """The backend registered as `name`; the registry's error naming the choices otherwise."""
        if not isinstance(name, str) or name not in self._entries:
            raise self.error(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._entries)}")
        return self._entries[name]

    def load(self, name: str) -> Callable[..., T]:
        """The class (or factory) of `name`, imported now."""
        module, _, attribute = self.entry(name).target.partition(":")
        return getattr(import_module(module), attribute)

    def get(self, name: str, **options: Any) -> T:
        """A new instance of `name` built with `options`, each of which it must declare."""
        entry = self.entry(name)
        unknown = sorted(set(options) - set(entry.option_names()))
        if unknown:
            allowed = ", ".join(entry.option_names()) or "none"
            raise self.error(f"{self.kind} '{name}' has no option {unknown[0]!r}; its options: {allowed}")
        return self.load(name)(**options)

    def help(self) -> str:
        """'name: description' for every backend, for a command-line help text."""
        return "; ".join(f"{entry.name}: {entry.description}" for entry in self)
