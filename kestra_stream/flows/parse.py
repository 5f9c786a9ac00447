"""From YAML text to a validated :class:`Flow`, or every violation with its line and column."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kestra_stream.flows._yaml import Path, YamlDocument, YamlSyntaxError, load_documents
from kestra_stream.flows.checks import check_flow
from kestra_stream.flows.defaults import apply_plugin_defaults
from kestra_stream.flows.errors import FlowValidationError, Violation, format_path
from kestra_stream.flows.model import Flow, PluginDefault
from kestra_stream.plugins.registry import PluginRegistry, UnknownPluginError
from kestra_stream.plugins.registry import registry as default_registry


@dataclass(frozen=True, slots=True)
class FlowResult:
    """One YAML document of a source: the flow, or why it is invalid."""

    flow: Flow | None
    violations: tuple[Violation, ...]
    line: int = 1

    @property
    def valid(self) -> bool:
        return not self.violations


def validate_source(
    source: str,
    *,
    defaults: Iterable[PluginDefault] = (),
    registry: PluginRegistry | None = None,
) -> list[FlowResult]:
    """Validate every ``---``-separated flow of ``source``; never raises for an invalid flow."""
    defaults = list(defaults)
    results: list[FlowResult] = []
    try:
        for document in load_documents(source):
            results.append(_validate_document(document, defaults, registry or default_registry))
    except YamlSyntaxError as error:
        position = error.position
        violation = Violation(
            "", str(error), position.line if position else None, position.column if position else None
        )
        results.append(FlowResult(None, (violation,), position.line if position else 1))
    if not results:
        results.append(
            FlowResult(
                None, (Violation("", "empty document: a flow needs `id`, `namespace` and `tasks`", 1, 1),)
            )
        )
    return results


def parse_flows(
    source: str, *, defaults: Iterable[PluginDefault] = (), registry: PluginRegistry | None = None
) -> list[Flow]:
    """Every flow of a multi-document source; raises :class:`FlowValidationError` listing the
    violations of all of them."""
    results = validate_source(source, defaults=defaults, registry=registry)
    violations = [violation for result in results for violation in result.violations]
    if violations:
        raise FlowValidationError(violations)
    return [result.flow for result in results if result.flow is not None]


def parse_flow(
    source: str, *, defaults: Iterable[PluginDefault] = (), registry: PluginRegistry | None = None
) -> Flow:
    """The flow of ``source`` with plugin defaults applied; raises :class:`FlowValidationError`."""
    flows = parse_flows(source, defaults=defaults, registry=registry)
    if len(flows) != 1:
        raise FlowValidationError(
            [Violation("", f"expected one flow, found {len(flows)} YAML documents", 1, 1)]
        )
    return flows[0]


def _validate_document(
    document: YamlDocument, defaults: list[PluginDefault], registry: PluginRegistry
) -> FlowResult:
    violations = [
        _violation(document, duplicate.path, f"Duplicate field '{duplicate.path[-1]}'")
        for duplicate in document.duplicates
    ]
    if not isinstance(document.data, Mapping):
        violations.append(
            _violation(document, (), "a flow must be a YAML mapping with `id`, `namespace` and `tasks`")
        )
        return FlowResult(None, tuple(violations), document.start.line)
    data = apply_plugin_defaults(document.data, defaults)
    flow: Flow | None = None
    try:
        flow = Flow.model_validate(data, context={"registry": registry})
    except ValidationError as error:
        violations.extend(_from_pydantic(error, document, data, registry))
    if flow is not None:
        violations.extend(_violation(document, path, message) for path, message in check_flow(flow))
    if violations:
        ordered = sorted(
            _unique(violations), key=lambda violation: (violation.line or 0, violation.column or 0)
        )
        return FlowResult(None, tuple(ordered), document.start.line)
    return FlowResult(flow, (), document.start.line)


def _unique(violations: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(violations))


def _violation(document: YamlDocument, path: Path, message: str) -> Violation:
    position = document.position_of(path)
    return Violation(format_path(path), message, position.line, position.column)


def _resolve_path(data: Any, loc: tuple[str | int, ...]) -> tuple[Path, Any]:
    """The document path of a pydantic location (union member names dropped) and the parent."""
    path: list[str | int] = []
    node: Any = data
    parent: Any = None
    for index, segment in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
            parent, node = node, node[segment]
            path.append(segment)
        elif isinstance(node, Mapping):
            key = next((key for key in node if _key_text(key) == str(segment)), None)
            if key is not None:
                parent, node = node, node[key]
                path.append(_key_text(key))
            elif last:
                parent = node
                path.append(str(segment))
        # else: a union member's name, or a segment below a scalar: not part of the document
    return tuple(path), parent


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _message(error: ErrorDetails, parent: Any, registry: PluginRegistry) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "must not be null"
    if kind == "extra_forbidden":
        return _unrecognized(str(error["loc"][-1]), parent, registry)
    if kind == "string_pattern_mismatch":
        return f'must match "{context.get("pattern")}"'
    if kind == "too_short" and context.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"size must be between 0 and {context.get('max_length')}"
    if kind == "greater_than_equal":
        return f"must be greater than or equal to {context.get('ge')}"
    if kind == "union_tag_invalid":
        return f"Invalid type: {context.get('tag')}, expected one of {context.get('expected_tags')}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def _unrecognized(name: str, parent: Any, registry: PluginRegistry) -> str:
    message = f'Unrecognized field "{name}"'
    type_name = parent.get("type") if isinstance(parent, Mapping) else None
    if isinstance(type_name, str):
        try:
            cls = registry.resolve(type_name)
        except UnknownPluginError:
            return message
        known = [info.alias or field for field, info in cls.model_fields.items()]
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            message += f" (did you mean `{close[0]}`?)"
    return message


def _from_pydantic(
    error: ValidationError, document: YamlDocument, data: Any, registry: PluginRegistry
) -> list[Violation]:
    violations = []
    for detail in error.errors():
        loc = tuple(detail["loc"])
        if detail["type"] == "union_tag_invalid":
            loc = (*loc, str((detail.get("ctx") or {}).get("discriminator", "type")).strip("'"))
        path, parent = _resolve_path(data, loc)
        violations.append(_violation(document, path, _message(detail, parent, registry)))
    return violations
