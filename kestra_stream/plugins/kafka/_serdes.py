"""Kafka key/value (de)serializers with the names of Kestra's Kafka plugin (``SerdeType``)."""

from __future__ import annotations

import base64
import struct
import uuid
from enum import StrEnum
from typing import Any

import orjson


class SerdeType(StrEnum):
    STRING = "STRING"
    INTEGER = "INTEGER"
    FLOAT = "FLOAT"
    DOUBLE = "DOUBLE"
    LONG = "LONG"
    SHORT = "SHORT"
    BYTE_ARRAY = "BYTE_ARRAY"
    BYTE_BUFFER = "BYTE_BUFFER"
    BYTES = "BYTES"
    UUID = "UUID"
    VOID = "VOID"
    JSON = "JSON"
    AVRO = "AVRO"


_NUMBERS = {
    SerdeType.INTEGER: ">i",
    SerdeType.LONG: ">q",
    SerdeType.SHORT: ">h",
    SerdeType.FLOAT: ">f",
    SerdeType.DOUBLE: ">d",
}
_BINARY = (SerdeType.BYTE_ARRAY, SerdeType.BYTE_BUFFER, SerdeType.BYTES)


class SerdeError(ValueError):
    pass


def serialize(value: Any, serde: SerdeType) -> bytes | None:
    """Java's big-endian numbers, UTF-8 strings, JSON text; binary values as bytes or base64 text."""
    if value is None or serde is SerdeType.VOID:
        return None
    if serde is SerdeType.AVRO:
        raise SerdeError("AVRO needs a schema registry, not available in kestra-stream")
    if serde in _NUMBERS:
        number = float(value) if serde in (SerdeType.FLOAT, SerdeType.DOUBLE) else int(value)
        return struct.pack(_NUMBERS[serde], number)
    if serde in _BINARY:
        return value if isinstance(value, bytes) else base64.b64decode(str(value))
    if serde is SerdeType.JSON:
        return orjson.dumps(value)
    if serde is SerdeType.UUID:
        return str(uuid.UUID(str(value))).encode()
    return (value if isinstance(value, str) else orjson.dumps(value).decode()).encode()


def deserialize(data: bytes | None, serde: SerdeType) -> Any:
    """Binary values come back as base64 text (Jackson's rendering of ``byte[]``)."""
    if data is None or serde is SerdeType.VOID:
        return None
    if serde is SerdeType.AVRO:
        raise SerdeError("AVRO needs a schema registry, not available in kestra-stream")
    if serde in _NUMBERS:
        try:
            return struct.unpack(_NUMBERS[serde], data)[0]
        except struct.error as error:
            raise SerdeError(f"{serde}: {error} ({len(data)} bytes)") from None
    if serde in _BINARY:
        return base64.b64encode(data).decode()
    text = data.decode("utf-8")
    if serde is SerdeType.JSON:
        return orjson.loads(text) if text else None
    return text
