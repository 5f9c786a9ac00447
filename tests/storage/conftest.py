"""One contract suite for every storage backend: local on a temp dir, S3 on the real server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kestra_stream.storage import LocalStorage, S3Storage, Storage

S3_ENDPOINT = os.environ.get("KESTRA_TEST_S3_ENDPOINT", "http://127.0.0.1:9000")
S3_BUCKET = "kestra-stream-tests"


def make_s3_storage(*, tenant: str | None = None) -> S3Storage:
    """Fails (never skips) when the S3 server is down: an unreachable server is a broken setup."""
    parts = urlsplit(S3_ENDPOINT)
    return S3Storage(
        endpoint=parts.netloc,
        access_key=os.environ.get("KESTRA_TEST_S3_ACCESS_KEY", "minioadmin"),
        secret_key=os.environ.get("KESTRA_TEST_S3_SECRET_KEY", "minioadmin"),
        bucket=S3_BUCKET,
        secure=parts.scheme == "https",
        tenant=tenant or f"test-{uuid.uuid4().hex[:12]}",
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(base_path=tmp_path / "storage")
        return
    s3 = make_s3_storage()
    yield s3
    s3.delete_prefix("/")
