"""Bytes ↔ engine objects on the executor's topics (orjson + the messages' own decoders)."""

from __future__ import annotations

from kestra_stream.executor.core import (
    Command,
    EmitConcurrencyRequest,
    EmitExecutionMessage,
    EmitKill,
    EmitLog,
    EmitPreconditionRequest,
    ExecutorEvent,
    SubmitWorkerJob,
)
from kestra_stream.executor.messages import WorkerTaskResult, execution_message_from_json
from kestra_stream.executor.state import ExecutorState
from kestra_stream.queue import Outgoing, Record, TopicRef, worker_jobs_topic

EXECUTIONS = TopicRef("executions")
RESULTS = TopicRef("worker-task-results")
STATES = TopicRef("execution-states")
KILLS = TopicRef("execution-kills")
LOGS = TopicRef("logs")
CONCURRENCY_REQUESTS = TopicRef("concurrency-requests")
PRECONDITION_REQUESTS = TopicRef("flow-trigger-preconditions")


class UnroutableCommandError(ValueError):
    pass


def decode_event(record: Record) -> ExecutorEvent:
    """Raises on an undecodable value (a poison record)."""
    if record.value is None:
        raise ValueError("tombstone on an input topic")
    if record.topic == RESULTS:
        result: WorkerTaskResult = WorkerTaskResult.from_json(record.value)
        return result
    return execution_message_from_json(record.value)


def encode_command(command: Command) -> Outgoing:
    if isinstance(command, SubmitWorkerJob):
        job = command.job
        return Outgoing(worker_jobs_topic(job.worker_group), job.task_run.id.encode(), job.to_json())
    if isinstance(command, EmitExecutionMessage):
        message = command.message
        return Outgoing(EXECUTIONS, message.execution_id.encode(), message.to_json())
    if isinstance(command, EmitKill):
        return Outgoing(KILLS, command.kill.execution_id.encode(), command.kill.to_json())
    if isinstance(command, EmitLog):
        return Outgoing(LOGS, None, command.entry.to_json())
    if isinstance(command, EmitConcurrencyRequest):
        request = command.request
        return Outgoing(CONCURRENCY_REQUESTS, request.flow_key.encode(), request.to_json())
    if isinstance(command, EmitPreconditionRequest):
        precondition = command.request
        return Outgoing(PRECONDITION_REQUESTS, precondition.trigger_key.encode(), precondition.to_json())
    raise UnroutableCommandError(f"unknown command {type(command).__name__}")


def changelog_record(execution_id: str, state: ExecutorState | None) -> Outgoing:
    return Outgoing(STATES, execution_id.encode(), None if state is None else state.to_bytes())
