"""The jdbc flows of examples/flows/ (copied from Kestra's docs) on ``kestra-stream server local``,
against the PostgreSQL of ``deploy/infra.sh up`` (credentials as secrets) and an SQLite file."""

from __future__ import annotations

import base64
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Postgres

from .server_local import PASSWORD, USER, LocalServer, secret_env, server_local


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jdbc-worker-cwd")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres, workdir: Path
) -> Iterator[LocalServer]:
    secrets = {
        "POSTGRES_HOST": postgres.hostport,
        "POSTGRES_USERNAME": postgres.username,
        "POSTGRES_PASSWORD": postgres.password,
    }
    # the worker's current directory holds the SQLite file of `jdbc:sqlite:kestra.db`
    with server_local(
        tmp_path_factory.mktemp("jdbc-examples"), env=secret_env(secrets), cwd=workdir
    ) as running:
        yield running


def _outputs(execution: dict[str, object], task_id: str) -> dict[str, object]:
    runs = [run for run in execution["taskRunList"] if run["taskId"] == task_id]  # type: ignore[attr-defined]
    assert runs, f"no task run {task_id}"
    return runs[0]["outputs"]  # type: ignore[no-any-return]


def _file(server: LocalServer, execution_id: str, uri: str) -> str:
    """A file of the execution, through the API (GET .../executions/{id}/file?path=kestra://...)."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    query = urllib.parse.urlencode({"path": uri})
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/main/executions/{execution_id}/file?{query}",
        headers={"Authorization": f"Basic {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(response.read().decode())


def test_sqlite_queries_from_the_migration_guide(server: LocalServer, workdir: Path) -> None:
    for _ in range(2):  # the flow is idempotent: CREATE TABLE IF NOT EXISTS, DELETE, INSERT
        execution = server.run("company", "queries")
        assert execution["state"]["current"] == "SUCCESS", execution
    [result] = _outputs(execution, "queries")["outputs"]  # type: ignore[index]
    assert result["size"] == 5
    lines = _file(server, str(execution["id"]), result["uri"]).splitlines()
    assert len(lines) == 5 and lines[0].startswith('{id:1,name:"Worker Groups",')
    assert (workdir / "kestra.db").is_file()


def test_postgres_copy_out_from_the_plugin_docs(server: LocalServer) -> None:
    execution = server.run("company.team", "postgres_copy_out")
    assert execution["state"]["current"] == "SUCCESS", execution
    outputs = _outputs(execution, "copy_out")
    assert outputs["rowCount"] == 2
    assert _file(server, str(execution["id"]), str(outputs["uri"])).splitlines() == [
        "int\tbool",
        "1\tt",
        "2\tf",
    ]
