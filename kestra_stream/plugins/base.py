"""Base classes of every plugin: tasks (runnable and flowable), triggers and conditions.

Plugins are pydantic models whose Python fields are snake_case and whose YAML/JSON names are
Kestra's camelCase. Unknown properties are rejected, as Kestra does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from kestra_stream.plugins.context import RunContext

DYNAMIC = "x-dynamic"


def dynamic(default: Any = ..., **kwargs: Any) -> Any:
    """A property rendered with the expression engine before use (Kestra's "dynamic: true")."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra[DYNAMIC] = True
    return Field(default, json_schema_extra=extra, **kwargs)


class KestraModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Plugin(KestraModel):
    type: str
    plugin_type: ClassVar[str] = ""
    plugin_aliases: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def dynamic_properties(cls) -> frozenset[str]:
        return frozenset(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(DYNAMIC)
        )


class Task(Plugin):
    """Properties common to every task (kestra-features.md §2.1)."""

    id: str
    description: str | None = None
    retry: Any = None
    timeout: str | None = dynamic(None)
    disabled: bool = False
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: str | None = dynamic(None)
    log_level: str | None = None
    log_to_file: bool = False
    worker_group: Any = None
    task_cache: Any = None


class RunnableTask(Task):
    """Runs on a worker; returns its outputs (JSON-compatible, large data as ``kestra://`` URIs)."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        raise NotImplementedError


class FlowableTask(Task):
    """Runs in the executor: decides which child task runs come next (issue 4 adds the logic)."""
