"""Small helpers shared by the core tasks."""

from __future__ import annotations

from typing import Any

import orjson


def as_text(value: Any) -> str:
    """A rendered value as the string Kestra would print (``true``, ``2``, JSON for collections)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return str(value)


def as_list(value: Any) -> list[Any]:
    """A list, or a JSON string holding one (``files: "{{ outputs.x.uris | json }}"``)."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = orjson.loads(text)
            if isinstance(parsed, list):
                return parsed
        return [text] if text else []
    if value is None:
        return []
    return [value]


def as_map(value: Any, what: str) -> dict[str, Any]:
    """A map, or a JSON string holding one."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = orjson.loads(value) if value.strip() else {}
    if not isinstance(value, dict):
        raise ValueError(f"`{what}` must be a map, got {type(value).__name__}")
    return {str(key): item for key, item in value.items()}
