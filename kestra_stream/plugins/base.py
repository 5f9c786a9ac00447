"""Base classes of every plugin: tasks (runnable and flowable), triggers, conditions, task runners.

Plugins are pydantic models whose Python fields are snake_case and whose YAML/JSON names are
Kestra's camelCase. Unknown properties are rejected, as Kestra does.

A property holding another plugin is typed with :data:`AnyTask`, :data:`AnyTrigger`,
:data:`AnyCondition` or :data:`AnyTaskRunner`: its ``type`` is looked up in the registry, then the
whole object is validated by the class found, so nested errors keep their full path.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializationInfo,
    WithJsonSchema,
    field_validator,
)

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import DynamicDuration
from kestra_stream.models.labels import Label, Labels, forbidden_system_labels, system_label_message
from kestra_stream.models.retry import Retry
from kestra_stream.models.state import StateType
from kestra_stream.models.task_options import LogLevel, TaskCache, WorkerGroup
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.registry import registry

__all__ = [
    "DYNAMIC",
    "AnyCondition",
    "AnyTask",
    "AnyTaskRunner",
    "AnyTrigger",
    "Condition",
    "ExecutionUpdatingTask",
    "FlowableTask",
    "KestraModel",
    "Plugin",
    "PollingTrigger",
    "RunnableTask",
    "Task",
    "TaskRunner",
    "Trigger",
    "dynamic",
]

DYNAMIC = "x-dynamic"
ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"


def dynamic(default: Any = ..., **kwargs: Any) -> Any:
    """A property rendered with the expression engine before use (Kestra's "dynamic: true")."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra[DYNAMIC] = True
    return Field(default, json_schema_extra=extra, **kwargs)


class Plugin(KestraModel):
    type: str
    plugin_type: ClassVar[str] = ""
    plugin_aliases: ClassVar[tuple[str, ...]] = ()
    outputs_model: ClassVar[builtins.type[BaseModel] | None] = None
    """The outputs a task returns (or the variables a trigger exposes), for docs and the schema."""
    unsupported_properties: ClassVar[Mapping[str, str]] = {}
    """Properties validation accepts that kestra-stream does not implement, declared by the class
    that adds them (YAML name → what happens instead). Each one a flow sets is a WARN line in the
    log of every execution of the flow (``unsupported_in_use``); tests/flows/test_schema_properties.py
    fails on a schema property that is neither read by the code nor listed here."""

    def unsupported_in_use(self) -> list[tuple[str, str]]:
        """``(property, what happens instead)`` for each unsupported property this plugin sets,
        its option models included (``options.connectionPoolIdleTimeout``)."""
        return sorted(_unsupported_in(self, ""))

    @classmethod
    def dynamic_properties(cls) -> frozenset[str]:
        return frozenset(
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(DYNAMIC)
        )


def _unsupported_in(model: BaseModel, prefix: str) -> Iterator[tuple[str, str]]:
    declared: dict[str, str] = {}
    for klass in reversed(type(model).__mro__):
        declared.update(getattr(klass, "unsupported_properties", {}))
    fields = type(model).model_fields
    for name in model.model_fields_set:
        alias = fields[name].alias or name
        value = getattr(model, name)
        if alias in declared:
            yield prefix + alias, declared[alias]
        elif isinstance(value, BaseModel) and not isinstance(value, Plugin):
            yield from _unsupported_in(value, f"{prefix}{alias}.")


class Task(Plugin):
    """Properties common to every task (kestra-features.md §2.1)."""

    id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    retry: Retry | None = None
    timeout: DynamicDuration | None = dynamic(None)
    disabled: bool = False
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: str | None = dynamic(None)
    log_level: LogLevel | None = None
    log_to_file: bool = False
    worker_group: WorkerGroup | None = None
    task_cache: TaskCache | None = None
    version: str | None = None

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "logToFile": "the task's logs go to the log repository only, no log file is stored",
    }


class RunnableTask(Task):
    """Runs on a worker; returns its outputs (JSON-compatible, large data as ``kestra://`` URIs)."""

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        raise NotImplementedError


class FlowableTask(Task):
    """Runs in the executor: decides which child task runs come next (issue 4 adds the logic)."""


class ExecutionUpdatingTask(Task):
    """Changes the execution itself (variables, state); applied by the executor, not a worker."""


class Condition(Plugin):
    """A predicate on a trigger's context; a list of conditions is AND-ed."""


class TaskRunner(Plugin):
    """Where a script task runs (``taskRunner: {type: ...}``).

    kestra-stream runs every script as a local process of the worker: a runner other than
    ``Process`` is accepted (its properties validated) and says so with a WARN log.
    """

    def before_run(self, ctx: RunContext) -> None:
        ctx.logger.warn(
            f"task runner `{self.type}` is not available in kestra-stream: running as a local process"
        )


def _dump_as_own_class(value: BaseModel, info: SerializationInfo) -> Any:
    """Serialize a plugin with all the properties of its own class, not just the declared base's."""
    return value.model_dump(
        mode=info.mode,
        by_alias=bool(info.by_alias),
        exclude_none=info.exclude_none,
        exclude_defaults=info.exclude_defaults,
        exclude_unset=info.exclude_unset,
        round_trip=info.round_trip,
    )


_AS_OWN_CLASS = PlainSerializer(_dump_as_own_class)

AnyTask = Annotated[
    Task,
    PlainValidator(registry.validator_for(Task)),
    WithJsonSchema({"allOf": [{"$ref": "#/$defs/Task"}]}),
    _AS_OWN_CLASS,
]
AnyCondition = Annotated[
    Condition,
    PlainValidator(registry.validator_for(Condition)),
    WithJsonSchema({"allOf": [{"$ref": "#/$defs/Condition"}]}),
    _AS_OWN_CLASS,
]
AnyTaskRunner = Annotated[
    TaskRunner,
    PlainValidator(registry.validator_for(TaskRunner)),
    WithJsonSchema({"allOf": [{"$ref": "#/$defs/TaskRunner"}]}),
    _AS_OWN_CLASS,
]


class Trigger(Plugin):
    """Properties common to every trigger (kestra-features.md §4.1)."""

    id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    disabled: bool = False
    conditions: list[AnyCondition] | None = None
    labels: Labels | None = None
    stop_after: list[StateType] | None = None
    allow_concurrent: bool = False
    fail_on_trigger_error: bool = False
    log_level: LogLevel | None = None
    min_log_level: LogLevel | None = None
    log_to_file: bool = False
    worker_group: WorkerGroup | None = None
    version: str | None = None

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "logLevel": "trigger evaluations log to the server log, unfiltered",
        "minLogLevel": "trigger evaluations log to the server log, unfiltered",
        "logToFile": "trigger evaluations log to the server log, no log file is stored",
        "failOnTriggerError": "an evaluation error is logged and the trigger tries again next time",
    }

    @field_validator("labels")
    @classmethod
    def _user_labels_only(cls, labels: tuple[Label, ...] | None) -> tuple[Label, ...] | None:
        offending = forbidden_system_labels(labels or ())
        if offending:
            raise ValueError(system_label_message(offending[0]))
        return labels


class PollingTrigger(Trigger):
    """Evaluated by a worker every ``interval``."""

    interval: DynamicDuration | None = None


AnyTrigger = Annotated[
    Trigger,
    PlainValidator(registry.validator_for(Trigger)),
    WithJsonSchema({"allOf": [{"$ref": "#/$defs/Trigger"}]}),
    _AS_OWN_CLASS,
]
