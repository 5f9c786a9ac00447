"""The S3 tasks and trigger: Upload, Download, Downloads, List, Delete, DeleteList, Copy, CreateBucket,
Trigger, with Kestra's properties and outputs (``io.kestra.plugin.aws.s3.*``)."""

from __future__ import annotations

import posixpath
import re
import tempfile
import uuid
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from pydantic import BaseModel

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import PollingTrigger, RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_map, as_text
from kestra_stream.plugins.core.storage._common import fetch
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream.scheduler.plugins import TriggerRunContext
from kestra_stream.storage import execution_prefix
from kestra_stream_plugins._properties import (
    Renders,
    rendered_bool,
    rendered_enum,
    rendered_int,
    rendered_text,
)
from kestra_stream_plugins.aws._connection import AwsConnection, camel, kestra_type, object_json, s3_call

if TYPE_CHECKING:
    from minio import Minio

_JSON_ARRAY = re.compile(r"^\s*\[.*]\s*$", re.S)
# Upload properties S3Proxy and MinIO's client do not carry: rejected when set, never ignored.
_UPLOAD_UNSUPPORTED = (
    "acl",
    "server_side_encryption",
    "bucket_key_enabled",
    "checksum_algorithm",
    "checksum",
    "object_lock_mode",
    "object_lock_legal_hold_status",
    "object_lock_retain_until_date",
    "expected_bucket_owner",
    "content_length",
)


def _required(ctx: Renders, value: str | None, name: str) -> str:
    text = (rendered_text(ctx, value) or "").strip()
    if not text:
        raise TaskFailure(f"`{name}` is required")
    return text


class _S3Task(RunnableTask, AwsConnection):
    bucket: str | None = dynamic(None)

    def bucket_name(self, ctx: Renders) -> str:
        return _required(ctx, self.bucket, "bucket")


class _Listing(KestraModel):
    """Kestra's ``ListInterface``: which objects of ``bucket`` a List, Downloads, DeleteList or Trigger
    works on (one ListObjects request of up to ``maxKeys`` keys, then ``regexp`` and ``filter``)."""

    prefix: str | None = dynamic(None)
    delimiter: str | None = dynamic(None)
    marker: str | None = dynamic(None)
    encoding_type: str | None = dynamic(None)
    max_keys: int | str = dynamic(1000)
    expected_bucket_owner: str | None = dynamic(None)
    regexp: str | None = dynamic(None)
    filter: str = "BOTH"

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "encodingType": "not implemented: keys are listed as they are, never URL-encoded",
    }

    def objects(self, ctx: Renders, client: Minio, bucket: str) -> list[dict[str, Any]]:
        delimiter = rendered_text(ctx, self.delimiter)
        if delimiter not in (None, "", "/"):
            raise TaskFailure(f"`delimiter` `{delimiter}` is not supported: use `/` or none")
        kind = rendered_enum(ctx, self.filter, _Filter, "filter") or _Filter.BOTH
        regexp = rendered_text(ctx, self.regexp)
        pattern = re.compile(regexp) if regexp else None
        limit = rendered_int(ctx, self.max_keys, "maxKeys") or 1000
        encoding = rendered_text(ctx, self.encoding_type)
        if encoding not in (None, "", "url"):
            raise TaskFailure(f"`encodingType` `{encoding}` is not supported: S3 knows only `url`")
        owner = rendered_text(ctx, self.expected_bucket_owner)
        found: list[dict[str, Any]] = []
        with s3_call("list"):
            listing = client.list_objects(
                bucket,
                prefix=rendered_text(ctx, self.prefix) or None,
                recursive=not delimiter,
                start_after=rendered_text(ctx, self.marker) or None,
                use_api_v1=True,
                fetch_owner=True,
                extra_headers={"x-amz-expected-bucket-owner": owner} if owner else None,
            )
            for info in listing:
                if info.is_dir and delimiter:  # a common prefix, not an object (Kestra lists contents)
                    continue
                if len(found) == limit:
                    break
                key = info.object_name or ""
                if pattern is not None and not pattern.fullmatch(key):
                    continue
                if (kind is _Filter.FILES and key.endswith("/")) or (
                    kind is _Filter.DIRECTORY and not key.endswith("/")
                ):
                    continue
                found.append(object_json(info))
        return found


class _Filter(StrEnum):
    FILES = "FILES"
    DIRECTORY = "DIRECTORY"
    BOTH = "BOTH"


class Action(StrEnum):
    MOVE = "MOVE"
    DELETE = "DELETE"
    NONE = "NONE"


class CopyObject(KestraModel):
    bucket: str | None = dynamic(None)
    key: str | None = dynamic(None)


class CopyObjectFrom(CopyObject):
    version_id: str | None = dynamic(None)


def _download(ctx: Renders, client: Minio, bucket: str, key: str, target: Path, version: str | None) -> Any:
    with s3_call("download"):
        return client.fget_object(bucket, key, str(target), version_id=version or None)


def _after_download(
    ctx: Renders,
    client: Minio,
    bucket: str,
    objects: list[dict[str, Any]],
    action: Action | None,
    move_to: CopyObject | None,
) -> None:
    """Kestra's ``performAction``: the downloaded objects are deleted, or moved under ``moveTo.key``."""
    from minio.commonconfig import CopySource

    if action is Action.DELETE:
        for item in objects:
            with s3_call("delete"):
                client.remove_object(bucket, item["key"])
    elif action is Action.MOVE:
        if move_to is None or not rendered_text(ctx, move_to.key):
            raise TaskFailure("`moveTo` with a `key` is required with `action: MOVE`")
        target_bucket = rendered_text(ctx, move_to.bucket) or bucket
        directory = (rendered_text(ctx, move_to.key) or "").rstrip("/")
        for item in objects:
            destination = f"{directory}/{posixpath.basename(item['key'])}"
            with s3_call("move"):
                client.copy_object(target_bucket, destination, CopySource(bucket, item["key"]))
                client.remove_object(bucket, item["key"])


class ObjectOutput(BaseModel):
    bucket: str | None = None
    key: str | None = None
    eTag: str | None = None
    versionId: str | None = None


@kestra_type("io.kestra.plugin.aws.s3.Upload")
class Upload(_S3Task):
    """Upload one or several files of internal storage (a URI, a list or a JSON array) to S3."""

    outputs_model: ClassVar[type[BaseModel] | None] = ObjectOutput

    from_: Any = dynamic(alias="from")
    key: str = dynamic()
    metadata: dict[str, str] | str | None = dynamic(None)
    cache_control: str | None = dynamic(None)
    content_type: str | None = dynamic(None)
    content_encoding: str | None = dynamic(None)
    content_disposition: str | None = dynamic(None)
    content_language: str | None = dynamic(None)
    content_length: int | str | None = dynamic(None)
    expires: str | None = dynamic(None)
    acl: str | None = dynamic(None)
    storage_class: str | None = dynamic(None)
    server_side_encryption: str | None = dynamic(None)
    bucket_key_enabled: bool | str | None = dynamic(None)
    checksum_algorithm: str | None = dynamic(None)
    checksum: str | None = dynamic(None)
    expected_bucket_owner: str | None = dynamic(None)
    object_lock_mode: str | None = dynamic(None)
    object_lock_legal_hold_status: str | None = dynamic(None)
    object_lock_retain_until_date: str | None = dynamic(None)
    tagging: dict[str, str] | str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        for name in _UPLOAD_UNSUPPORTED:
            if getattr(self, name) is not None:
                raise TaskFailure(f"`{camel(name)}` is not supported by kestra-stream's S3 Upload")
        bucket, key = self.bucket_name(ctx), _required(ctx, self.key, "key")
        sources = self._sources(ctx)
        headers: dict[str, Any] = {
            f"x-amz-meta-{k}": v for k, v in as_map(ctx.render(self.metadata), "metadata").items()
        }
        for name, header in (
            ("cache_control", "Cache-Control"),
            ("content_encoding", "Content-Encoding"),
            ("content_disposition", "Content-Disposition"),
            ("content_language", "Content-Language"),
            ("expires", "Expires"),
            ("storage_class", "x-amz-storage-class"),
        ):
            value = rendered_text(ctx, getattr(self, name))
            if value:
                headers[header] = value
        tags = as_map(ctx.render(self.tagging), "tagging")
        if tags:
            headers["x-amz-tagging"] = "&".join(f"{k}={v}" for k, v in tags.items())
        content_type = rendered_text(ctx, self.content_type) or "application/octet-stream"
        client = self.client(ctx)
        result: Any = None
        for source in sources:
            local = fetch(ctx, source, ctx.working_dir / uuid.uuid4().hex)
            target = posixpath.join(key, posixpath.basename(source)) if len(sources) > 1 else key
            ctx.logger.debug(f"Uploading to '{target}'")
            with s3_call("upload"):
                result = client.fput_object(
                    bucket, target, str(local), content_type=content_type, metadata=headers
                )
            ctx.metric("file.count", "counter", 1)
            ctx.metric("file.size", "counter", local.stat().st_size)
        if len(sources) == 1:
            return {"bucket": bucket, "key": key, "eTag": f'"{result.etag}"', "versionId": result.version_id}
        return {"bucket": bucket}

    def _sources(self, ctx: RunContext) -> list[str]:
        raw = self.from_
        if isinstance(raw, list):
            sources = [as_text(ctx.render(item)).strip() for item in raw]
        else:
            rendered = ctx.render(raw)
            if isinstance(rendered, list):
                sources = [as_text(item).strip() for item in rendered]
            elif isinstance(rendered, str) and _JSON_ARRAY.match(rendered):
                sources = [str(item) for item in as_list(rendered)]
                if not sources:
                    raise TaskFailure("No files to upload: empty array provided in 'from' property")
            else:
                sources = [as_text(rendered).strip()]
        if not all(sources):
            raise TaskFailure("`from` is required: the URI(s) of the file(s) to upload")
        return sources


class DownloadOutput(BaseModel):
    uri: str
    contentLength: int | None = None
    contentType: str | None = None
    metadata: dict[str, str] = {}
    versionId: str | None = None


@kestra_type("io.kestra.plugin.aws.s3.Download")
class Download(_S3Task):
    """Download one object to internal storage."""

    outputs_model: ClassVar[type[BaseModel] | None] = DownloadOutput

    key: str = dynamic()
    version_id: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        bucket, key = self.bucket_name(ctx), _required(ctx, self.key, "key")
        client = self.client(ctx)
        target = ctx.working_dir / (uuid.uuid4().hex + posixpath.splitext(key)[1])
        info = _download(ctx, client, bucket, key, target, rendered_text(ctx, self.version_id))
        ctx.metric("file.size", "counter", target.stat().st_size)
        metadata = {
            str(name)[len("x-amz-meta-") :]: str(value)
            for name, value in (info.metadata or {}).items()
            if str(name).lower().startswith("x-amz-meta-")
        }
        return {
            "uri": ctx.put_file(target, posixpath.basename(key) or None),
            "contentLength": info.size,
            "contentType": info.content_type,
            "metadata": metadata,
            "versionId": info.version_id,
        }


class ListOutput(BaseModel):
    objects: list[dict[str, Any]]


@kestra_type("io.kestra.plugin.aws.s3.List")
class List(_S3Task, _Listing):
    """List the objects of a bucket (under ``prefix``, matching ``regexp``)."""

    outputs_model: ClassVar[type[BaseModel] | None] = ListOutput

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        objects = self.objects(ctx, self.client(ctx), self.bucket_name(ctx))
        ctx.metric("size", "counter", len(objects))
        return {"objects": objects}


class DownloadsOutput(BaseModel):
    objects: list[dict[str, Any]]
    outputFiles: dict[str, str]


@kestra_type("io.kestra.plugin.aws.s3.Downloads")
class Downloads(_S3Task, _Listing):
    """Download every listed object to internal storage, then delete or move them (``action``)."""

    outputs_model: ClassVar[type[BaseModel] | None] = DownloadsOutput

    action: str | None = dynamic(None)
    move_to: CopyObject | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        action = rendered_enum(ctx, self.action, Action, "action")
        if action is None:
            raise TaskFailure("`action` is required: MOVE, DELETE or NONE")
        client, bucket = self.client(ctx), self.bucket_name(ctx)
        objects = self.objects(ctx, client, bucket)
        for item in objects:
            target = ctx.working_dir / (uuid.uuid4().hex + posixpath.splitext(item["key"])[1])
            _download(ctx, client, bucket, item["key"], target, None)
            item["uri"] = ctx.put_file(target, posixpath.basename(item["key"]) or None)
        _after_download(ctx, client, bucket, objects, action, self.move_to)
        return {"objects": objects, "outputFiles": {item["key"]: item["uri"] for item in objects}}


class DeleteOutput(BaseModel):
    deleteMarker: bool | None = None
    versionId: str | None = None


@kestra_type("io.kestra.plugin.aws.s3.Delete")
class Delete(_S3Task):
    """Delete one object."""

    outputs_model: ClassVar[type[BaseModel] | None] = DeleteOutput

    key: str = dynamic()
    bypass_governance_retention: bool | str | None = dynamic(None)
    mfa: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        if self.mfa is not None or self.bypass_governance_retention is not None:
            raise TaskFailure("`mfa` and `bypassGovernanceRetention` are not supported by kestra-stream")
        bucket, key = self.bucket_name(ctx), _required(ctx, self.key, "key")
        client = self.client(ctx)
        with s3_call("delete"):
            client.stat_object(bucket, key)  # S3 answers a delete of a missing key with success
            client.remove_object(bucket, key)
        return {"deleteMarker": None, "versionId": None}


class DeleteListOutput(BaseModel):
    count: int
    size: int


@kestra_type("io.kestra.plugin.aws.s3.DeleteList")
class DeleteList(_S3Task, _Listing):
    """Delete every listed object; ``errorOnEmpty`` fails when there is none."""

    outputs_model: ClassVar[type[BaseModel] | None] = DeleteListOutput

    concurrent: int | str | None = dynamic(None)
    error_on_empty: bool | str = dynamic(False)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        from minio.deleteobjects import DeleteObject

        client, bucket = self.client(ctx), self.bucket_name(ctx)
        objects = self.objects(ctx, client, bucket)
        if not objects and rendered_bool(ctx, self.error_on_empty, "errorOnEmpty"):
            raise TaskFailure("no objects to delete (errorOnEmpty)")
        with s3_call("delete"):
            errors = list(client.remove_objects(bucket, (DeleteObject(item["key"]) for item in objects)))
        if errors:
            raise TaskFailure(
                f"S3 delete failed for {len(errors)} object(s): {errors[0].code}: {errors[0].message}"
            )
        size = sum(int(item["size"] or 0) for item in objects)
        ctx.metric("count", "counter", len(objects))
        ctx.metric("size", "counter", size)
        return {"count": len(objects), "size": size}


@kestra_type("io.kestra.plugin.aws.s3.Copy")
class Copy(_S3Task):
    """Copy an object (``from``) to another key or bucket (``to``), deleting the source with ``delete``."""

    outputs_model: ClassVar[type[BaseModel] | None] = ObjectOutput

    from_: CopyObjectFrom = dynamic(alias="from")
    to: CopyObject = dynamic()
    delete: bool | str = dynamic(False)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        from minio.commonconfig import CopySource

        source_bucket = _required(ctx, self.from_.bucket, "from.bucket")
        source_key = _required(ctx, self.from_.key, "from.key")
        target_bucket = rendered_text(ctx, self.to.bucket) or source_bucket
        target_key = rendered_text(ctx, self.to.key) or source_key
        client = self.client(ctx)
        version = rendered_text(ctx, self.from_.version_id) or None
        with s3_call("copy"):
            result = client.copy_object(
                target_bucket,
                target_key,
                CopySource(source_bucket, source_key, version),
            )
            if rendered_bool(ctx, self.delete, "delete"):
                client.remove_object(source_bucket, source_key)
        return {
            "bucket": target_bucket,
            "key": target_key,
            "eTag": f'"{result.etag}"',
            "versionId": result.version_id,
        }


class CreateBucketOutput(BaseModel):
    bucket: str
    region: str | None = None


@kestra_type("io.kestra.plugin.aws.s3.CreateBucket")
class CreateBucket(_S3Task):
    """Create a bucket (failing if it exists)."""

    outputs_model: ClassVar[type[BaseModel] | None] = CreateBucketOutput

    acl: str | None = dynamic(None)
    grant_full_control: str | None = dynamic(None)
    grant_read: str | None = dynamic(None)
    grant_read_acp: str | None = dynamic(None)
    grant_write: str | None = dynamic(None)
    grant_write_acp: str | None = dynamic(None)
    object_lock_enabled_for_bucket: bool | str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        for name in (
            "acl",
            "grant_full_control",
            "grant_read",
            "grant_read_acp",
            "grant_write",
            "grant_write_acp",
        ):
            if getattr(self, name) is not None:
                raise TaskFailure(f"`{camel(name)}` is not supported by kestra-stream's S3 CreateBucket")
        bucket = self.bucket_name(ctx)
        region = rendered_text(ctx, self.region) or None
        client = self.client(ctx)
        with s3_call("create bucket"):
            client.make_bucket(
                bucket,
                location=region,
                object_lock=bool(
                    rendered_bool(ctx, self.object_lock_enabled_for_bucket, "objectLockEnabledForBucket")
                ),
            )
        return {"bucket": bucket, "region": region}


@kestra_type("io.kestra.plugin.aws.s3.Trigger")
class Trigger(PollingTrigger, AwsConnection, _Listing):
    """Every ``interval``, list the bucket; when objects are there, download them to internal storage,
    delete or move them (``action``) and start one execution with ``trigger.objects``."""

    outputs_model: ClassVar[type[BaseModel] | None] = ListOutput
    default_interval: ClassVar[timedelta] = timedelta(seconds=60)

    bucket: str | None = dynamic(None)
    action: str | None = dynamic(None)
    move_to: CopyObject | None = None

    def evaluate(self, ctx: TriggerRunContext) -> dict[str, Any] | None:
        action = rendered_enum(ctx, self.action, Action, "action")
        if action is None:
            raise TaskFailure("`action` is required: MOVE, DELETE or NONE")
        if ctx.storage is None:
            raise TaskFailure("the S3 trigger needs internal storage to download the objects to")
        bucket = _required(ctx, self.bucket, "bucket")
        client = self.client(ctx)
        objects = self.objects(ctx, client, bucket)
        if not objects:
            return None
        # Kestra keeps a trigger's files under the execution it starts; its id is not known yet here.
        prefix = execution_prefix(namespace=ctx.namespace, flow_id=ctx.flow_id, execution_id=uuid.uuid4().hex)
        with tempfile.TemporaryDirectory(prefix="s3-trigger-") as directory:
            for item in objects:
                target = Path(directory) / uuid.uuid4().hex
                _download(ctx, client, bucket, item["key"], target, None)
                with target.open("rb") as data:
                    item["uri"] = ctx.storage.put(
                        f"{prefix}/trigger/{self.id}/{uuid.uuid4().hex}/{posixpath.basename(item['key'])}",
                        data,
                    )
        _after_download(ctx, client, bucket, objects, action, self.move_to)
        return {"objects": orjson.loads(orjson.dumps(objects))}
