"""``fromJson`` (old name ``json``), ``fromIon`` and ``yaml``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import yaml as yaml_library

from kestra_stream import ion as ion_text
from kestra_stream.expressions.errors import ExpressionError


def from_json(json: Any = None) -> Any:
    if json is None:
        return None
    try:
        return orjson.loads(json)
    except orjson.JSONDecodeError as error:
        raise ExpressionError(f"Invalid JSON: {error}") from None


def from_ion(ion: Any = None) -> Any:
    if ion is None:
        return None
    try:
        return ion_text.loads(str(ion))
    except ion_text.IonError as error:
        raise ExpressionError(str(error)) from None


def yaml(yaml: Any = None) -> Any:
    if yaml is None:
        return None
    try:
        return yaml_library.safe_load(str(yaml))
    except yaml_library.YAMLError as error:
        raise ExpressionError(f"Invalid YAML: {error}") from None


PARSING_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "fromJson": from_json,
    "json": from_json,
    "jsonDecode": from_json,
    "fromIon": from_ion,
    "ionDecode": from_ion,
    "yaml": yaml,
}
