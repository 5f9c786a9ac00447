"""Cost of the pure orchestration core per event, on Kestra's benchmark-1 flow (OutputValues → Log).

Run: ``.venv/bin/python bench/executor_core.py``. Prints µs per ``handle`` call (no I/O), and apart
the cost of serialising the state for the changelog (the shell pays it once per changed event).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from kestra_stream.executor.core import SubmitWorkerJob, handle
from kestra_stream.executor.messages import NewExecution, WorkerTaskResult
from kestra_stream.executor.state import ExecutorState
from kestra_stream.flows import parse_flow
from kestra_stream.models import Execution, State, StateType

FLOW = parse_flow(
    """
id: benchmark
namespace: company.team
tasks:
  - id: concatenate
    type: io.kestra.plugin.core.output.OutputValues
    values:
      message: "{{ execution.id }} says hello"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.concatenate.values.message }}"
"""
).model_copy(update={"revision": 1})


def lookup(namespace: str, flow_id: str, revision: int | None) -> object:
    return FLOW


def one_execution(index: int, now: datetime) -> tuple[int, float, float]:
    """(events, seconds in handle, seconds serialising) for one whole execution."""
    execution = Execution(
        id=f"bench{index}",
        namespace="company.team",
        flow_id="benchmark",
        flow_revision=1,
        state=State.of(StateType.CREATED, at=now),
    )
    events: list[object] = [NewExecution(execution=execution)]
    state: ExecutorState | None = None
    handled = serialising = 0.0
    count = 0
    while events:
        event = events.pop(0)
        started = time.perf_counter()
        outcome = handle(state, event, flows=lookup, now=now)  # type: ignore[arg-type]
        handled += time.perf_counter() - started
        count += 1
        state = outcome.state
        if state is not None and outcome.changed:
            started = time.perf_counter()
            state.to_bytes()
            serialising += time.perf_counter() - started
        for command in outcome.commands:
            if isinstance(command, SubmitWorkerJob):
                job = command.job
                for result_state, outputs in (
                    (StateType.RUNNING, None),
                    (
                        StateType.SUCCESS,
                        {"values": {"message": "x says hello"}}
                        if job.task_run.task_id == "concatenate"
                        else None,
                    ),
                ):
                    events.append(
                        WorkerTaskResult(
                            execution_id=job.execution_id,
                            task_run_id=job.task_run_id,
                            attempt_number=job.attempt_number,
                            worker_id="w",
                            state=result_state,
                            outputs=outputs,
                        )
                    )
        now += timedelta(milliseconds=1)
    assert state is not None and state.execution.state.current is StateType.SUCCESS
    return count, handled, serialising


def main() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for index in range(200):  # warm-up: caches, imports
        one_execution(index, now)
    total_events = 0
    total_handle = total_serialise = 0.0
    executions = 2000
    for index in range(executions):
        events, handled, serialised = one_execution(10_000 + index, now)
        total_events += events
        total_handle += handled
        total_serialise += serialised
    print(f"events per execution: {total_events / executions:.0f}")
    per_event = total_handle / total_events * 1e6
    print(f"handle: {per_event:.0f} µs/event, {total_handle / executions * 1e3:.2f} ms/execution")
    print(f"state to_bytes: {total_serialise / total_events * 1e6:.0f} µs/event")


if __name__ == "__main__":
    main()
