"""``kv.Set``, ``kv.Get``, ``kv.Delete``, ``kv.GetKeys`` on the namespace KV store."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

import orjson

from kestra_stream.kv import InvalidKVKeyError, KVKeyExistsError
from kestra_stream.models.durations import format_duration, to_timedelta
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import flow_namespace

KVType = Literal["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"]
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def typed_value(value: Any, kv_type: KVType | None) -> Any:
    """Parse a rendered value per ``kvType`` (string inputs are converted, as Kestra does)."""
    if kv_type is None:
        return value
    if kv_type == "STRING":
        return as_text(value)
    if kv_type == "JSON":
        return orjson.loads(value) if isinstance(value, str) else value
    text = as_text(value).strip()
    if kv_type == "NUMBER":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if not _NUMBER.match(text):
            raise ValueError(f"`{text}` is not a number")
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kv_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if text.lower() not in ("true", "false"):
            raise ValueError(f"`{text}` is not a boolean")
        return text.lower() == "true"
    if kv_type == "DATETIME":
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    if kv_type == "DATE":
        return date.fromisoformat(text).isoformat()
    return format_duration(to_timedelta(text))


def _namespace(ctx: RunContext, namespace: str | None) -> str:
    return as_text(ctx.render(namespace)) if namespace else flow_namespace(ctx)


def _key(ctx: RunContext, key: str) -> str:
    return as_text(ctx.render(key))


@plugin("io.kestra.plugin.core.kv.Set")
class Set(RunnableTask):
    key: str = dynamic()
    value: Any = dynamic()
    namespace: str | None = dynamic(None)
    overwrite: bool = True
    ttl: str | None = dynamic(None)
    kv_type: KVType | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace, key = _namespace(ctx, self.namespace), _key(ctx, self.key)
        try:
            value = typed_value(ctx.render(self.value), self.kv_type)
        except ValueError as error:
            raise TaskFailure(f"value of key `{key}` is not a valid {self.kv_type}: {error}") from error
        ttl = as_text(ctx.render(self.ttl)) if self.ttl else None
        try:
            ctx.kv.set(namespace, key, value, ttl=ttl, overwrite=self.overwrite)
        except (KVKeyExistsError, InvalidKVKeyError, ValueError) as error:
            raise TaskFailure(str(error)) from error
        return {}


@plugin("io.kestra.plugin.core.kv.Get")
class Get(RunnableTask):
    key: str = dynamic()
    namespace: str | None = dynamic(None)
    error_on_missing: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace, key = _namespace(ctx, self.namespace), _key(ctx, self.key)
        value = ctx.kv.get(namespace, key)
        if value is None:
            if self.error_on_missing:
                raise TaskFailure(f"No value found for key '{key}' in namespace '{namespace}'")
            return {}
        return {"value": value}


@plugin("io.kestra.plugin.core.kv.Delete")
class Delete(RunnableTask):
    key: str = dynamic()
    namespace: str | None = dynamic(None)
    error_on_missing: bool = False

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        namespace, key = _namespace(ctx, self.namespace), _key(ctx, self.key)
        deleted = ctx.kv.delete(namespace, key)
        if not deleted and self.error_on_missing:
            raise TaskFailure(f"No value found for key '{key}' in namespace '{namespace}'")
        return {"deleted": deleted}


@plugin("io.kestra.plugin.core.kv.GetKeys")
class GetKeys(RunnableTask):
    prefix: str | None = dynamic(None)
    namespace: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        prefix = as_text(ctx.render(self.prefix)) if self.prefix else None
        return {"keys": ctx.kv.keys(_namespace(ctx, self.namespace), prefix)}
