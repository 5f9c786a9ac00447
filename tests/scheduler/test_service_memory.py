"""The scheduler shell on the memory queue: ownership, one transaction per loop, failover, commands."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from kestra_stream.queue import MemoryQueue, MemoryQueueOptions, TopicRef
from kestra_stream.scheduler.messages import (
    BackfillRequest,
    TriggerCommand,
    TriggerCommandType,
    send_trigger_command,
)
from kestra_stream.scheduler.service import Scheduler, SchedulerOptions
from tests.scheduler.shell import Clock, ExecutionsReader, ended_state_record, publish, utc

EVERY_SECOND = """
id: {flow_id}
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.date }}}}"
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    allowConcurrent: {concurrent}
"""


class Running:
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=scheduler.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(30)


@pytest.fixture
def queue() -> Iterator[MemoryQueue]:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=4))
    yield queue
    queue.close()


def _start(queue: MemoryQueue, clock: Clock, name: str) -> Running:
    scheduler = Scheduler(
        queue=queue, options=SchedulerOptions(instance_id=name, poll_timeout=0.01), clock=clock
    )
    running = Running(scheduler)
    assert scheduler.ready.wait(10)
    _wait(lambda: scheduler.ticks > 0)
    return running


def _step_until(clock: Clock, reader: ExecutionsReader, seconds: int) -> None:
    """Advance the clock one second at a time, waiting for that second's execution."""
    for _ in range(seconds):
        clock.advance(1)
        expected = clock().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        reader.wait_for(lambda executions, expected=expected: expected in reader.dates(), timeout=10)


def test_two_instances_one_execution_per_second_and_failover(queue: MemoryQueue) -> None:
    clock = Clock(utc("2024-01-01T00:00:00.500"))
    publish(queue, EVERY_SECOND.format(flow_id="a", concurrent="true"), flow_id="a")
    publish(queue, EVERY_SECOND.format(flow_id="b", concurrent="true"), flow_id="b")
    first, second = _start(queue, clock, "s1"), _start(queue, clock, "s2")
    reader = ExecutionsReader(queue)
    try:
        _step_until(clock, reader, 5)
        first.stop()  # its partitions move to the other instance, which restores and continues
        _step_until(clock, reader, 5)
        # a missed stretch (no instance ticking) is recovered in order (recoverMissedSchedules: ALL)
        clock.advance(3)
        reader.wait_for(lambda executions: len(executions) >= 26, timeout=10)
        reader.read()
    finally:
        second.stop()
    for flow_id in ("a", "b"):
        dates = [
            m.execution.trigger.variables["date"] for m in reader.executions if m.execution.flow_id == flow_id
        ]  # type: ignore[union-attr, index]
        # every second exactly once (the topic is partitioned by execution id: no global order to check)
        assert sorted(dates) == [f"2024-01-01T00:00:{second:02d}Z" for second in range(1, 14)]
    ids = [message.execution.id for message in reader.executions]
    assert len(ids) == len(set(ids))


def test_lock_released_by_the_execution_end_and_commands(queue: MemoryQueue) -> None:
    clock = Clock(utc("2024-01-01T00:00:00.500"))
    publish(queue, EVERY_SECOND.format(flow_id="locked", concurrent="false"), flow_id="locked")
    running = _start(queue, clock, "s1")
    reader = ExecutionsReader(queue)
    producer = queue.producer()
    try:
        clock.advance(1)
        (first,) = reader.wait_for(lambda executions: len(executions) == 1)
        clock.advance(3)
        reader.wait_for(lambda executions: True, timeout=0.5)
        assert len(reader.read()) == 1  # locked while the execution runs
        producer.produce(
            TopicRef("execution-states"),
            key=first.execution.id.encode(),
            value=ended_state_record(first, "SUCCESS"),
        )
        _wait(lambda: running.scheduler.seen_ended(first.execution.id))
        clock.advance(1)
        reader.wait_for(lambda executions: len(executions) == 2)
        second = reader.executions[1]
        assert second.execution.trigger.variables["date"] == "2024-01-01T00:00:02Z"  # type: ignore[union-attr, index]
        command = TriggerCommand(
            command=TriggerCommandType.UNLOCK, namespace="company.team", flow_id="locked", trigger_id="tick"
        )
        send_trigger_command(producer, command)
        _wait(lambda: not running.scheduler.records()["main_company.team_locked_tick"].locked)
        clock.advance(1)
        reader.wait_for(lambda executions: len(executions) == 3)
        uid = "main_company.team_locked_tick"
        disable = command.model_copy(update={"command": TriggerCommandType.SET_DISABLED, "disabled": True})
        send_trigger_command(producer, disable)
        _wait(lambda: running.scheduler.records()[uid].disabled)
        backfill = command.model_copy(
            update={
                "command": TriggerCommandType.CREATE_BACKFILL,
                "backfill": BackfillRequest(start=utc("2023-12-31T00:00:00"), end=utc("2023-12-31T00:00:02")),
            }
        )
        send_trigger_command(producer, backfill)
        _wait(lambda: running.scheduler.records()[uid].backfill is not None)
    finally:
        running.stop()


def _wait(predicate: object, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError("condition not met")
