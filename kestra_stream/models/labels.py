"""Labels: written as a map or as a list of ``{key, value}``, held as a list (keys may repeat)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from kestra_stream.models.payload import Payload

SYSTEM_PREFIX = "system."
USER_SETTABLE_SYSTEM_LABELS = frozenset({"system.readOnly"})


class Label(Payload):
    key: str
    value: str


def _scalar_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _normalize(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [{"key": str(key), "value": _scalar_text(item)} for key, item in value.items()]
    if isinstance(value, list):
        return [
            {**item, "value": _scalar_text(item.get("value"))} if isinstance(item, Mapping) else item
            for item in value
        ]
    return value


Labels = Annotated[
    tuple[Label, ...],
    BeforeValidator(_normalize),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                        "required": ["key", "value"],
                    },
                },
            ]
        }
    ),
]


def labels_as_map(labels: Iterable[Label]) -> dict[str, str]:
    """``{{ labels.x }}``: on duplicate keys the first wins."""
    result: dict[str, str] = {}
    for label in labels:
        result.setdefault(label.key, label.value)
    return result


def forbidden_system_labels(labels: Iterable[Label]) -> list[Label]:
    """Labels a user may not set (``system.*`` except ``system.readOnly``)."""
    return [
        label
        for label in labels
        if label.key.startswith(SYSTEM_PREFIX) and label.key not in USER_SETTABLE_SYSTEM_LABELS
    ]


def system_label_message(label: Label) -> str:
    return f"System labels can only be set by Kestra itself, offending label: {label.key}={label.value}"
