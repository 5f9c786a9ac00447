"""Flows of the kestra_stream_plugins families run through the worker, on MemoryQueue and Kafka."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from engine_harness import Engine, new_id, run_of, task_states

from kestra_stream.executor.messages import NewExecution
from kestra_stream.models import Execution, State, StateType
from kestra_stream.webserver.followers import FlowView
from tests.plugin_families.git_server import TOKEN, git_server
from tests.plugin_families.receivers import SECRET_PATH, smtp_server, webhook_receiver
from tests.plugin_families.server_local import free_port


def test_script_languages_run_on_the_worker_and_a_missing_interpreter_goes_to_errors(engine: Engine) -> None:
    done = engine.wait_done(engine.run("script_languages"))
    states = task_states(done)
    assert states["ruby"] == states["lua"] == states["php"] == "SUCCESS", states
    assert run_of(done, "summary").outputs == {"value": "42|lua|42"}
    assert states["julia"] == "FAILED" and states["report"] == "SUCCESS"
    report = run_of(done, "report").outputs["value"]
    assert "`julia`" in report and "not installed on this worker" in report, report
    assert done.state.current is StateType.FAILED


def test_notifications_in_the_errors_branch_reach_real_receivers(engine: Engine, tmp_path: Path) -> None:
    with webhook_receiver() as receiver, smtp_server(tmp_path) as smtp:
        execution_id = engine.run(
            "notifications",
            inputs={"slack_url": receiver.url("slack"), "smtp_port": smtp.port},
            labels={"team": "data"},
        )
        done = engine.wait_done(execution_id)
        assert task_states(done) == {"load": "FAILED", "slack": "SUCCESS", "mail": "SUCCESS"}, task_states(
            done
        )
    assert not receiver.errors
    (message,) = receiver.payloads("slack")
    assert message["blocks"][0]["text"]["text"] == "load failed"
    assert f"/ui/main/executions/e2e/notifications/{execution_id}|[e2e] notifications" in message["text"]
    assert "Failed on task `load`" in message["text"]
    fields = {item["title"]: item["value"] for item in message["attachments"][0]["fields"]}
    assert fields["Execution"] == execution_id and fields["Label team"] == "data"
    ((envelope, mail),) = smtp.messages
    assert envelope.rcpt_tos == ["ops@example.com"] and mail["Subject"] == "notifications failed"
    assert mail.get_content().strip() == f"Execution {execution_id} failed"


def test_an_unreachable_webhook_goes_to_errors_without_its_secret_in_the_logs(engine: Engine) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/{SECRET_PATH}"
    execution_id = engine.run("notification_unreachable", inputs={"url": url})
    done = engine.wait_done(execution_id)
    assert task_states(done) == {"notify": "FAILED", "report": "SUCCESS"}
    report = run_of(done, "report").outputs["value"]
    assert f"Discord: cannot reach the webhook at http://127.0.0.1:{port}" in report, report
    logs = engine.wait_for(
        lambda: [entry.message for entry in engine.logs_of(execution_id)] or None, what="the task logs"
    )
    assert all(SECRET_PATH not in message for message in logs), logs


def _flows(engine: Engine, namespace: str) -> dict[str, tuple[int, str]]:
    view = FlowView(queue=engine.queue, defaults=[])
    view.catch_up()
    try:
        return {
            s.source.id: (s.revision, s.source.source) for s in view.all() if s.source.namespace == namespace
        }
    finally:
        view.close()


def test_sync_flows_writes_flows_the_executor_runs_and_deletes_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    hello = (
        "id: hello\nnamespace: dev\ntasks:\n  - id: r\n"
        "    type: io.kestra.plugin.core.debug.Return\n    format: synced\n"
    )
    with git_server(tmp_path / "git") as server:
        url = server.create(
            "flows", files={"_flows/hello.yml": hello, "_flows/gone.yml": hello.replace("hello", "gone")}
        )
        inputs = {"url": url, "token": TOKEN}
        assert task_states(engine.wait_done(engine.run("git_sync", inputs=inputs))) == {"sync": "SUCCESS"}
        assert {flow_id: revision for flow_id, (revision, _) in _flows(engine, "e2e.synced").items()} == {
            "gone": 1,
            "hello": 1,
        }
        work = server.checkout("flows")
        subprocess.run(["git", "rm", "-q", "_flows/gone.yml"], cwd=work, check=True)
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "drop"],
            cwd=work,
            check=True,
        )
        subprocess.run(["git", "push", "-q", str(server.root / "flows.git"), "main"], cwd=work, check=True)
        execution_id = engine.run("git_sync", inputs=inputs)
        assert task_states(engine.wait_done(execution_id)) == {"sync": "SUCCESS"}
    assert set(_flows(engine, "e2e.synced")) == {"hello"}
    logs = [
        entry.message for entry in engine.wait_for(lambda: engine.logs_of(execution_id) or None, what="logs")
    ]
    assert all(TOKEN not in message for message in logs), logs
    # The executor runs the synced flow, as one created through the API.
    run_id = new_id()
    execution = Execution(
        id=run_id, namespace="e2e.synced", flow_id="hello", flow_revision=1, state=State.of(StateType.CREATED)
    )
    engine.send(NewExecution(execution=execution))
    done = engine.wait_done(run_id)
    assert done.state.current is StateType.SUCCESS and run_of(done, "r").outputs == {"value": "synced"}


def test_a_push_rejected_by_git_goes_to_errors_with_the_hook_message(engine: Engine, tmp_path: Path) -> None:
    with git_server(tmp_path / "git") as server:
        url = server.create("guarded", files={"README.md": "x"})
        server.reject_pushes("guarded", "protected branch: pushes need a review")
        execution_id = engine.run("git_push_rejected", inputs={"url": url, "token": TOKEN})
        done = engine.wait_done(execution_id)
        assert server.log("guarded") == ["seed <seed@example.com>|seed"]
    assert task_states(done)["push"] == "FAILED" and task_states(done)["report"] == "SUCCESS"
    report = run_of(done, "report").outputs["value"]
    assert "protected branch: pushes need a review" in report and TOKEN not in report, report


def test_slack_execution_of_the_execution_that_triggered_a_flow(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver() as receiver:
        monkeypatch.setenv(
            "SECRET_E2E_SLACK_WEBHOOK", base64.b64encode(receiver.url("slack").encode()).decode()
        )
        source_id = engine.run("alert_source", labels={"team": "data"})
        assert engine.wait_done(source_id).state.current is StateType.FAILED

        def alert_done() -> Execution | None:
            alerts = [e for e in engine.executions_of("alert_on_failure") if e.state.current.is_terminated()]
            return next((e for e in alerts if receiver.payloads("slack")), None)

        alert = engine.wait_for(alert_done, what="the alert execution")
        assert task_states(alert) == {"send_alert": "SUCCESS"}
    assert not receiver.errors
    (message,) = receiver.payloads("slack")
    assert message["channel"] == "#general"
    assert f"/executions/e2e/alert_source/{source_id}|[e2e] alert_source ➛ FAILED>*" in message["text"]
    assert "Failed on task `load` after 0:" in message["text"]
    fields = {item["title"]: item["value"] for item in message["attachments"][0]["fields"]}
    assert fields["Execution"] == source_id and fields["Label team"] == "data"
