"""Flows of the kestra_stream_plugins families run through the worker, on MemoryQueue and Kafka."""

from __future__ import annotations

from pathlib import Path

from engine_harness import Engine, run_of, task_states

from kestra_stream.models import StateType
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
