"""Proof test on the real S3 server (S3Proxy, SigV4) through the minio client."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from minio import Minio
from minio.error import S3Error

pytestmark = pytest.mark.s3

S3_ACCESS_KEY = os.environ.get("KESTRA_TEST_S3_ACCESS_KEY", "minioadmin")
S3_SECRET_KEY = os.environ.get("KESTRA_TEST_S3_SECRET_KEY", "minioadmin")

MIB = 1024 * 1024


def client(endpoint: str, secret_key: str = S3_SECRET_KEY) -> Minio:
    parts = urlsplit(endpoint)
    return Minio(
        endpoint=parts.netloc,
        access_key=S3_ACCESS_KEY,
        secret_key=secret_key,
        secure=parts.scheme == "https",
        region="us-east-1",
    )


@pytest.fixture
def bucket(s3_endpoint: str, unique_name: str) -> Iterator[str]:
    s3 = client(s3_endpoint)
    s3.make_bucket(bucket_name=unique_name)
    yield unique_name
    for obj in s3.list_objects(bucket_name=unique_name, recursive=True):
        s3.remove_object(bucket_name=unique_name, object_name=obj.object_name)
    s3.remove_bucket(bucket_name=unique_name)


def test_put_get_list_stat_delete(s3_endpoint: str, bucket: str) -> None:
    s3 = client(s3_endpoint)
    assert s3.bucket_exists(bucket_name=bucket)
    body = b'{"outputs": {"value": 42}}'
    s3.put_object(
        bucket_name=bucket,
        object_name="main/ns/flow/executions/e1/out.json",
        data=io.BytesIO(body),
        length=len(body),
        content_type="application/json",
    )
    s3.put_object(bucket_name=bucket, object_name="main/ns/other.txt", data=io.BytesIO(b"x"), length=1)

    response = s3.get_object(bucket_name=bucket, object_name="main/ns/flow/executions/e1/out.json")
    try:
        assert response.read() == body
    finally:
        response.close()
        response.release_conn()

    stat = s3.stat_object(bucket_name=bucket, object_name="main/ns/flow/executions/e1/out.json")
    assert stat.size == len(body)
    assert stat.content_type == "application/json"

    objects = s3.list_objects(bucket_name=bucket, prefix="main/ns/", recursive=True)
    listed = sorted(o.object_name for o in objects)
    assert listed == ["main/ns/flow/executions/e1/out.json", "main/ns/other.txt"]
    top = sorted(o.object_name for o in s3.list_objects(bucket_name=bucket, prefix="main/ns/"))
    assert top == ["main/ns/flow/", "main/ns/other.txt"]  # "directories" without recursive

    s3.remove_object(bucket_name=bucket, object_name="main/ns/other.txt")
    with pytest.raises(S3Error) as missing:
        s3.stat_object(bucket_name=bucket, object_name="main/ns/other.txt")
    assert missing.value.code in ("NoSuchKey", "ResourceNotFound")


def test_multipart_upload(s3_endpoint: str, bucket: str) -> None:
    s3 = client(s3_endpoint)
    data = os.urandom(12 * MIB + 123)
    # unknown length + 5 MiB parts forces a multipart upload (3 parts)
    result = s3.put_object(
        bucket_name=bucket, object_name="big.bin", data=io.BytesIO(data), length=-1, part_size=5 * MIB
    )
    assert result.etag.endswith("-3"), f"expected a 3-part multipart etag, got {result.etag}"
    assert s3.stat_object(bucket_name=bucket, object_name="big.bin").size == len(data)
    response = s3.get_object(bucket_name=bucket, object_name="big.bin")
    try:
        assert hashlib.sha256(response.read()).digest() == hashlib.sha256(data).digest()
    finally:
        response.close()
        response.release_conn()
    ranged = s3.get_object(bucket_name=bucket, object_name="big.bin", offset=6 * MIB, length=10)
    try:
        assert ranged.read() == data[6 * MIB : 6 * MIB + 10]
    finally:
        ranged.close()
        ranged.release_conn()


def test_wrong_secret_is_rejected(s3_endpoint: str, bucket: str) -> None:
    with pytest.raises(S3Error) as denied:
        client(s3_endpoint, secret_key="not-the-secret").bucket_exists(bucket_name=bucket)
    assert denied.value.code in ("SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId")
