"""Internal storage on an S3-compatible server through the ``minio`` client (types ``s3``/``minio``)."""

from __future__ import annotations

import builtins
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

from minio import Minio
from minio.error import S3Error

from kestra_stream.storage._local import DEFAULT_TENANT
from kestra_stream.storage._protocol import FileInfo, StorageFileNotFoundError
from kestra_stream.storage._uri import storage_path, storage_uri

DEFAULT_PART_SIZE = 5 * 1024 * 1024
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})


class S3Storage:
    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str | None,
        secret_key: str | None,
        bucket: str,
        secure: bool = False,
        region: str | None = "us-east-1",
        part_size: int = DEFAULT_PART_SIZE,
        tenant: str = DEFAULT_TENANT,
        create_bucket: bool = True,
    ) -> None:
        # A fixed region saves the GetBucketLocation round trip on every call.
        self._client = Minio(
            endpoint=endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        self._bucket = bucket
        self._part_size = part_size
        self._tenant = tenant
        if create_bucket and not self._client.bucket_exists(bucket_name=bucket):
            try:
                self._client.make_bucket(bucket_name=bucket)
            except S3Error as error:
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    @property
    def bucket(self) -> str:
        return self._bucket

    def _key(self, uri: str) -> tuple[str, str]:
        path = storage_path(uri)
        return path, f"{self._tenant}{path}"

    def _uri_of(self, key: str) -> str:
        return storage_uri(key[len(self._tenant) :])

    def put(self, uri: str, data: bytes | BinaryIO) -> str:
        path, key = self._key(uri)
        stream: BinaryIO
        length = -1
        if isinstance(data, bytes | bytearray | memoryview):
            stream, length = io.BytesIO(bytes(data)), len(data)
        else:
            stream = data
            if stream.seekable():
                start = stream.tell()
                length = stream.seek(0, io.SEEK_END) - start
                stream.seek(start)
        self._client.put_object(
            bucket_name=self._bucket,
            object_name=key,
            data=stream,
            length=length,
            part_size=self._part_size if length < 0 else 0,
        )
        return storage_uri(path)

    @contextmanager
    def get(self, uri: str) -> Iterator[BinaryIO]:
        _, key = self._key(uri)
        try:
            response = self._client.get_object(bucket_name=self._bucket, object_name=key)
        except S3Error as error:
            if error.code in _MISSING_CODES:
                raise StorageFileNotFoundError(uri) from None
            raise
        try:
            yield cast(BinaryIO, response)
        finally:
            response.close()
            response.release_conn()

    def _stat(self, uri: str) -> Any | None:
        _, key = self._key(uri)
        try:
            return self._client.stat_object(bucket_name=self._bucket, object_name=key)
        except S3Error as error:
            if error.code in _MISSING_CODES:
                return None
            raise

    def exists(self, uri: str) -> bool:
        return self._stat(uri) is not None

    def size(self, uri: str) -> int:
        stat = self._stat(uri)
        if stat is None:
            raise StorageFileNotFoundError(uri)
        return int(stat.size)

    def list(self, uri: str) -> list[FileInfo]:
        path, key = self._key(uri)
        prefix = key if path == "/" else key + "/"
        found = [
            FileInfo(uri=self._uri_of(item.object_name), size=int(item.size or 0), updated=item.last_modified)
            for item in self._client.list_objects(bucket_name=self._bucket, prefix=prefix, recursive=True)
            if not item.is_dir
        ]
        single = self._stat(uri) if path != "/" else None
        if single is not None:
            found.append(FileInfo(uri=storage_uri(path), size=int(single.size), updated=single.last_modified))
        return sorted(found, key=lambda info: info.uri)

    def delete(self, uri: str) -> bool:
        if not self.exists(uri):
            return False
        _, key = self._key(uri)
        self._client.remove_object(bucket_name=self._bucket, object_name=key)
        return True

    def delete_prefix(self, uri: str) -> builtins.list[str]:
        deleted = []
        # One DELETE per object: multi-object delete support varies between S3 servers.
        for info in self.list(uri):
            _, key = self._key(info.uri)
            self._client.remove_object(bucket_name=self._bucket, object_name=key)
            deleted.append(info.uri)
        return deleted
