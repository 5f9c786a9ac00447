from __future__ import annotations

from pathlib import Path

import pytest

from kestra_stream.config import ConfigError, load_config
from kestra_stream.storage import LocalStorage, S3Storage, storage_from_config

from .conftest import S3_ENDPOINT


def test_local_is_the_default(tmp_path: Path) -> None:
    config = load_config(environ={"KESTRA_STORAGE_LOCAL_BASE_PATH": str(tmp_path)})
    storage = storage_from_config(config)
    assert isinstance(storage, LocalStorage)
    assert storage.base_path == tmp_path.resolve()


def test_unknown_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="gcs"):
        storage_from_config(load_config(environ={"KESTRA_STORAGE_TYPE": "gcs"}))


def test_local_needs_a_base_path() -> None:
    with pytest.raises(ConfigError, match="base-path"):
        storage_from_config(load_config(environ={}))


@pytest.mark.s3
@pytest.mark.parametrize("kind", ["s3", "minio"])
def test_s3_and_minio_keys(kind: str) -> None:
    config = load_config(
        environ={
            "KESTRA_STORAGE_TYPE": kind,
            f"KESTRA_STORAGE_{kind.upper()}_ENDPOINT": S3_ENDPOINT,
            f"KESTRA_STORAGE_{kind.upper()}_ACCESS_KEY": "minioadmin",
            f"KESTRA_STORAGE_{kind.upper()}_SECRET_KEY": "minioadmin",
            f"KESTRA_STORAGE_{kind.upper()}_BUCKET": f"kestra-factory-{kind}",
        }
    )
    storage = storage_from_config(config)
    assert isinstance(storage, S3Storage)
    uri = storage.put("/company/f/x.txt", b"x")
    assert storage.exists(uri)
    storage.delete(uri)
