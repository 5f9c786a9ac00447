"""The flow document (kestra-features.md §1.1): every top-level property and its parts."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from kestra_stream.inputs.model import AnyInput
from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration
from kestra_stream.models.labels import Labels, forbidden_system_labels, system_label_message
from kestra_stream.models.retry import Retry
from kestra_stream.models.task_options import WorkerGroup
from kestra_stream.plugins.base import ID_PATTERN, AnyCondition, AnyTask, AnyTrigger

FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
OUTPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"
RESERVED_FLOW_IDS = frozenset(
    {
        "pause",
        "resume",
        "force-run",
        "change-status",
        "kill",
        "executions",
        "search",
        "source",
        "disable",
        "enable",
    }
)


class PluginDefault(KestraModel):
    """Default property ``values`` for every plugin whose type equals or starts with ``type``."""

    type: str = Field(min_length=1)
    forced: bool = False
    values: dict[str, Any] = Field(default_factory=dict)


class ConcurrencyBehavior(StrEnum):
    QUEUE = "QUEUE"
    CANCEL = "CANCEL"
    FAIL = "FAIL"


class Concurrency(KestraModel):
    limit: int = Field(ge=1)
    behavior: ConcurrencyBehavior = ConcurrencyBehavior.QUEUE


class OutputType(StrEnum):
    ARRAY = "ARRAY"
    BOOLEAN = "BOOLEAN"
    BOOL = "BOOL"
    DATE = "DATE"
    DATETIME = "DATETIME"
    DURATION = "DURATION"
    EMAIL = "EMAIL"
    ENUM = "ENUM"
    FILE = "FILE"
    FLOAT = "FLOAT"
    INT = "INT"
    JSON = "JSON"
    MULTISELECT = "MULTISELECT"
    SECRET = "SECRET"
    SELECT = "SELECT"
    STRING = "STRING"
    TIME = "TIME"
    URI = "URI"
    YAML = "YAML"


class FlowOutput(KestraModel):
    id: str = Field(pattern=OUTPUT_ID_PATTERN)
    type: OutputType | None = Field(None, description="Missing means untyped (no conversion).")
    value: Any
    description: str | None = None
    display_name: str | None = None
    required: bool | None = None


class SLAType(StrEnum):
    MAX_DURATION = "MAX_DURATION"
    EXECUTION_ASSERTION = "EXECUTION_ASSERTION"


class SLABehavior(StrEnum):
    FAIL = "FAIL"
    CANCEL = "CANCEL"
    NONE = "NONE"


class SLA(KestraModel):
    id: str = Field(pattern=ID_PATTERN)
    type: SLAType
    duration: Duration | None = None
    assert_: str | None = Field(None, alias="assert")
    behavior: SLABehavior = SLABehavior.FAIL
    labels: Labels | None = None

    @model_validator(mode="after")
    def _fields_of_type(self) -> SLA:
        if self.type is SLAType.MAX_DURATION and self.duration is None:
            raise ValueError("`duration` is required for a MAX_DURATION SLA")
        if self.type is SLAType.EXECUTION_ASSERTION and self.assert_ is None:
            raise ValueError("`assert` is required for an EXECUTION_ASSERTION SLA")
        return self


class CheckStyle(StrEnum):
    INFO = "INFO"
    ERROR = "ERROR"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"


class CheckBehavior(StrEnum):
    BLOCK_EXECUTION = "BLOCK_EXECUTION"
    FAIL_EXECUTION = "FAIL_EXECUTION"
    CREATE_EXECUTION = "CREATE_EXECUTION"


class Check(KestraModel):
    condition: str
    message: str
    style: CheckStyle = CheckStyle.INFO
    behavior: CheckBehavior = CheckBehavior.BLOCK_EXECUTION


class Listener(KestraModel):
    """Deprecated (replaced by Flow triggers and ``afterExecution``)."""

    description: str | None = None
    conditions: list[AnyCondition] | None = None
    tasks: list[AnyTask] = Field(min_length=1)


def _no_system_labels(labels: Any) -> Any:
    offending = forbidden_system_labels(labels or ())
    if offending:
        raise ValueError(system_label_message(offending[0]))
    return labels


class Flow(KestraModel):
    id: str = Field(min_length=1, max_length=100, pattern=FLOW_ID_PATTERN)
    namespace: str = Field(min_length=1, max_length=150, pattern=NAMESPACE_PATTERN)
    revision: int | None = Field(None, ge=1)
    description: str | None = None
    labels: Labels | None = None
    inputs: list[AnyInput] | None = None
    variables: dict[str, Any] | None = None
    tasks: list[AnyTask] = Field(min_length=1)
    errors: list[AnyTask] | None = None
    finally_: list[AnyTask] | None = Field(None, alias="finally")
    after_execution: list[AnyTask] | None = None
    triggers: list[AnyTrigger] | None = None
    plugin_defaults: list[PluginDefault] | None = None
    task_defaults: list[PluginDefault] | None = Field(
        None, description="Deprecated alias of `pluginDefaults`."
    )
    concurrency: Concurrency | None = None
    outputs: list[FlowOutput] | None = None
    retry: Retry | None = None
    sla: list[SLA] | None = None
    checks: list[Check] | None = None
    disabled: bool = False
    worker_group: WorkerGroup | None = None
    deleted: bool = False
    tenant_id: str | None = None
    listeners: list[Listener] | None = None
    updated: str | None = Field(None, description="Server-managed date of the last change.")

    _labels_are_user_labels = field_validator("labels")(_no_system_labels)

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value.lower() in RESERVED_FLOW_IDS:
            raise ValueError(
                f"`{value}` is a reserved flow id (reserved: {', '.join(sorted(RESERVED_FLOW_IDS))})"
            )
        return value

    @property
    def uid(self) -> str:
        return "_".join(
            str(part) for part in (self.tenant_id, self.namespace, self.id, self.revision) if part
        )

    @property
    def uid_without_revision(self) -> str:
        return "_".join(part for part in (self.tenant_id, self.namespace, self.id) if part)

    def all_plugin_defaults(self) -> list[PluginDefault]:
        return [*(self.plugin_defaults or ()), *(self.task_defaults or ())]
