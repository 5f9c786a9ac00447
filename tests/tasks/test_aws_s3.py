"""The aws s3 tasks and trigger against the real S3Proxy that deploy/infra.sh runs, as the worker
runs them: every task, the outputs Kestra gives, and bad credentials / missing buckets or keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from minio import Minio

from kestra_stream.expressions import ExpressionEngine
from kestra_stream.plugins import registry
from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.scheduler.plugins import TriggerRunContext
from kestra_stream.storage import LocalStorage, read_bytes
from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY

from .test_basic_tasks import task

pytestmark = pytest.mark.s3
SOURCE = "/company/team/flow/executions/exec1/inputs/file/"


@pytest.fixture
def s3(s3_endpoint: str) -> dict[str, str]:
    """Connection properties as a flow writes them (credentials would come from secrets)."""
    return {
        "endpointOverride": s3_endpoint,
        "accessKeyId": S3_ACCESS_KEY,
        "secretKeyId": S3_SECRET_KEY,
        "region": "us-east-1",
        "forcePathStyle": "true",
    }


@pytest.fixture
def bucket(s3: dict[str, str], ctx: TaskRunContext) -> Iterator[str]:
    name = f"ks-s3-{uuid.uuid4().hex[:12]}"
    created = run_task(task({"type": "io.kestra.plugin.aws.s3.CreateBucket", "bucket": name, **s3}), ctx)
    assert created == {"bucket": name, "region": "us-east-1"}
    yield name
    client = Minio(s3["endpointOverride"].split("://")[1], S3_ACCESS_KEY, S3_SECRET_KEY, secure=False)
    for item in client.list_objects(name, recursive=True):
        client.remove_object(name, item.object_name)
    client.remove_bucket(name)


def s3_task(kind: str, s3: dict[str, str], **properties: Any) -> Any:
    return task({"type": f"io.kestra.plugin.aws.s3.{kind}", **s3, **properties})


def put(ctx: TaskRunContext, name: str, data: bytes) -> str:
    return ctx.storage.put(SOURCE + name, data)


def test_upload_download_list_copy_delete(
    s3: dict[str, str], bucket: str, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    uri = put(ctx, "data.csv", b"a,b\n1,2\n")
    uploaded = run_task(
        s3_task(
            "Upload",
            s3,
            bucket=bucket,
            key="in/data.csv",
            metadata={"owner": "team"},
            contentType="text/csv",
            **{"from": uri},
        ),
        ctx,
    )
    assert uploaded["bucket"] == bucket and uploaded["key"] == "in/data.csv"
    assert uploaded["eTag"].startswith('"') and len(uploaded["eTag"]) == 34
    assert sink.metric("file.size").value == 8
    downloaded = run_task(s3_task("Download", s3, bucket=bucket, key="in/data.csv"), ctx)
    assert read_bytes(ctx.storage, downloaded["uri"]) == b"a,b\n1,2\n"
    assert downloaded["uri"].endswith("/data.csv")
    assert downloaded["contentLength"] == 8 and downloaded["contentType"] == "text/csv"
    assert downloaded["metadata"].get("owner") == "team" or downloaded["metadata"].get("Owner") == "team"
    copied = run_task(
        s3_task(
            "Copy", s3, **{"from": {"bucket": bucket, "key": "in/data.csv"}}, to={"key": "archive/data.csv"}
        ),
        ctx,
    )
    assert copied["bucket"] == bucket and copied["key"] == "archive/data.csv"
    listed = run_task(s3_task("List", s3, bucket=bucket), ctx)["objects"]
    assert [item["key"] for item in listed] == ["archive/data.csv", "in/data.csv"]
    assert listed[0]["size"] == 8 and listed[0]["etag"] == uploaded["eTag"] and listed[0]["lastModified"]
    only_in = run_task(s3_task("List", s3, bucket=bucket, prefix="in/", regexp=".*\\.csv"), ctx)["objects"]
    assert [item["key"] for item in only_in] == ["in/data.csv"]
    assert run_task(s3_task("List", s3, bucket=bucket, regexp="nothing"), ctx)["objects"] == []
    assert run_task(s3_task("Delete", s3, bucket=bucket, key="in/data.csv"), ctx) == {
        "deleteMarker": None,
        "versionId": None,
    }
    assert [item["key"] for item in run_task(s3_task("List", s3, bucket=bucket), ctx)["objects"]] == [
        "archive/data.csv"
    ]


def test_upload_several_files_then_downloads_move_and_delete_list(
    s3: dict[str, str], bucket: str, ctx: TaskRunContext
) -> None:
    first, second = put(ctx, "one.txt", b"1"), put(ctx, "two.txt", b"22")
    assert run_task(
        s3_task("Upload", s3, bucket=bucket, key="drop", **{"from": f'["{first}", "{second}"]'}), ctx
    ) == {"bucket": bucket}
    moved = run_task(
        s3_task("Downloads", s3, bucket=bucket, prefix="drop/", action="MOVE", moveTo={"key": "done"}), ctx
    )
    assert sorted(moved["outputFiles"]) == ["drop/one.txt", "drop/two.txt"]
    assert read_bytes(ctx.storage, moved["outputFiles"]["drop/two.txt"]) == b"22"
    keys = [item["key"] for item in run_task(s3_task("List", s3, bucket=bucket), ctx)["objects"]]
    assert keys == ["done/one.txt", "done/two.txt"]
    deleted = run_task(s3_task("DeleteList", s3, bucket=bucket, prefix="done/"), ctx)
    assert deleted == {"count": 2, "size": 3}
    with pytest.raises(TaskFailure, match="errorOnEmpty"):
        run_task(s3_task("DeleteList", s3, bucket=bucket, errorOnEmpty=True), ctx)


def test_bad_credentials_missing_bucket_and_key_fail_clearly_without_the_secret(
    s3: dict[str, str], bucket: str, ctx: TaskRunContext
) -> None:
    wrong = {**s3, "secretKeyId": "not-the-secret-4242"}
    with pytest.raises(TaskFailure) as error:
        run_task(s3_task("List", wrong, bucket=bucket), ctx)
    assert "S3 list failed" in str(error.value) and "not-the-secret-4242" not in str(error.value)
    with pytest.raises(TaskFailure, match="S3 list failed: NoSuchBucket"):
        run_task(s3_task("List", s3, bucket=f"{bucket}-missing"), ctx)
    with pytest.raises(TaskFailure, match="S3 download failed: NoSuchKey"):
        run_task(s3_task("Download", s3, bucket=bucket, key="nope.txt"), ctx)
    with pytest.raises(TaskFailure, match="S3 delete failed: NoSuchKey"):
        run_task(s3_task("Delete", s3, bucket=bucket, key="nope.txt"), ctx)
    with pytest.raises(TaskFailure, match="S3 create bucket failed: Bucket"):
        run_task(s3_task("CreateBucket", s3, bucket=bucket), ctx)
    with pytest.raises(TaskFailure, match="cannot reach the S3 endpoint"):
        run_task(s3_task("List", {**s3, "endpointOverride": "http://127.0.0.1:9"}, bucket=bucket), ctx)
    with pytest.raises(TaskFailure, match="`acl` is not supported"):
        run_task(
            s3_task("Upload", s3, bucket=bucket, key="k", acl="private", **{"from": put(ctx, "x", b"x")}), ctx
        )


def test_trigger_downloads_new_objects_then_deletes_them(
    s3: dict[str, str], bucket: str, ctx: TaskRunContext, tmp_path: Any
) -> None:
    storage = LocalStorage(base_path=tmp_path / "trigger-storage")
    watch = registry.resolve("io.kestra.plugin.aws.s3.Trigger").model_validate(
        {
            "type": "io.kestra.plugin.aws.s3.Trigger",
            "id": "watch",
            **s3,
            "bucket": bucket,
            "prefix": "in/",
            "action": "DELETE",
        }
    )
    context = TriggerRunContext(
        uid="t",
        namespace="company.team",
        flow_id="flow",
        variables={},
        engine=ExpressionEngine(),
        storage=storage,
    )
    assert watch.evaluate(context) is None
    run_task(
        s3_task("Upload", s3, bucket=bucket, key="in/a.json", **{"from": put(ctx, "a.json", b"{}")}), ctx
    )
    found = watch.evaluate(context)
    assert found is not None and [item["key"] for item in found["objects"]] == ["in/a.json"]
    assert read_bytes(storage, found["objects"][0]["uri"]) == b"{}"
    assert "/trigger/watch/" in found["objects"][0]["uri"]
    assert watch.evaluate(context) is None  # deleted: not detected twice
