"""``kv.Set``, ``kv.Get``, ``kv.Delete``, ``kv.GetKeys``, ``kv.PurgeKV`` on the namespace KV store."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

import orjson
from pydantic import Field

from kestra_stream.kv import InvalidKVKeyError, KVEntry, KVKeyExistsError
from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import format_duration, to_timedelta
from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._purge import matching_namespaces, parse_before
from kestra_stream.plugins.core._values import as_text
from kestra_stream.plugins.registry import plugin
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.runtime.services import flow_namespace, storage_services
from kestra_stream.runtime.workdir import glob_regex

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


class KeyPurge(KestraModel):
    """``behavior: {type: key}``: whole keys go (only the expired ones with ``expiredOnly``)."""

    type: Literal["key"]
    expired_only: bool = False


class VersionPurge(KestraModel):
    """``behavior: {type: version}``. A key has one version here (its current value), so a key goes
    when that version is selected: ``keepAmount: 0``, or last updated ``before`` the date."""

    type: Literal["version"]
    keep_amount: int | None = Field(None, ge=0)
    before: str | None = None


@runtime_checkable
class PurgeableKVStore(Protocol):
    def purge(self, namespace: str, selected: Callable[[KVEntry, float], bool]) -> list[str]: ...


@plugin("io.kestra.plugin.core.kv.PurgeKV")
class PurgeKV(RunnableTask):
    key_pattern: str | None = dynamic(None)
    namespaces: list[str] | None = dynamic(None)
    namespace_pattern: str | None = dynamic(None)
    behavior: KeyPurge | VersionPurge = Field(
        default_factory=lambda: KeyPurge(type="key", expired_only=True), discriminator="type"
    )
    include_child_namespaces: bool = True
    expired_only: bool | None = None
    """Overrides ``behavior.expiredOnly`` when set."""

    def _selector(self, ctx: RunContext) -> Callable[[KVEntry, float], bool]:
        pattern = glob_regex(as_text(ctx.render(self.key_pattern))) if self.key_pattern else None
        behavior = self.behavior
        if isinstance(behavior, KeyPurge):
            expired_only = behavior.expired_only if self.expired_only is None else self.expired_only

            def by_key(entry: KVEntry, now: float) -> bool:
                return (pattern is None or bool(pattern.match(entry.key))) and (
                    not expired_only or entry.expired(now)
                )

            return by_key
        before = parse_before(as_text(ctx.render(behavior.before))).timestamp() if behavior.before else None

        def by_version(entry: KVEntry, now: float) -> bool:
            if pattern is not None and not pattern.match(entry.key):
                return False
            if self.expired_only and not entry.expired(now):
                return False
            return entry.updated < before if before is not None else behavior.keep_amount == 0

        return by_version

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        store = ctx.kv
        if not isinstance(store, PurgeableKVStore):
            raise TaskFailure("this worker's KV store cannot purge entries")
        namespaces = matching_namespaces(
            ctx,
            storage_services(ctx).storage,
            namespaces=self.namespaces,
            pattern=self.namespace_pattern,
            include_children=self.include_child_namespaces,
        )
        ctx.logger.info(f"purging {len(namespaces)} namespaces: {namespaces}")
        selected = self._selector(ctx)
        purged = sum(len(store.purge(namespace, selected)) for namespace in namespaces)
        ctx.logger.info(f"purged {purged} keys")
        return {"size": purged}
