"""Runtime documents read and write Kestra's JSON shapes."""

from __future__ import annotations

from kestra_stream.models import (
    Execution,
    LogEntry,
    MetricEntry,
    StateType,
    TaskRun,
    TriggerRecord,
    labels_as_map,
    new_id,
)

KESTRA_EXECUTION = {
    "id": "6A8Mbw5mjXrU8W6rbz1Iek",
    "namespace": "company.team",
    "flowId": "hello",
    "flowRevision": 2,
    "taskRunList": [
        {
            "id": "4X1nOVQsqvPnhQxKGGlbxa",
            "executionId": "6A8Mbw5mjXrU8W6rbz1Iek",
            "namespace": "company.team",
            "flowId": "hello",
            "taskId": "log",
            "value": "north",
            "iteration": 0,
            "attempts": [
                {"state": {"current": "SUCCESS", "histories": [], "duration": "PT0.01S"}, "workerId": "w1"}
            ],
            "outputs": {"value": "x"},
            "state": {
                "current": "SUCCESS",
                "histories": [
                    {"state": "CREATED", "date": "2024-04-12T10:00:00.000Z"},
                    {"state": "SUCCESS", "date": "2024-04-12T10:00:00.010Z"},
                ],
            },
        }
    ],
    "inputs": {"name": "World"},
    "labels": [
        {"key": "system.correlationId", "value": "6A8Mbw5mjXrU8W6rbz1Iek"},
        {"key": "team", "value": "a"},
    ],
    "state": {"current": "SUCCESS", "histories": [{"state": "SUCCESS", "date": "2024-04-12T10:00:01Z"}]},
    "originalId": "6A8Mbw5mjXrU8W6rbz1Iek",
    "trigger": {"id": "webhook", "type": "io.kestra.plugin.core.trigger.Webhook", "variables": {"body": {}}},
    "deleted": False,
    "metadata": {"attemptNumber": 1, "originalCreatedDate": "2024-04-12T10:00:00Z"},
    "kind": "NORMAL",
    "url": "http://localhost:8080/ui/main/executions/company.team/hello/6A8Mbw5mjXrU8W6rbz1Iek",
}


def test_execution_reads_a_kestra_payload_and_ignores_unknown_fields() -> None:
    execution = Execution.model_validate(KESTRA_EXECUTION)
    assert execution.flow_revision == 2
    (run,) = execution.task_runs()
    assert run.task_id == "log" and run.value == "north" and run.attempts_count == 0
    assert run.attempts is not None and run.attempts[0].worker_id == "w1"
    assert labels_as_map(execution.labels or ())["team"] == "a"
    assert execution.metadata is not None and execution.metadata.attempt_number == 1


def test_execution_json_round_trip() -> None:
    execution = Execution.model_validate(KESTRA_EXECUTION)
    data = execution.to_json_dict()
    assert "url" not in data
    assert data["taskRunList"][0]["state"]["startDate"] == "2024-04-12T10:00:00Z"
    assert data["metadata"] == {"attemptNumber": 1, "originalCreatedDate": "2024-04-12T10:00:00Z"}
    assert Execution.from_json(execution.to_json()) == execution


def test_immutable_updates() -> None:
    execution = Execution(id=new_id(), namespace="n", flow_id="f", flow_revision=1)
    running = execution.with_state(StateType.RUNNING)
    assert execution.state.current is StateType.CREATED and running.state.current is StateType.RUNNING
    run = TaskRun(id="r", execution_id=execution.id, namespace="n", flow_id="f", task_id="t")
    updated = running.with_task_run(run).with_task_run(run.with_state(StateType.RUNNING))
    assert [item.state.current for item in updated.task_runs()] == [StateType.RUNNING]
    assert len(new_id()) in range(20, 23)


def test_trigger_record_lock_and_uid() -> None:
    record = TriggerRecord.model_validate(
        {
            "namespace": "n",
            "flowId": "f",
            "triggerId": "t",
            "date": "2024-04-12T12:00:00+02:00",
            "executionId": "e",
        }
    )
    assert record.uid == "n_f_t" and record.locked and not record.unlocked().locked
    assert record.to_json_dict()["date"] == "2024-04-12T12:00:00+02:00"


def test_logs_and_metrics() -> None:
    log = LogEntry.model_validate({"namespace": "n", "flowId": "f", "level": "WARN", "message": "m"})
    assert log.to_json_dict()["level"] == "WARN"
    metric = MetricEntry(namespace="n", flow_id="f", type="timer", name="duration", value=1.5)  # type: ignore[arg-type]
    assert metric.to_json_dict()["type"] == "timer"
