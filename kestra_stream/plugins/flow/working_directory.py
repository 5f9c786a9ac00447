"""``WorkingDirectory``: children run one after another in one shared directory, on one worker."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration
from kestra_stream.models.payload import Payload
from kestra_stream.plugins.base import AnyTask, dynamic
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


class IfExists(StrEnum):
    OVERWRITE = "OVERWRITE"
    FAIL = "FAIL"
    WARN = "WARN"
    IGNORE = "IGNORE"


class NamespaceFiles(KestraModel):
    enabled: bool = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    namespaces: list[str] | None = None
    if_exists: IfExists = IfExists.OVERWRITE
    folder_per_namespace: bool = False


class Cache(KestraModel):
    patterns: list[str] = Field(min_length=1)
    ttl: Duration | None = None


class WorkingDirectoryOutputs(Payload):
    output_files: dict[str, str] | None = None


@plugin(*flow_type("WorkingDirectory"))
class WorkingDirectory(WithHandlers):
    tasks: list[AnyTask] = Field(min_length=1)
    namespace_files: NamespaceFiles | None = None
    input_files: dict[str, Any] | str | None = dynamic(None)
    output_files: list[str] | None = dynamic(None)
    cache: Cache | None = None
    outputs_model = WorkingDirectoryOutputs
    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "cache": "not implemented: the working directory starts empty every time",
    }
