"""kestra_stream_plugins.git against a real git server (git http-backend over HTTP with basic auth):
clone, push and sync of namespace files and flows, dry runs, rejected pushes and bad credentials."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kestra_stream.ion import read_ion
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.runtime.process_services import WorkerServices, bind_worker_services
from kestra_stream.storage import LocalStorage, namespace_file, read_bytes
from kestra_stream.webserver.followers import FlowView
from tests.plugin_families.git_server import TOKEN, USERNAME, GitServer, git_server
from tests.plugin_families.ssh_server import PASSPHRASE, ssh_server

from .conftest import MakeContext
from .test_basic_tasks import task

G = "io.kestra.plugin.git"
AUTH = {"username": USERNAME, "password": TOKEN}


def flow_source(flow_id: str, namespace: str = "dev", message: str = "hello") -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n  - id: log\n"
        f"    type: io.kestra.plugin.core.log.Log\n    message: {message}\n"
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitServer]:
    with git_server(tmp_path / "git") as running:
        yield running


@pytest.fixture
def queue() -> Iterator[MemoryQueue]:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=1))
    bind_worker_services(WorkerServices(queue=queue))
    yield queue
    bind_worker_services(None)


def flows_of(queue: MemoryQueue) -> dict[str, tuple[int, str]]:
    view = FlowView(queue=queue, defaults=[])
    view.catch_up()
    try:
        return {f"{s.source.namespace}.{s.source.id}": (s.revision, s.source.source) for s in view.all()}
    finally:
        view.close()


def diff(ctx: TaskRunContext, uri: str) -> list[dict[str, Any]]:
    with ctx.storage.get(uri) as stream:  # type: ignore[attr-defined]
        return list(read_ion(stream))


def test_clone_with_a_token_into_a_directory(server: GitServer, ctx: TaskRunContext) -> None:
    url = server.create("repo", files={"README.md": "hello\n", "src/main.py": "print(1)\n"})
    outputs = run_task(task({"type": f"{G}.Clone", "url": url, "directory": "code", **AUTH}), ctx)
    directory = Path(outputs["directory"])
    assert directory == ctx.working_dir / "code"
    assert (directory / "README.md").read_text() == "hello\n" and (directory / "src/main.py").is_file()


def test_bad_credentials_and_a_missing_branch_fail_without_the_token(
    server: GitServer, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    url = server.create("repo", files={"README.md": "x"})
    wrong = task({"type": f"{G}.Clone", "url": url, "username": USERNAME, "password": "wrong-t0ken"})
    refused = r"git clone failed: fatal: Authentication failed for 'http://127\.0\.0\.1:\d+/repo\.git/'"
    with pytest.raises(TaskFailure, match=refused) as failure:
        run_task(wrong, ctx)
    assert "wrong-t0ken" not in str(failure.value)
    missing = task({"type": f"{G}.Clone", "url": url, "branch": "nope", **AUTH})
    with pytest.raises(TaskFailure, match="branch `nope` does not exist"):
        run_task(missing, ctx)
    assert all("wrong-t0ken" not in message and TOKEN not in message for message in sink.messages())


def test_push_then_sync_namespace_files(
    server: GitServer, make_context: MakeContext, local_storage: LocalStorage
) -> None:
    url = server.create("files")
    local_storage.put(namespace_file("company.team", "/scripts/etl.py"), b"print('etl')\n")
    local_storage.put(namespace_file("company.team", "/queries/a.sql"), b"select 1\n")
    ctx = make_context()
    push = {"type": f"{G}.PushNamespaceFiles", "url": url, "commitMessage": "sync scripts", **AUTH}
    dry = run_task(task({**push, "dryRun": True}), ctx)
    assert "commitId" not in dry and server.log("files") == []
    outputs = run_task(task({**push, "authorName": "Ada", "authorEmail": "ada@example.com"}), ctx)
    assert server.log("files") == ["Ada <ada@example.com>|sync scripts"]
    assert outputs["commitURL"].endswith(f"/files/commit/{outputs['commitId']}")
    checkout = server.checkout("files")
    assert (checkout / "_files/scripts/etl.py").read_text() == "print('etl')\n"
    assert sorted(row["syncState"] for row in diff(ctx, outputs["files"])) == ["ADDED", "ADDED"]

    other = make_context()
    sync = {"type": f"{G}.SyncNamespaceFiles", "url": url, "namespace": "company.sync", **AUTH}
    local_storage.put(namespace_file("company.sync", "/stale.txt"), b"old")
    result = run_task(task({**sync, "delete": True}), other)
    assert read_bytes(local_storage, "kestra://" + namespace_file("company.sync", "/scripts/etl.py")) == (
        b"print('etl')\n"
    )
    assert not local_storage.exists(namespace_file("company.sync", "/stale.txt"))
    states = {row["kestraPath"]: row["syncState"] for row in diff(other, result["files"])}
    assert states == {"/queries/a.sql": "ADDED", "/scripts/etl.py": "ADDED", "/stale.txt": "DELETED"}
    again = run_task(task(sync), make_context())
    assert {row["syncState"] for row in diff(other, again["files"])} == {"UNCHANGED"}


def test_a_push_rejected_by_git_fails_the_task_with_its_message(
    server: GitServer, make_context: MakeContext, local_storage: LocalStorage, sink: CollectingSink
) -> None:
    url = server.create("guarded", files={"README.md": "x"})
    server.reject_pushes("guarded", "pushes to main need a review")
    local_storage.put(namespace_file("company.team", "/a.txt"), b"a")
    push = task({"type": f"{G}.PushNamespaceFiles", "url": url, **AUTH})
    with pytest.raises(TaskFailure, match="pushes to main need a review") as failure:
        run_task(push, make_context())
    assert "rejected" in str(failure.value) and TOKEN not in str(failure.value)
    assert server.log("guarded") == ["seed <seed@example.com>|seed"]


def test_sync_flows_creates_updates_and_deletes_through_the_flow_store(
    server: GitServer, make_context: MakeContext, queue: MemoryQueue
) -> None:
    url = server.create(
        "flows",
        files={
            "_flows/a.yml": flow_source("a"),
            "_flows/marketing/b.yml": flow_source("b", "dev.marketing"),
            "README.md": "not a flow",
        },
    )
    sync = {"type": f"{G}.SyncFlows", "url": url, "targetNamespace": "prod", **AUTH}
    ctx = make_context()
    dry = run_task(task({**sync, "dryRun": True}), ctx)
    assert [row["syncState"] for row in diff(ctx, dry["flows"])] == ["ADDED"] and flows_of(queue) == {}
    run_task(task(sync), make_context())
    flows = flows_of(queue)
    assert set(flows) == {"prod.a"} and flows["prod.a"][0] == 1
    assert "namespace: prod\n" in flows["prod.a"][1]

    children = {**sync, "includeChildNamespaces": True}
    outputs = run_task(task(children), ctx)
    rows = {row["flowId"]: (row["syncState"], row["revision"]) for row in diff(ctx, outputs["flows"])}
    assert rows == {"a": ("UNCHANGED", 1), "b": ("ADDED", 1)}
    assert set(flows_of(queue)) == {"prod.a", "prod.marketing.b"}

    work = server.checkout("flows")
    (work / "_flows/a.yml").write_text(flow_source("a", message="changed"))
    (work / "_flows/marketing/b.yml").unlink()
    subprocess.run(["git", "commit", "-qam", "change a, drop b"], cwd=work, check=True)
    subprocess.run(["git", "push", "-q", str(server.root / "flows.git"), "main"], cwd=work, check=True)
    outputs = run_task(task({**children, "delete": True}), ctx)
    rows = {row["flowId"]: (row["syncState"], row["revision"]) for row in diff(ctx, outputs["flows"])}
    assert rows == {"a": ("UPDATED", 2), "b": ("DELETED", 1)}
    flows = flows_of(queue)
    assert set(flows) == {"prod.a"} and flows["prod.a"][0] == 2 and "message: changed" in flows["prod.a"][1]


def test_sync_flows_rejects_invalid_flows_with_the_validation_error(
    server: GitServer, ctx: TaskRunContext, queue: MemoryQueue
) -> None:
    broken = "id: broken\nnamespace: dev\ntasks:\n  - id: x\n    type: io.kestra.plugin.core.log.Lgo\n"
    url = server.create("bad", files={"_flows/ok.yml": flow_source("ok"), "_flows/broken.yml": broken})
    sync = task({"type": f"{G}.SyncFlows", "url": url, "targetNamespace": "prod", **AUTH})
    with pytest.raises(
        TaskFailure,
        match=r"(?s)_flows/broken.yml: .*5:5: tasks\[0\].type: Invalid type: io.kestra.plugin.core.log.Lgo",
    ):
        run_task(sync, ctx)
    assert flows_of(queue) == {}  # nothing synced


def test_push_flows_writes_the_namespace_flows_to_git(
    server: GitServer, make_context: MakeContext, queue: MemoryQueue
) -> None:
    seed = server.create(
        "src", files={"_flows/a.yml": flow_source("a"), "_flows/sub/c.yml": flow_source("c", "dev.sub")}
    )
    run_task(
        task(
            {
                "type": f"{G}.SyncFlows",
                "url": seed,
                "targetNamespace": "prod",
                "includeChildNamespaces": True,
                **AUTH,
            }
        ),
        make_context(),
    )
    target = server.create("dest", files={"_flows/old.yml": flow_source("old", "prod")})
    push = {"type": f"{G}.PushFlows", "url": target, "sourceNamespace": "prod", "branch": "kestra", **AUTH}
    outputs = run_task(task({**push, "includeChildNamespaces": True}), make_context())
    checkout = server.checkout("dest", branch="kestra")
    assert (checkout / "_flows/a.yml").read_text() == flows_of(queue)["prod.a"][1]
    assert (checkout / "_flows/sub/c.yml").is_file() and not (checkout / "_flows/old.yml").exists()
    assert server.log("dest", branch="kestra")[0].endswith("|Add flows from prod namespace")
    assert outputs["commitId"]


def test_clone_over_ssh_with_a_passphrase_protected_key(
    server: GitServer, tmp_path: Path, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    server.create("ssh", files={"README.md": "over ssh\n"})
    with ssh_server(tmp_path / "ssh") as ssh:
        url = ssh.url(server.root / "ssh.git")
        key = {"privateKey": ssh.private_key}
        outputs = run_task(task({"type": f"{G}.Clone", "url": url, **key, "passphrase": PASSPHRASE}), ctx)
        assert (Path(outputs["directory"]) / "README.md").read_text() == "over ssh\n"
        wrong = task({"type": f"{G}.Clone", "url": url, **key, "passphrase": "not-it", "directory": "x"})
        with pytest.raises(TaskFailure, match="Permission denied") as failure:
            run_task(wrong, ctx)
    message = str(failure.value)
    assert "not-it" not in message and "PRIVATE KEY" not in message and PASSPHRASE not in message
    assert all(PASSPHRASE not in line and "PRIVATE KEY" not in line for line in sink.messages())
