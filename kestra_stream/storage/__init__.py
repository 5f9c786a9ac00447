"""Internal storage: files addressed by ``kestra:///…`` URIs on a local directory or an S3 bucket."""

from typing import TYPE_CHECKING, Any

from kestra_stream.storage._factory import storage_from_config
from kestra_stream.storage._layout import (
    execution_prefix,
    input_file,
    kv_prefix,
    namespace_file,
    namespace_files_prefix,
    namespace_path,
    task_run_file,
    task_run_prefix,
)
from kestra_stream.storage._local import LocalStorage
from kestra_stream.storage._protocol import (
    CHUNK_SIZE,
    FileInfo,
    Storage,
    StorageFileNotFoundError,
    read_bytes,
)
from kestra_stream.storage._uri import (
    InvalidStorageUriError,
    is_storage_uri,
    safe_relative_path,
    storage_path,
    storage_uri,
)

if TYPE_CHECKING:
    from kestra_stream.storage._s3 import S3Storage

__all__ = [
    "CHUNK_SIZE",
    "FileInfo",
    "InvalidStorageUriError",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageFileNotFoundError",
    "execution_prefix",
    "input_file",
    "is_storage_uri",
    "kv_prefix",
    "namespace_file",
    "namespace_files_prefix",
    "namespace_path",
    "read_bytes",
    "safe_relative_path",
    "storage_from_config",
    "storage_path",
    "storage_uri",
    "task_run_file",
    "task_run_prefix",
]


def __getattr__(name: str) -> Any:
    """The S3 client library is imported only when S3 storage is used."""
    if name == "S3Storage":
        from kestra_stream.storage._s3 import S3Storage

        return S3Storage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
