"""A WorkingDirectory job on the worker: children in one shared directory, reported as child task runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from queue_backends import MakeQueue
from test_worker import eventually, job, results, states, submit, worker

from kestra_stream.executor.messages import ExecutionKilled, WorkerJob, WorkerTaskResult
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.queue import TopicRef

WD = "io.kestra.plugin.core.flow.WorkingDirectory"
SHELL = "io.kestra.plugin.scripts.shell.Commands"
RETURN = "io.kestra.plugin.core.debug.Return"
FAIL = "io.kestra.plugin.core.execution.Fail"


def working_directory(*tasks: dict[str, Any], **properties: Any) -> WorkerJob:
    return job({"id": "wd", "type": WD, "tasks": list(tasks), **properties})


def final(queue: Any, wd: WorkerJob) -> WorkerTaskResult:
    (done,) = [r for r in results(queue, wd.task_run_id) if r.state.is_terminated()]
    return done


def children(queue: Any, wd: WorkerJob) -> dict[str, TaskRun]:
    """The latest version of each child, as the executor would merge the reports."""
    latest: dict[str, TaskRun] = {}
    for result in results(queue, wd.task_run_id):
        for run in result.task_runs or ():
            latest[run.id] = run
    return {run.task_id: run for run in latest.values()}


def test_children_share_one_directory_and_see_earlier_outputs(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    wd = working_directory(
        {"id": "first", "type": SHELL, "commands": ['echo "$(cat in.txt) + first" > shared.txt']},
        {
            "id": "second",
            "type": SHELL,
            "commands": ['echo "::{\\"outputs\\":{\\"content\\":\\"$(cat shared.txt)\\"}}::"'],
        },
        {
            "id": "third",
            "type": RETURN,
            "format": "{{ outputs.second.vars.content }} {{ tasks.first.state }}",
        },
        {"id": "off", "type": RETURN, "format": "never", "disabled": True},
        {"id": "skipped", "type": RETURN, "format": "never", "runIf": "{{ outputs.third.value == 'x' }}"},
        inputFiles={"in.txt": "input"},
        outputFiles=["*.txt"],
    )
    with worker(queue, tmp_path):
        submit(queue, wd)
        eventually(lambda: any(s.is_terminated() for s in states(queue, wd.task_run_id)))
    done = final(queue, wd)
    assert done.state is StateType.SUCCESS, done.error
    assert set(done.outputs or {}) == {"outputFiles"}
    assert sorted(done.outputs["outputFiles"]) == ["in.txt", "shared.txt"]  # type: ignore[index]
    runs = children(queue, wd)
    assert list(runs) == ["first", "second", "third", "skipped"]
    assert {run.parent_task_run_id for run in runs.values()} == {wd.task_run_id}
    assert (runs["second"].outputs or {})["vars"] == {"content": "input + first"}
    assert runs["third"].outputs == {"value": "input + first SUCCESS"}
    assert runs["skipped"].state.current is StateType.SKIPPED
    assert [h.state for h in runs["first"].state.histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    assert runs["first"].attempts and runs["first"].attempts[0].worker_id == done.worker_id
    # children are reported while the attempt runs, before the terminal result
    assert all(r.state is StateType.RUNNING for r in results(queue, wd.task_run_id)[:-1])
    assert not list((tmp_path / "work").iterdir())  # the shared directory is gone


def test_first_failing_child_stops_then_errors_and_finally_run(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    wd = working_directory(
        {"id": "tolerated", "type": FAIL, "allowFailure": True},
        {"id": "boom", "type": FAIL, "errorMessage": "nope"},
        {"id": "never", "type": RETURN, "format": "x"},
        errors=[{"id": "on_error", "type": RETURN, "format": "{{ tasks.boom.state }}"}],
        **{"finally": [{"id": "cleanup", "type": RETURN, "format": "done"}]},
    )
    with worker(queue, tmp_path):
        submit(queue, wd)
        eventually(lambda: any(s.is_terminated() for s in states(queue, wd.task_run_id)))
    assert final(queue, wd).state is StateType.FAILED
    runs = children(queue, wd)
    assert {task_id: run.state.current.value for task_id, run in runs.items()} == {
        "tolerated": "WARNING",
        "boom": "FAILED",
        "on_error": "SUCCESS",
        "cleanup": "SUCCESS",
    }
    assert runs["on_error"].outputs == {"value": "FAILED"}


def test_allowed_failure_ends_warning(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    wd = working_directory(
        {"id": "tolerated", "type": FAIL, "allowFailure": True}, {"id": "next", "type": RETURN, "format": "x"}
    )
    with worker(queue, tmp_path):
        submit(queue, wd)
        eventually(lambda: any(s.is_terminated() for s in states(queue, wd.task_run_id)))
    assert final(queue, wd).state is StateType.WARNING
    assert children(queue, wd)["next"].state.current is StateType.SUCCESS


def test_kill_interrupts_the_running_child(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    wd = working_directory(
        {"id": "first", "type": RETURN, "format": "x"},
        {"id": "sleeping", "type": SHELL, "commands": ["sleep 60"]},
        {"id": "never", "type": RETURN, "format": "x"},
    )
    with worker(queue, tmp_path):
        submit(queue, wd)
        eventually(
            lambda: (
                (run := children(queue, wd).get("sleeping")) is not None
                and run.state.current is StateType.RUNNING
            )
        )
        kill = ExecutionKilled(execution_id=wd.execution_id)
        producer = queue.producer()
        producer.produce(TopicRef("execution-kills"), key=kill.execution_id.encode(), value=kill.to_json())
        producer.flush(10)
        eventually(lambda: any(s.is_terminated() for s in states(queue, wd.task_run_id)), timeout=20)
    assert final(queue, wd).state is StateType.KILLED
    runs = children(queue, wd)
    assert runs["sleeping"].state.current is StateType.KILLED
    assert "never" not in runs


def test_a_non_runnable_child_fails(make_queue: MakeQueue, tmp_path: Path) -> None:
    queue = make_queue()
    wd = working_directory(
        {
            "id": "seq",
            "type": "io.kestra.plugin.core.flow.Sequential",
            "tasks": [{"id": "inner", "type": RETURN, "format": "x"}],
        }
    )
    with worker(queue, tmp_path):
        submit(queue, wd)
        eventually(lambda: any(s.is_terminated() for s in states(queue, wd.task_run_id)))
    assert final(queue, wd).state is StateType.FAILED
    assert children(queue, wd)["seq"].state.current is StateType.FAILED
