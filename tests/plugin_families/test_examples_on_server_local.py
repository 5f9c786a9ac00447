"""The plugin families' flows of examples/flows/ (copied from Kestra's docs) run on
``kestra-stream server local`` as a user would start it, with the receivers they talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .git_server import TOKEN, GitServer, git_server
from .receivers import WebhookReceiver, webhook_receiver
from .server_local import LocalServer, secret_env, server_local


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


HELLO = (
    "id: hello\nnamespace: dev\ntasks:\n  - id: log\n"
    "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
)


@pytest.fixture(scope="module")
def git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    with git_server(tmp_path_factory.mktemp("git")) as running:
        running.create("flows", files={"flows/hello.yml": HELLO})
        yield running


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, receiver: WebhookReceiver, git: GitServer
) -> Iterator[LocalServer]:
    secrets = {
        "SLACK_WEBHOOK": receiver.url("slack"),
        "GITHUB_ACCESS_TOKEN": TOKEN,
        "GIT_REPOSITORY_URL": git.url("flows"),
    }
    with server_local(tmp_path_factory.mktemp("examples"), env=secret_env(secrets)) as running:
        yield running


def task_run(execution: dict[str, object], task_id: str) -> dict[str, object]:
    runs = [run for run in execution["taskRunList"] if run["taskId"] == task_id]  # type: ignore[attr-defined]
    assert runs, f"no task run {task_id}"
    return runs[0]  # type: ignore[no-any-return]


def test_ruby_output_file(server: LocalServer) -> None:
    execution = server.run("company.team", "ruby_output_file")
    assert execution["state"]["current"] == "SUCCESS", execution
    assert "Hello World" in server.messages(execution["id"], "Hello World")


def test_golang_script_expression(server: LocalServer) -> None:
    execution = server.run("company.team", "golang_script_expression")
    assert execution["state"]["current"] == "SUCCESS", execution
    messages = server.messages(execution["id"], "Message: Hello, World!", "Number: 4")
    assert "Message: Hello, World!" in messages and "Number: 4" in messages


def test_unreliable_flow_alerts_slack(server: LocalServer, receiver: WebhookReceiver) -> None:
    execution = server.run("company.team", "unreliable_flow")
    assert execution["state"]["current"] == "FAILED", execution
    assert task_run(execution, "alert_on_failure")["state"]["current"] == "SUCCESS"
    assert not receiver.errors
    text = f"Failure alert for flow company.team.unreliable_flow with ID {execution['id']}"
    assert {"text": text} in receiver.payloads("slack")


def test_sync_flows_from_git_dry_run(server: LocalServer) -> None:
    execution = server.run("system", "sync_flows_from_git")
    assert execution["state"]["current"] == "SUCCESS", server.messages(execution["id"], "")
    messages = server.messages(execution["id"], "ADDED: git.hello (revision 1)")
    assert all(TOKEN not in message for message in messages)
    flows = server.request("GET", "/api/v1/main/flows/git")
    assert flows == []  # a dry run writes nothing
