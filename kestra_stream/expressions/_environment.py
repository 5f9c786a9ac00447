"""The sandboxed Jinja2 environment that runs translated Pebble templates.

* ``ImmutableSandboxedEnvironment`` plus our own attribute resolution: maps are read by key only,
  lists/strings/dates expose a short whitelist of Java-like properties (``_java_methods``), and
  nothing ever falls back to Python ``getattr``; templates cannot reach Python internals.
* ``KestraUndefined`` is strict: any use of an undefined value raises, with a Kestra-like message.
* ``PebbleCodeGenerator`` compiles the ``__k_*`` intrinsics emitted by ``_emit`` into direct calls
  on the environment; the operands of ``??``, ``???``, ``is defined`` and ``default`` are wrapped in
  lambdas so undefined values (and the right side of ``??``) are evaluated lazily, as in Pebble.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Undefined, UndefinedError, nodes, pass_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing

from kestra_stream.expressions import _java_methods, _operators
from kestra_stream.expressions._values import to_text, truth_value
from kestra_stream.expressions.errors import ExpressionError

HIDDEN_PREFIX = "kestra-"  # context keys that no Pebble identifier can spell


class KestraUndefined(StrictUndefined):
    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        name = self._undefined_name
        if self._undefined_obj is missing:
            return f"variable `{name}` is undefined"
        owner = self._undefined_obj
        if isinstance(owner, Mapping):
            keys = ", ".join(f"`{key}`" for key in list(owner)[:20])
            return f"key `{name}` is undefined (existing keys: {keys or 'none'})"
        if isinstance(owner, list | tuple):
            return f"index `{name}` is out of range for a list of {len(owner)} items"
        return f"attribute `{name}` is undefined on {_operators.type_name(owner)}"


def fail_if_undefined(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


@dataclass(frozen=True, slots=True)
class MapEntry:
    """What ``{% for entry in map %}`` yields: ``entry.key`` / ``entry.value``."""

    key: Any
    value: Any

    def __str__(self) -> str:
        return f"{to_text(self.key)}={to_text(self.value)}"

    def to_json_value(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value}


_LOOP_PROPERTIES: dict[str, Callable[[LoopContext], Any]] = {
    "index": lambda loop: loop.index0,
    "length": lambda loop: loop.length,
    "first": lambda loop: loop.first,
    "last": lambda loop: loop.last,
    "revindex": lambda loop: loop.revindex0,
}


@dataclass(frozen=True, slots=True)
class Intrinsic:
    method: str
    lazy: frozenset[int] = frozenset()
    needs_context: bool = False


INTRINSICS: dict[str, Intrinsic] = {
    "__k_coalesce": Intrinsic("k_coalesce", frozenset({0, 1})),
    "__k_undefined_coalesce": Intrinsic("k_undefined_coalesce", frozenset({0, 1})),
    "__k_defined": Intrinsic("k_defined", frozenset({0})),
    "__k_default": Intrinsic("k_default", frozenset({0})),
    "__k_truth": Intrinsic("k_truth"),
    "__k_add": Intrinsic("k_add"),
    "__k_sub": Intrinsic("k_sub"),
    "__k_mul": Intrinsic("k_mul"),
    "__k_div": Intrinsic("k_div"),
    "__k_mod": Intrinsic("k_mod"),
    "__k_neg": Intrinsic("k_neg"),
    "__k_pos": Intrinsic("k_pos"),
    "__k_eq": Intrinsic("k_eq"),
    "__k_ne": Intrinsic("k_ne"),
    "__k_concat": Intrinsic("k_concat"),
    "__k_range": Intrinsic("k_range"),
    "__k_contains": Intrinsic("k_contains"),
    "__k_is_in": Intrinsic("k_is_in"),
    "__k_not_in": Intrinsic("k_not_in"),
    "__k_method": Intrinsic("k_method"),
    "__k_iter": Intrinsic("k_iter"),
    "__k_context": Intrinsic("k_context", needs_context=True),
    "__k_lookup": Intrinsic("k_lookup", needs_context=True),
}


@pass_context
def _intrinsic_placeholder(context: Context, *args: Any, **kwargs: Any) -> Any:
    # Registered so Jinja accepts the names; pass_context keeps Jinja from constant-folding them.
    raise RuntimeError("intrinsics are compiled by PebbleCodeGenerator, never called")


class PebbleCodeGenerator(CodeGenerator):
    def visit_Filter(self, node: nodes.Filter, frame: Frame) -> None:
        intrinsic = INTRINSICS.get(node.name)
        if intrinsic is None:
            super().visit_Filter(node, frame)
            return
        self.write(f"environment.{intrinsic.method}(")
        if intrinsic.needs_context:
            self.write("context, ")
        operands = [node.node, *node.args]
        for position, operand in enumerate(operands):
            if operand is None:
                raise ExpressionError(f"`{node.name}` cannot be used as a block filter")
            if position:
                self.write(", ")
            if position in intrinsic.lazy:
                self.write("lambda: ")
            self.visit(operand, frame)
        for keyword in node.kwargs:
            self.write(f", {keyword.key}=")
            self.visit(keyword.value, frame)
        self.write(")")


def _finalize(value: Any) -> str:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return to_text(value)


class PebbleEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = PebbleCodeGenerator

    def __init__(
        self,
        filters: Mapping[str, Callable[..., Any]],
        tests: Mapping[str, Callable[..., bool]],
        functions: Mapping[str, Callable[..., Any]],
    ) -> None:
        super().__init__(
            undefined=KestraUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_finalize,
            auto_reload=False,
            cache_size=0,
        )
        self.filters.clear()
        self.filters.update(filters)
        self.filters.update({name: _intrinsic_placeholder for name in INTRINSICS})
        self.tests.clear()
        self.tests.update(tests)
        self.globals.clear()
        self.globals.update(functions)

    # -- attribute access: keys of maps, whitelisted Java-like properties of the rest -------
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict or isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if isinstance(obj, LoopContext):
            loop_property = _LOOP_PROPERTIES.get(attribute)
            return self.undefined(obj=obj, name=attribute) if loop_property is None else loop_property(obj)
        if isinstance(obj, MapEntry):
            if attribute in ("key", "value"):
                return obj.key if attribute == "key" else obj.value
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, list | tuple) and attribute.isdigit():
            return self.getitem(obj, int(attribute))
        found, value = _java_methods.read_property(obj, attribute)
        return value if found else self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Mapping):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=str(argument))
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        if isinstance(argument, int) and not isinstance(argument, bool):
            if isinstance(obj, list | tuple | str) and 0 <= argument < len(obj):
                return obj[argument]
            return self.undefined(obj=obj, name=str(argument))
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        return self.undefined(obj=obj, name=str(argument))

    # -- intrinsics (see _emit) ---------------------------------------------------------------
    @staticmethod
    def _attempt(thunk: Callable[[], Any]) -> Any:
        """Evaluate a lazy operand; an undefined result or lookup failure becomes ``missing``."""
        try:
            value = thunk()
        except UndefinedError:
            return missing
        return missing if isinstance(value, Undefined) else value

    def k_coalesce(self, left: Callable[[], Any], right: Callable[[], Any]) -> Any:
        value = self._attempt(left)
        if value is missing or value is None:
            return right()
        return value

    def k_undefined_coalesce(self, left: Callable[[], Any], right: Callable[[], Any]) -> Any:
        value = self._attempt(left)
        return right() if value is missing else value

    def k_defined(self, operand: Callable[[], Any]) -> bool:
        return self._attempt(operand) is not missing

    def k_default(self, operand: Callable[[], Any], default: Any = None) -> Any:
        value = self._attempt(operand)
        if (
            value is missing
            or value is None
            or (isinstance(value, str | list | tuple | Mapping) and not value)
        ):
            return default
        return value

    def k_truth(self, value: Any) -> bool:
        return truth_value(fail_if_undefined(value))

    def k_add(self, left: Any, right: Any) -> Any:
        return _operators.add(fail_if_undefined(left), fail_if_undefined(right))

    def k_sub(self, left: Any, right: Any) -> Any:
        return _operators.subtract(fail_if_undefined(left), fail_if_undefined(right))

    def k_mul(self, left: Any, right: Any) -> Any:
        return _operators.multiply(fail_if_undefined(left), fail_if_undefined(right))

    def k_div(self, left: Any, right: Any) -> Any:
        return _operators.divide(fail_if_undefined(left), fail_if_undefined(right))

    def k_mod(self, left: Any, right: Any) -> Any:
        return _operators.modulo(fail_if_undefined(left), fail_if_undefined(right))

    def k_neg(self, value: Any) -> Any:
        return _operators.negate(fail_if_undefined(value))

    def k_pos(self, value: Any) -> Any:
        return _operators.positive(fail_if_undefined(value))

    def k_eq(self, left: Any, right: Any) -> bool:
        return _operators.equals(fail_if_undefined(left), fail_if_undefined(right))

    def k_ne(self, left: Any, right: Any) -> bool:
        return not _operators.equals(fail_if_undefined(left), fail_if_undefined(right))

    def k_concat(self, left: Any, right: Any) -> str:
        return _operators.concat(fail_if_undefined(left), fail_if_undefined(right))

    def k_range(self, start: Any, end: Any) -> list[int]:
        return _operators.inclusive_range(fail_if_undefined(start), fail_if_undefined(end))

    def k_contains(self, container: Any, item: Any) -> bool:
        return _operators.contains(fail_if_undefined(container), fail_if_undefined(item))

    def k_is_in(self, item: Any, container: Any) -> bool:
        return _operators.is_in(fail_if_undefined(item), fail_if_undefined(container))

    def k_not_in(self, item: Any, container: Any) -> bool:
        return not self.k_is_in(item, container)

    def k_method(self, target: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        fail_if_undefined(target)
        for argument in (*args, *kwargs.values()):
            fail_if_undefined(argument)
        return _java_methods.call_method(target, name, args)

    def k_iter(self, value: Any) -> Iterable[Any]:
        fail_if_undefined(value)
        if value is None:
            return ()
        if isinstance(value, Mapping):
            return [MapEntry(key, item) for key, item in value.items()]
        if isinstance(value, list | tuple | set | frozenset):
            return value
        raise ExpressionError(f"cannot iterate over a {_operators.type_name(value)}")

    def k_context(self, context: Context, _ignored: Any) -> dict[str, Any]:
        return visible_variables(context)

    def k_lookup(self, context: Context, name: str) -> Any:
        value = context.resolve_or_missing(name)
        return self.undefined(name=name) if value is missing else value


def visible_variables(context: Context) -> dict[str, Any]:
    """The user-visible variables of a render (no functions, no hidden service keys)."""
    return {
        key: value
        for key, value in context.get_all().items()
        if not key.startswith(HIDDEN_PREFIX) and key not in context.environment.globals
    }
