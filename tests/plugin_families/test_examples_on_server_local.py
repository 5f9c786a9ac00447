"""The plugin families' flows of examples/flows/ (copied from Kestra's docs) run on
``kestra-stream server local`` as a user would start it, with the receivers they talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server_local import LocalServer, server_local


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with server_local(tmp_path_factory.mktemp("examples")) as running:
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
