"""Turning a raw value (form text, JSON, YAML, trigger or subflow value) into a typed input value.

Values stay JSON-compatible, in the form Kestra serializes them: dates, times and durations are
canonical ISO-8601 strings, JSON and YAML are parsed into maps and lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

import yaml

from kestra_stream.inputs.errors import InputValueError
from kestra_stream.models.dates import format_instant_micros
from kestra_stream.models.durations import format_duration, parse_duration
from kestra_stream.yaml_loader import load_yaml


class InputType(StrEnum):
    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"
    BOOL = "BOOL"
    BOOLEAN = "BOOLEAN"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"
    ENUM = "ENUM"
    DATETIME = "DATETIME"
    DATE = "DATE"
    TIME = "TIME"
    DURATION = "DURATION"
    FILE = "FILE"
    JSON = "JSON"
    YAML = "YAML"
    URI = "URI"
    SECRET = "SECRET"
    ARRAY = "ARRAY"
    EMAIL = "EMAIL"


_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _invalid(type_name: str) -> InputValueError:
    return InputValueError(f"it must be a valid `{type_name}`")


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid("INT")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise _invalid("INT") from None


def parse_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _invalid("FLOAT")
    try:
        return float(value if isinstance(value, int | float) else str(value).strip())
    except ValueError:
        raise _invalid("FLOAT") from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text == "true"
    raise _invalid("BOOL")


def parse_lenient_boolean(value: Any) -> bool:
    """Deprecated ``BOOLEAN``: Java's ``Boolean.valueOf``, anything but "true" is false."""
    return value if isinstance(value, bool) else str(value).strip().lower() == "true"


def parse_datetime(value: Any) -> str:
    return format_instant_micros(to_datetime(value))


def to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise _invalid("DATETIME") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid("DATE") from None


def to_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid("TIME") from None


def parse_duration_value(value: Any) -> str:
    try:
        return format_duration(parse_duration(str(value)))
    except ValueError:
        raise _invalid("DURATION") from None


def parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise InputValueError(f"Expected `JSON` with errors: {error}") from None


def parse_yaml(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return load_yaml(value)
    except yaml.YAMLError as error:
        raise InputValueError(f"Expected `YAML` with errors: {error}") from None


def parse_uri(value: Any) -> str:
    text = as_text(value).strip()
    if not _URI.match(text):
        raise _invalid("URI")
    return text


def parse_email(value: Any) -> str:
    text = as_text(value).strip()
    if not _EMAIL.match(text):
        raise InputValueError("it must be a valid email")
    return text


def parse_list(value: Any, type_name: str) -> list[Any]:
    """A list, or its JSON text; a lone scalar becomes a one-element list."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                raise _invalid(type_name) from None
            if isinstance(parsed, list):
                return parsed
        return [value]
    raise _invalid(type_name)


SCALAR_PARSERS: dict[InputType, Callable[[Any], Any]] = {
    InputType.STRING: as_text,
    InputType.SECRET: as_text,
    InputType.SELECT: as_text,
    InputType.ENUM: as_text,
    InputType.INT: parse_int,
    InputType.FLOAT: parse_float,
    InputType.BOOL: parse_bool,
    InputType.BOOLEAN: parse_lenient_boolean,
    InputType.DATETIME: parse_datetime,
    InputType.DATE: lambda value: to_date(value).isoformat(),
    InputType.TIME: lambda value: to_time(value).isoformat(),
    InputType.DURATION: parse_duration_value,
    InputType.JSON: parse_json,
    InputType.YAML: parse_yaml,
    InputType.URI: parse_uri,
    InputType.EMAIL: parse_email,
    InputType.FILE: as_text,
    InputType.MULTISELECT: lambda value: [as_text(item) for item in parse_list(value, "MULTISELECT")],
}
