"""Service-backed expression functions inside a task: ``kv``, ``read``, ``fileURI``, file metadata,
``errorLogs``, ``tasksWithState`` and ``secret`` rendered by a real ``TaskRunContext``."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest

import kestra_stream.plugins.core  # noqa: F401  (registers the tasks)
from kestra_stream.expressions import ExpressionEngine, ExpressionServices
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.expressions.services import ERROR_LOGS_VARIABLE
from kestra_stream.kv import InMemoryKVStore, StorageKVStore
from kestra_stream.plugins.base import RunnableTask
from kestra_stream.plugins.registry import registry
from kestra_stream.runtime import TaskRunContext, rendering_engine, run_task
from kestra_stream.storage import LocalStorage, execution_prefix, namespace_file

from .conftest import MakeContext


def task(definition: dict[str, Any]) -> RunnableTask:
    cls = registry.resolve(definition["type"])
    built = cls.model_validate({"id": "t", **definition})
    assert isinstance(built, RunnableTask)
    return built


def returned(ctx: TaskRunContext, template: str) -> Any:
    outputs = run_task(task({"type": "io.kestra.plugin.core.debug.Return", "format": template}), ctx)
    return outputs["value"]


def test_kv_reads_the_flow_namespace_after_a_kv_set(ctx: TaskRunContext, kv: InMemoryKVStore) -> None:
    run_task(task({"type": "io.kestra.plugin.core.kv.Set", "key": "greeting", "value": "hello"}), ctx)
    assert returned(ctx, "{{ kv('greeting') }}") == "hello"
    kv.set("other.ns", "greeting", "hi")
    assert returned(ctx, "{{ kv('greeting', 'other.ns') }}") == "hi"
    assert returned(ctx, "{{ kv('missing', errorOnMissing=false) ?? 'none' }}") == "none"
    with pytest.raises(
        ExpressionError, match=r"The key 'missing' does not exist in the namespace 'company\.team'"
    ):
        returned(ctx, "{{ kv('missing') }}")


def test_read_a_write_task_uri_and_namespace_files(ctx: TaskRunContext, local_storage: LocalStorage) -> None:
    written = run_task(
        task({"type": "io.kestra.plugin.core.storage.Write", "content": "hello {{ flow.id }}"}), ctx
    )
    assert returned(ctx, "{{ read('" + written["uri"] + "') }}") == "hello flow"
    local_storage.put(namespace_file("company.team", "scripts/hello.py"), b"print('hi')")
    local_storage.put(namespace_file("other.ns", "a.txt"), b"other")
    assert returned(ctx, "{{ read('scripts/hello.py') }}") == "print('hi')"
    assert returned(ctx, "{{ read('nsfile:///scripts/hello.py') }}") == "print('hi')"
    assert returned(ctx, "{{ read('nsfile://other.ns/a.txt') }}") == "other"
    assert returned(ctx, "{{ read('a.txt', 'other.ns') }}") == "other"


def test_read_refuses_files_of_another_execution(ctx: TaskRunContext, local_storage: LocalStorage) -> None:
    foreign = local_storage.put("/company/team/flow/executions/other/tasks/t/r/secret.txt", b"no")
    with pytest.raises(ExpressionError, match="didn't belong to the current execution"):
        returned(ctx, "{{ read('" + foreign + "') }}")


def test_read_allows_the_triggering_execution_files(
    make_context: MakeContext, local_storage: LocalStorage
) -> None:
    parent = local_storage.put("/company/parent/executions/p1/inputs/file/in.txt", b"from parent")
    trigger = {"namespace": "company", "flowId": "parent", "executionId": "p1"}
    ctx = make_context({"trigger": trigger})
    assert returned(ctx, "{{ read('" + parent + "') }}") == "from parent"


def test_read_local_files_only_when_allowed(make_context: MakeContext, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "x.txt").write_text("local")
    (tmp_path / "y.txt").write_text("nope")
    ctx = make_context(allowed_local_paths=[allowed])
    assert returned(ctx, "{{ read('file://" + str(allowed / "x.txt") + "') }}") == "local"
    with pytest.raises(ExpressionError, match="not authorized"):
        returned(ctx, "{{ read('file://" + str(tmp_path / "y.txt") + "') }}")


def test_file_uri_of_a_namespace_file(ctx: TaskRunContext) -> None:
    assert (
        returned(ctx, "{{ fileURI('scripts/hello.py') }}") == "kestra:///company/team/_files/scripts/hello.py"
    )


def test_file_size_exists_and_empty(ctx: TaskRunContext, make_context: MakeContext) -> None:
    written = run_task(task({"type": "io.kestra.plugin.core.storage.Write", "content": "12345"}), ctx)["uri"]
    empty = run_task(task({"type": "io.kestra.plugin.core.storage.Write", "content": ""}), ctx)["uri"]
    template = "{{ fileSize(uri) }} {{ fileExists(uri) }} {{ isFileEmpty(uri) }} {{ isFileEmpty(empty) }}"
    outputs = run_task(
        task({"type": "io.kestra.plugin.core.debug.Return", "format": template}),
        make_context({"uri": written, "empty": empty}),
    )
    assert outputs["value"] == "5 true false true"
    missing = written.rsplit("/", 1)[0] + "/missing.txt"
    assert returned(ctx, "{{ fileExists('" + missing + "') }}") == "false"
    assert returned(ctx, "{{ fileExists('scripts/none.py') }}") == "false"


def test_error_logs_come_from_the_executor_variables(make_context: MakeContext) -> None:
    errors = [
        {
            "taskId": "flaky",
            "taskRunId": "r0",
            "attemptNumber": 1,
            "message": "Command failed with exit code 1",
            "timestamp": "2024-01-01T00:00:00Z",
        }
    ]
    ctx = make_context({ERROR_LOGS_VARIABLE: errors})
    assert returned(ctx, "{{ errorLogs()[0]['message'] }}") == "Command failed with exit code 1"
    assert returned(ctx, "{{ errorLogs()[0].taskId }} {{ errorLogs()[0].level }}") == "flaky ERROR"
    assert returned(ctx, "{{ errorLogs() | length }}") == "1"


def test_error_logs_empty_without_failures(ctx: TaskRunContext) -> None:
    assert returned(ctx, "{{ errorLogs() | length }}") == "0"


def test_tasks_with_state(make_context: MakeContext) -> None:
    tasks = {
        "a": {"state": "SUCCESS"},
        "b": {"state": "FAILED"},
        "each": {"x": {"state": "FAILED"}, "y": {"state": "SUCCESS"}},
    }
    ctx = make_context({"tasks": tasks})
    assert returned(ctx, "{{ tasksWithState('failed')[0]['taskId'] }}") == "b"
    found = ctx.render("{{ tasksWithState('FAILED') }}")
    assert found == [{"taskId": "b", "state": "FAILED"}, {"taskId": "each", "state": "FAILED", "value": "x"}]
    assert ctx.render("{{ tasksWithState('RUNNING') }}") == []


def test_secret_keeps_its_default_and_engine_services_are_kept(
    make_context: MakeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_API_KEY", base64.b64encode(b"s3cr3t").decode())
    assert returned(make_context(), "{{ secret('API_KEY') }}") == "s3cr3t"
    masked: list[str] = []
    engine = ExpressionEngine(services=ExpressionServices(on_secret=masked.append))
    ctx = make_context(renderer=engine)
    assert returned(ctx, "{{ secret('API_KEY') }}") == "s3cr3t"
    assert masked == ["s3cr3t"]
    run_task(task({"type": "io.kestra.plugin.core.kv.Set", "key": "k", "value": 1}), ctx)
    assert ctx.render("{{ kv('k') }}") == 1


def test_services_are_built_once_per_attempt(ctx: TaskRunContext) -> None:
    first = ctx.expression_services
    ctx.render("{{ flow.id }}")
    assert ctx.expression_services is first


def test_rendering_engine_binds_the_services_to_each_render(local_storage: LocalStorage) -> None:
    """The engine of the executor, webserver and scheduler: kv() in the render's flow namespace,
    read() of that execution's files only (another execution's file is refused)."""
    storage = local_storage
    StorageKVStore(storage=storage).set("company.team", "flag", "on")
    mine = execution_prefix(namespace="company.team", flow_id="f", execution_id="e1") + "/out.txt"
    theirs = execution_prefix(namespace="company.team", flow_id="f", execution_id="e2") + "/out.txt"
    for path in (mine, theirs):
        storage.put(path, io.BytesIO(b"data"))
    engine = rendering_engine(storage=storage)
    context = {"flow": {"namespace": "company.team", "id": "f"}, "execution": {"id": "e1"}}
    rendered = engine.render("{{ kv('flag') }}|{{ read('kestra:///" + mine + "') }}", context)
    assert rendered == "on|data"
    with pytest.raises(ExpressionError, match="didn't belong to the current execution"):
        engine.render("{{ read('kestra:///" + theirs + "') }}", context)
    # no execution yet (an input's expression, a trigger): kv() works, execution files do not
    assert engine.render("{{ kv('flag') }}", {"flow": {"namespace": "company.team", "id": "f"}}) == "on"
