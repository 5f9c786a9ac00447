"""Helpers of the storage tasks."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.storage import InvalidStorageUriError, StorageFileNotFoundError

_DATA_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 1024, "KB": 1024, "M": 1024**2, "MB": 1024**2, "G": 1024**3, "GB": 1024**3}
_UNITS.update({"T": 1024**4, "TB": 1024**4})


def parse_data_size(value: str | int) -> int:
    """``10MB`` → bytes (binary units, as Micronaut's ``ReadableBytes``)."""
    if isinstance(value, int):
        return value
    match = _DATA_SIZE.match(value)
    if match is None:
        raise TaskFailure(f"invalid data size `{value}` (e.g. 512KB, 10MB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def extension(value: str | None, default: str) -> str:
    text = (value or default).strip()
    if not text:
        return ""
    if "/" in text:
        raise TaskFailure(f"invalid extension `{text}`")
    return text if text.startswith(".") else "." + text


def temp_file(ctx: RunContext, suffix: str) -> Path:
    return ctx.working_dir / f"{uuid.uuid4().hex}{suffix}"


def fetch(ctx: RunContext, uri: object, destination: Path) -> Path:
    text = as_text(uri).strip()
    try:
        return ctx.get_file(text, destination)
    except StorageFileNotFoundError as error:
        raise TaskFailure(f"file not found: {text}") from error
    except (InvalidStorageUriError, PermissionError) as error:
        raise TaskFailure(str(error)) from error
