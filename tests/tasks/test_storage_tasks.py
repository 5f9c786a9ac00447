from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from kestra_stream.runtime import TaskFailure, TaskRunContext, run_task
from kestra_stream.storage import LocalStorage, S3Storage, Storage, read_bytes

from .conftest import MakeContext
from .test_basic_tasks import task

SOURCE = "/company/team/flow/executions/exec1/inputs/file/rows.csv"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, local_storage: LocalStorage) -> Iterator[Storage]:
    if request.param == "local":
        yield local_storage
        return
    endpoint = urlsplit(os.environ.get("KESTRA_TEST_S3_ENDPOINT", "http://127.0.0.1:9000"))
    s3 = S3Storage(
        endpoint=endpoint.netloc,
        access_key=os.environ.get("KESTRA_TEST_S3_ACCESS_KEY", "minioadmin"),
        secret_key=os.environ.get("KESTRA_TEST_S3_SECRET_KEY", "minioadmin"),
        bucket="kestra-stream-tests",
        tenant=f"tasks-{uuid.uuid4().hex[:12]}",
    )
    yield s3
    s3.delete_prefix("/")


@pytest.fixture
def storage_ctx(backend: Storage, make_context: MakeContext) -> TaskRunContext:
    return make_context(storage=backend)


def storage_task(kind: str, **properties: Any) -> Any:
    return task({"type": f"io.kestra.plugin.core.storage.{kind}", **properties})


def store(ctx: TaskRunContext, data: bytes, path: str = SOURCE) -> str:
    storage: Storage = ctx.storage
    return storage.put(path, data)


def test_write_then_size_then_delete(storage_ctx: TaskRunContext, make_context: MakeContext) -> None:
    written = run_task(storage_task("Write", content="hello {{ flow.id }}", extension="txt"), storage_ctx)
    assert written["uri"].startswith("kestra:///company/team/flow/executions/exec1/tasks/task/run1/")
    assert written["uri"].endswith(".txt")
    assert read_bytes(storage_ctx.storage, written["uri"]) == b"hello flow"
    with_uri = make_context({"uri": written["uri"]}, storage=storage_ctx.storage)
    assert run_task(storage_task("Size", uri="{{ uri }}"), with_uri) == {"size": 10}
    assert run_task(storage_task("Delete", uri=written["uri"]), storage_ctx) == {
        "uri": written["uri"],
        "deleted": True,
    }
    assert run_task(storage_task("Delete", uri=written["uri"]), storage_ctx)["deleted"] is False
    with pytest.raises(TaskFailure, match="Unable to find file"):
        run_task(storage_task("Delete", uri=written["uri"], errorOnMissing=True), storage_ctx)
    with pytest.raises(TaskFailure, match="file not found"):
        run_task(storage_task("Size", uri=written["uri"]), storage_ctx)


def test_concat_list_and_json_string(storage_ctx: TaskRunContext) -> None:
    first = store(storage_ctx, b"a\n", "/company/team/flow/executions/exec1/inputs/f/1.txt")
    second = store(storage_ctx, b"b\n", "/company/team/flow/executions/exec1/inputs/f/2.txt")
    outputs = run_task(storage_task("Concat", files=[first, second], separator="--\n"), storage_ctx)
    assert outputs["uri"].endswith(".tmp")
    assert read_bytes(storage_ctx.storage, outputs["uri"]) == b"a\n--\nb\n--\n"  # as Kestra 1.3.31
    as_json = run_task(
        storage_task("Concat", files=f'["{second}", "{first}"]', extension=".csv"), storage_ctx
    )
    assert as_json["uri"].endswith(".csv")
    assert read_bytes(storage_ctx.storage, as_json["uri"]) == b"b\na\n"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ({"rows": 4}, [b"0\n1\n2\n3\n", b"4\n5\n6\n7\n", b"8\n9\n"]),
        ({"partitions": 3}, [b"0\n3\n6\n9\n", b"1\n4\n7\n", b"2\n5\n8\n"]),
        ({"bytes": "6B"}, [b"0\n1\n2\n", b"3\n4\n5\n", b"6\n7\n8\n", b"9\n"]),
    ],
)
def test_split(storage_ctx: TaskRunContext, option: dict[str, Any], expected: list[bytes]) -> None:
    store(storage_ctx, b"".join(f"{i}\n".encode() for i in range(10)))
    outputs = run_task(storage_task("Split", **{"from": f"kestra://{SOURCE}", **option}), storage_ctx)
    assert [read_bytes(storage_ctx.storage, uri) for uri in outputs["uris"]] == expected
    assert all(uri.endswith(".csv") for uri in outputs["uris"])


def test_split_needs_an_option_and_takes_kestras_precedence(storage_ctx: TaskRunContext) -> None:
    """Recorded on Kestra 1.3.31: with several set, ``bytes`` wins over ``partitions`` over ``rows``."""
    with pytest.raises(TaskFailure, match="no size, count, nor rows"):
        run_task(storage_task("Split", **{"from": SOURCE}), storage_ctx)
    store(storage_ctx, b"".join(f"{i}\n".encode() for i in range(10)))
    for option, count in (
        ({"rows": 1, "partitions": 3}, 3),
        ({"rows": 1, "partitions": 3, "bytes": "6B"}, 4),
        ({"rows": 3, "bytes": "1KB"}, 1),
    ):
        outputs = run_task(storage_task("Split", **{"from": f"kestra://{SOURCE}", **option}), storage_ctx)
        assert len(outputs["uris"]) == count, option


def test_local_files(storage_ctx: TaskRunContext) -> None:
    source = store(storage_ctx, b"stored")
    outputs = run_task(
        storage_task(
            "LocalFiles",
            inputs={"in.txt": "inline {{ flow.id }}", "sub/copy.csv": source},
            outputs=["*.txt", "sub/*"],
        ),
        storage_ctx,
    )
    assert set(outputs["uris"]) == {"in.txt", "sub/copy.csv"}
    assert read_bytes(storage_ctx.storage, outputs["uris"]["sub/copy.csv"]) == b"stored"


def test_old_storage_aliases_resolve() -> None:
    for name in ("Concat", "Delete", "LocalFiles", "Size", "Split"):
        assert task({"type": f"io.kestra.core.tasks.storages.{name}", **_minimal(name)}) is not None


def _minimal(name: str) -> dict[str, Any]:
    return {
        "Concat": {"files": []},
        "Delete": {"uri": "kestra:///x"},
        "LocalFiles": {},
        "Size": {"uri": "kestra:///x"},
        "Split": {"from": "kestra:///x", "rows": 1},
    }[name]


def test_traversal_in_uri_fails_the_task(storage_ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="traversal"):
        run_task(storage_task("Size", uri="kestra:///company/../../etc/passwd"), storage_ctx)
