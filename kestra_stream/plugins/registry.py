"""Plugins by Kestra type name, old aliases included.

Built-in plugins and third-party ones (Python entry points of the ``kestra_stream.plugins`` group)
are imported lazily, once, the first time a type is looked up. Loading is thread-safe: the first
lookup imports under a lock, concurrent lookups wait for it (double-checked flag, so lookups after
loading take no lock); a lookup made by the loading thread itself during the imports returns early.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import pkgutil
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError, ValidationInfo
from pydantic_core import InitErrorDetails, PydanticCustomError

if TYPE_CHECKING:
    from kestra_stream.plugins.base import Plugin

P = TypeVar("P", bound="type[Plugin]")

ENTRY_POINT_GROUP = "kestra_stream.plugins"

# Imported on first lookup.
_BUILTIN_MODULES = (
    "kestra_stream.plugins.flow",
    "kestra_stream.plugins.triggers",
    "kestra_stream.plugins.conditions",
    "kestra_stream.plugins.core",
    "kestra_stream.plugins.scripts",
    "kestra_stream.plugins.kafka",
)


class UnknownPluginError(LookupError):
    def __init__(self, type_name: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(type_name)
        self.type_name = type_name
        self.suggestions = suggestions

    def __str__(self) -> str:
        message = f"Invalid type: {self.type_name}"
        if self.suggestions:
            message += f" (did you mean {' or '.join(self.suggestions)}?)"
        return message


class PluginConflictError(ValueError):
    """Two different classes claim the same type name."""


class PluginRegistry:
    def __init__(self, *, builtins: bool = False) -> None:
        self._by_type: dict[str, type[Plugin]] = {}
        self._canonical: dict[str, str] = {}
        self._loaded = not builtins
        self._loading = False
        self._load_lock = threading.RLock()

    def add(self, cls: type[Plugin], type_name: str, *aliases: str) -> None:
        for name in (type_name, *aliases):
            existing = self._by_type.get(name)
            if existing is not None and _qualified_name(existing) != _qualified_name(cls):
                raise PluginConflictError(
                    f"type `{name}` is already registered by {_qualified_name(existing)}, "
                    f"cannot register {_qualified_name(cls)}"
                )
        for name in (type_name, *aliases):
            self._by_type[name] = cls
            self._canonical[name] = type_name
        cls.plugin_type = type_name
        cls.plugin_aliases = aliases

    def load(self) -> None:
        """Import built-in plugin modules and entry points (done once, implicitly, on lookup)."""
        if self._loaded:
            return
        with self._load_lock:
            if self._loaded or self._loading:  # done meanwhile, or re-entered from an import
                return
            self._loading = True
            try:
                for package in _BUILTIN_MODULES:
                    _import_package(package)
                for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
                    loaded = entry_point.load()
                    if callable(loaded) and not isinstance(loaded, type):
                        loaded(self)
            finally:  # tried once, as before: a broken plugin package is not imported again
                self._loading = False
                self._loaded = True

    def resolve(self, type_name: str) -> type[Plugin]:
        self.load()
        try:
            return self._by_type[type_name]
        except KeyError:
            raise UnknownPluginError(type_name, tuple(self.closest(type_name))) from None

    def canonical(self, type_name: str) -> str:
        self.load()
        return self._canonical.get(type_name, type_name)

    def names(self) -> Iterator[str]:
        self.load()
        return iter(list(self._by_type))

    def plugins(self, kind: type[Plugin] | None = None) -> list[type[Plugin]]:
        """Every registered class once (ordered by canonical type), optionally of one kind."""
        self.load()
        unique = {self._canonical[name]: cls for name, cls in self._by_type.items()}
        return [
            cls
            for _, cls in sorted(unique.items())
            if kind is None or (isinstance(cls, type) and issubclass(cls, kind))
        ]

    def closest(self, type_name: str, n: int = 3) -> list[str]:
        """Known canonical types that look like ``type_name`` (for "did you mean" messages)."""
        self.load()
        canonical = sorted(set(self._canonical.values()))
        scored = sorted(
            ((difflib.SequenceMatcher(None, type_name, name).ratio(), name) for name in canonical),
            reverse=True,
        )
        if scored and scored[0][0] >= 0.8:
            best = scored[0][0]
            return [name for score, name in scored[:n] if score >= best - 0.03]
        simple_name = type_name.rsplit(".", 1)[-1].lower()
        by_simple_name = {name.rsplit(".", 1)[-1].lower(): name for name in canonical}
        close = difflib.get_close_matches(simple_name, list(by_simple_name), n=n, cutoff=0.8)
        return [by_simple_name[name] for name in close]

    def __contains__(self, type_name: object) -> bool:
        self.load()
        return type_name in self._by_type

    def validator_for(self, kind: type[Plugin]) -> Callable[[Any, ValidationInfo], Any]:
        """A pydantic validator turning ``{type: ..., ...}`` into the plugin class it names.

        The registry used is ``info.context["registry"]`` when given, else this one. Errors of
        the plugin's own properties keep their location, so they can be reported with a path.
        """

        def validate(value: Any, info: ValidationInfo) -> Any:
            if isinstance(value, kind):
                return value
            if not isinstance(value, Mapping):
                raise PydanticCustomError(
                    "plugin_object", "must be an object with a `type` property, got {value}", {"value": value}
                )
            context = info.context if isinstance(info.context, Mapping) else {}
            active: PluginRegistry = context.get("registry", self)
            type_name = value.get("type")
            if type_name is None:
                raise _located_error(kind, "missing", "must not be null", value)
            if not isinstance(type_name, str):
                raise _located_error(kind, "plugin_type", f"Invalid type: {type_name!r}", type_name)
            try:
                cls = active.resolve(type_name)
            except UnknownPluginError as error:
                raise _located_error(kind, "unknown_plugin", str(error), type_name) from None
            if not issubclass(cls, kind):
                raise _located_error(
                    kind,
                    "wrong_plugin_kind",
                    f"Invalid type: {type_name} is a {_kind_name(cls)}, expected a {kind.__name__.lower()}",
                    type_name,
                )
            return cls.model_validate(value, context=info.context)

        return validate


def _import_package(name: str) -> None:
    """Import a package and every module under it (each module registers its plugins)."""
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{name}."):
        importlib.import_module(module.name)


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind_name(cls: type) -> str:
    from kestra_stream.plugins.base import Condition, Task, TaskRunner, Trigger

    for kind in (Task, Trigger, Condition, TaskRunner):
        if issubclass(cls, kind):
            return kind.__name__.lower()
    return "plugin"


def _located_error(kind: type, error_type: str, message: str, value: Any) -> ValidationError:
    """An error on the ``type`` property itself, so its location points at ``...type``."""
    detail: InitErrorDetails = {
        "type": PydanticCustomError(error_type, message.replace("{", "{{").replace("}", "}}")),
        "loc": ("type",),
        "input": value,
    }
    return ValidationError.from_exception_data(kind.__name__, [detail])


registry = PluginRegistry(builtins=True)


def plugin(type_name: str, *aliases: str) -> Callable[[P], P]:
    """Class decorator registering a plugin in the default registry."""

    def decorate(cls: P) -> P:
        registry.add(cls, type_name, *aliases)
        return cls

    return decorate
