"""Build the configured storage from Kestra's keys (``kestra.storage.type`` and its section)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from kestra_stream.config import Config, ConfigError
from kestra_stream.storage._local import LocalStorage
from kestra_stream.storage._protocol import Storage

if TYPE_CHECKING:
    from kestra_stream.storage._s3 import S3Storage

DEFAULT_BUCKET = "kestra"


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _minio(config: Config) -> S3Storage:
    from kestra_stream.storage._s3 import DEFAULT_PART_SIZE, S3Storage

    section = "kestra.storage.minio"
    endpoint = str(config.require(f"{section}.endpoint"))
    secure = _as_bool(config.get(f"{section}.secure", False))
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        secure = parts.scheme == "https"
        endpoint = parts.netloc
    if ":" not in endpoint:
        endpoint = f"{endpoint}:{config.get(f'{section}.port', 9000)}"
    return S3Storage(
        endpoint=endpoint,
        access_key=config.get(f"{section}.access-key"),
        secret_key=config.get(f"{section}.secret-key"),
        bucket=str(config.get(f"{section}.bucket", DEFAULT_BUCKET)),
        secure=secure,
        region=config.get(f"{section}.region", "us-east-1"),
        part_size=int(config.get(f"{section}.part-size", DEFAULT_PART_SIZE)),
    )


def _s3(config: Config) -> S3Storage:
    from kestra_stream.storage._s3 import S3Storage

    section = "kestra.storage.s3"
    region = str(config.get(f"{section}.region", "us-east-1"))
    raw = config.get(f"{section}.endpoint") or f"https://s3.{region}.amazonaws.com"
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    return S3Storage(
        endpoint=parts.netloc,
        access_key=config.get(f"{section}.access-key"),
        secret_key=config.get(f"{section}.secret-key"),
        bucket=str(config.require(f"{section}.bucket")),
        secure=parts.scheme == "https",
        region=region,
    )


def storage_from_config(config: Config) -> Storage:
    kind = str(config.get("kestra.storage.type", "local")).lower()
    if kind == "local":
        base_path = config.get("kestra.storage.local.base-path")
        if not base_path:
            raise ConfigError("kestra.storage.local.base-path is required for local storage")
        return LocalStorage(base_path=str(base_path))
    if kind == "minio":
        return _minio(config)
    if kind == "s3":
        return _s3(config)
    raise ConfigError(f"unsupported kestra.storage.type `{kind}` (supported: local, s3, minio)")
