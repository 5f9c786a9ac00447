"""The official Python client (kestrapy 1.3.1) drives the API through its own methods."""

from __future__ import annotations

import time
from typing import Any

import pytest
from api_backends import PASSWORD, USER
from api_helpers import hello_flow, sleep_flow
from kestrapy import KestraClient
from kestrapy.exceptions import ApiException

TENANT = "main"


def _state(execution: Any) -> str:
    state = execution.state.current
    return str(getattr(state, "value", state))


def _wait(client: KestraClient, execution_id: str, *states: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = client.executions.execution(execution_id, TENANT)
        if _state(execution) in states:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"{execution_id} not in {states}")


def test_kestrapy_flow_execute_search_logs_kill(server_base: str, unique: str) -> None:
    client = KestraClient(host=server_base, username=USER, password=PASSWORD)
    created = client.flows.create_flow(TENANT, hello_flow(unique))
    assert created.id == "hello" and created.revision == 1
    assert client.flows.flow(unique, "hello", TENANT).namespace == unique

    execution = client.executions.create_execution(TENANT, unique, "hello", wait=True, labels=["env:test"])
    assert _state(execution) == "SUCCESS"
    fetched = client.executions.execution(execution.id, TENANT)
    assert fetched.id == execution.id and fetched.flow_id == "hello"

    deadline = time.monotonic() + 30
    page: Any = None
    while time.monotonic() < deadline:
        page = client.executions.search_executions(TENANT, size=10)
        if any(item["id"] == execution.id for item in page["results"]):
            break
        time.sleep(0.2)
    assert any(item["id"] == execution.id for item in page["results"])

    deadline = time.monotonic() + 30
    logs: list[Any] = []
    while time.monotonic() < deadline and not logs:
        logs = client.logs.list_logs_from_execution(execution.id, TENANT)
        time.sleep(0.2)
    assert any(getattr(entry, "message", None) == "hello v1" for entry in logs)

    client.flows.create_flow(TENANT, sleep_flow(unique))
    sleeping = client.executions.create_execution(TENANT, unique, "sleepy")
    _wait(client, sleeping.id, "RUNNING")
    client.executions.kill_execution(sleeping.id, TENANT)
    assert _state(_wait(client, sleeping.id, "KILLED")) == "KILLED"
    with pytest.raises(ApiException) as error:
        client.executions.kill_execution(sleeping.id, TENANT)
    assert error.value.status == 409
