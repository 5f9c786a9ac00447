from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kestra_stream.runtime import (
    CancelToken,
    FileAccessError,
    TaskKilledError,
    TaskRunContext,
    run_task,
)
from kestra_stream.storage import LocalStorage

from .conftest import MakeContext
from .test_basic_tasks import task


def test_render_nested_values_and_keys(make_context: MakeContext) -> None:
    ctx = make_context({"inputs": {"n": 2}})
    rendered = ctx.render({"{{ flow.id }}": ["{{ inputs.n }}", {"x": "v{{ inputs.n }}"}], "plain": 1})
    assert rendered == {"flow": [2, {"x": "v2"}], "plain": 1}
    assert ctx.render("{{ extra }}", {"extra": [1]}) == [1]


def test_kill_token_cancels_a_running_task(ctx: TaskRunContext) -> None:
    token = CancelToken()
    threading.Timer(0.2, token.cancel, args=("execution killed",)).start()
    started = time.monotonic()
    with pytest.raises(TaskKilledError, match="execution killed"):
        run_task(task({"type": "io.kestra.plugin.core.flow.Sleep", "duration": "PT30S"}), ctx, token=token)
    assert time.monotonic() - started < 3


def test_get_file_protocols(make_context: MakeContext, local_storage: LocalStorage, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "host.txt").write_text("host")
    (tmp_path / "secret.txt").write_text("secret")
    local_storage.put("/company/team/_files/ns.txt", b"ns")
    local_storage.put("/other/ns/_files/dir/o.txt", b"other")
    ctx = make_context(allowed_local_paths=[allowed])
    out = tmp_path / "out"
    assert ctx.get_file("nsfile:///ns.txt", out / "a").read_text() == "ns"
    assert ctx.get_file("nsfile://other.ns/dir/o.txt", out / "b").read_text() == "other"
    assert ctx.get_file(f"file://{allowed}/host.txt", out / "c").read_text() == "host"
    with pytest.raises(FileAccessError, match="not authorized"):
        ctx.get_file(f"file://{tmp_path}/secret.txt", out / "d")
    with pytest.raises(FileAccessError, match="not authorized"):
        ctx.get_file(f"file://{allowed}/../secret.txt", out / "e")


def test_put_file_uses_the_task_run_layout(ctx: TaskRunContext, tmp_path: Path) -> None:
    source = tmp_path / "report.csv"
    source.write_text("x")
    uri = ctx.put_file(source, "sub/report.csv")
    assert uri == "kestra:///company/team/flow/executions/exec1/tasks/task/run1/sub/report.csv"


def test_working_dir_is_removed_on_close(make_context: MakeContext) -> None:
    ctx = make_context()
    directory = ctx.working_dir
    (directory / "f").write_text("x")
    ctx.close()
    assert not directory.exists()
