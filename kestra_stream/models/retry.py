"""Retry policies of tasks and flows: ``constant``, ``exponential`` or ``random`` delays."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, model_validator

from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import Duration


class RetryBehavior(StrEnum):
    RETRY_FAILED_TASK = "RETRY_FAILED_TASK"
    CREATE_NEW_EXECUTION = "CREATE_NEW_EXECUTION"


class _RetryPolicy(KestraModel):
    max_attempts: int | None = Field(
        None,
        ge=1,
        validation_alias=AliasChoices("maxAttempts", "maxAttempt", "max_attempts"),
        serialization_alias="maxAttempts",
        description="Attempts in total, the first one included (`maxAttempt` before 0.24).",
    )
    max_duration: Duration | None = Field(None, description="Retries stop once this much time has passed.")
    warning_on_retry: bool = Field(False, description="Success after more than one attempt ends WARNING.")
    behavior: RetryBehavior = RetryBehavior.RETRY_FAILED_TASK


class ConstantRetry(_RetryPolicy):
    type: Literal["constant"]
    interval: Duration


class ExponentialRetry(_RetryPolicy):
    type: Literal["exponential"]
    interval: Duration
    max_interval: Duration
    delay_factor: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _interval_below_max(self) -> ExponentialRetry:
        if self.interval > self.max_interval:
            raise ValueError("`interval` must be lower than or equal to `maxInterval`")
        return self


class RandomRetry(_RetryPolicy):
    type: Literal["random"]
    min_interval: Duration
    max_interval: Duration

    @model_validator(mode="after")
    def _min_below_max(self) -> RandomRetry:
        if self.min_interval > self.max_interval:
            raise ValueError("`minInterval` must be lower than or equal to `maxInterval`")
        return self


Retry = Annotated[ConstantRetry | ExponentialRetry | RandomRetry, Field(discriminator="type")]
