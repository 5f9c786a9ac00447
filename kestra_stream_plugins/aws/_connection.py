"""Kestra's ``AbstractConnectionInterface``: credentials, region and endpoint of an AWS client,
here a MinIO client (path-style unless ``forcePathStyle: false`` on AWS itself)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import urllib3

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import dynamic
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins._family import Family
from kestra_stream_plugins._properties import Renders, rendered_bool, rendered_text

AWS = Family()
kestra_type = AWS.kestra_type

# STS role assumption: Kestra's properties, not implemented here (rejected when set, not ignored).

if TYPE_CHECKING:
    from minio import Minio

_UNSUPPORTED = ("sts_role_arn", "sts_role_external_id", "sts_role_session_name", "sts_endpoint_override")


class AwsConnection(KestraModel):
    """The connection properties every S3 task and the trigger share."""

    access_key_id: str | None = dynamic(None)
    secret_key_id: str | None = dynamic(None)
    session_token: str | None = dynamic(None)
    region: str | None = dynamic(None)
    endpoint_override: str | None = dynamic(None)
    compatibility_mode: bool | str = dynamic(False)
    force_path_style: bool | str = dynamic(False)
    sts_role_arn: str | None = dynamic(None)
    sts_role_external_id: str | None = dynamic(None)
    sts_role_session_name: str | None = dynamic(None)
    sts_role_session_duration: str | None = dynamic(None)
    sts_endpoint_override: str | None = dynamic(None)
    request_payer: str | None = dynamic(None)

    unsupported_properties: ClassVar[Mapping[str, str]] = {
        "compatibilityMode": "not implemented: the S3 client talks plain S3 (path-style per forcePathStyle)",
        "requestPayer": "not implemented: requests carry no x-amz-request-payer header",
        "stsRoleSessionDuration": "only used with stsRoleArn, which is rejected",
    }

    def client(self, ctx: Renders) -> Minio:
        # the client library is imported when a task runs, not when a process loads the plugins
        from minio import Minio
        from minio.credentials.providers import AWSConfigProvider, ChainedProvider, EnvAWSProvider

        for name in _UNSUPPORTED:
            if getattr(self, name) is not None:
                raise TaskFailure(f"`{camel(name)}` is not supported by kestra-stream's AWS plugins")
        region = rendered_text(ctx, self.region) or None
        endpoint = rendered_text(ctx, self.endpoint_override) or None
        if endpoint:
            parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            host, secure = parts.netloc, parts.scheme == "https"
        else:
            host, secure = (f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"), True
        access_key = rendered_text(ctx, self.access_key_id) or None
        secret_key = rendered_text(ctx, self.secret_key_id) or None
        credentials = None
        if access_key is None and secret_key is None:
            credentials = ChainedProvider([EnvAWSProvider(), AWSConfigProvider()])
        client = Minio(
            host,
            access_key=access_key,
            secret_key=secret_key,
            session_token=rendered_text(ctx, self.session_token) or None,
            secure=secure,
            region=region or "us-east-1",
            credentials=credentials,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=10.0, read=300.0),
                retries=urllib3.Retry(total=2, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504)),
            ),
        )
        if endpoint is None and rendered_bool(ctx, self.force_path_style, "forcePathStyle") is False:
            client.enable_virtual_style_endpoint()  # type: ignore[no-untyped-call]
        else:  # an S3-compatible server (S3Proxy, MinIO...) or forcePathStyle: path-style requests
            client.disable_virtual_style_endpoint()  # type: ignore[no-untyped-call]
        return client


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def s3_failure(error: Exception, action: str) -> TaskFailure:
    """The server's answer (code and message, never a credential) as the task's failure."""
    from minio.error import InvalidResponseError, S3Error, ServerError

    if isinstance(error, S3Error):
        where = "/".join(part for part in (error.bucket_name, error.object_name) if part)
        return TaskFailure(
            f"S3 {action} failed: {error.code}: {error.message}" + (f" ({where})" if where else "")
        )
    if isinstance(error, InvalidResponseError | ServerError):
        return TaskFailure(f"S3 {action} failed: the server answered {error}")
    if isinstance(error, urllib3.exceptions.HTTPError | OSError):
        return TaskFailure(f"S3 {action} failed: cannot reach the S3 endpoint: {error}")
    if isinstance(error, ValueError):
        return TaskFailure(f"S3 {action} failed: {error}")
    raise error


@contextmanager
def s3_call(action: str) -> Iterator[None]:
    from minio.error import InvalidResponseError, S3Error, ServerError

    try:
        yield
    except (
        S3Error,
        InvalidResponseError,
        ServerError,
        urllib3.exceptions.HTTPError,
        OSError,
        ValueError,
    ) as error:
        raise s3_failure(error, action) from None


def object_json(info: Any) -> dict[str, Any]:
    """Kestra's ``S3Object``: key, etag, size, lastModified, owner."""
    owner = None
    if getattr(info, "owner_id", None) or getattr(info, "owner_name", None):
        owner = {"id": info.owner_id, "displayName": info.owner_name}
    modified = info.last_modified
    return {
        "key": info.object_name,
        "etag": f'"{info.etag}"' if info.etag and not info.etag.startswith('"') else info.etag,
        "size": info.size,
        "lastModified": modified.isoformat().replace("+00:00", "Z") if modified else None,
        "owner": owner,
    }
