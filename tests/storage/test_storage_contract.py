from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from kestra_stream.storage import (
    InvalidStorageUriError,
    LocalStorage,
    Storage,
    StorageFileNotFoundError,
    read_bytes,
    task_run_file,
)

FILE = "kestra:///company/team/flow/executions/e1/tasks/t1/tr1/out.txt"


def test_put_then_get_round_trips_bytes(storage: Storage) -> None:
    uri = storage.put(FILE, b"hello\nworld\n")
    assert uri == FILE
    assert read_bytes(storage, FILE) == b"hello\nworld\n"
    assert storage.exists(FILE)
    assert storage.size(FILE) == 12


def test_put_streams_from_a_file_object(storage: Storage) -> None:
    payload = os.urandom(6 * 1024 * 1024 + 3)
    storage.put(FILE, io.BytesIO(payload))
    with storage.get(FILE) as stream:
        first = stream.read(1024)
        rest = stream.read()
    assert first + rest == payload
    assert storage.size(FILE) == len(payload)


def test_put_accepts_a_non_seekable_stream(storage: Storage, tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"piped data")
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        storage.put(FILE, pipe)
    assert read_bytes(storage, FILE) == b"piped data"


def test_put_overwrites(storage: Storage) -> None:
    storage.put(FILE, b"one")
    storage.put(FILE, b"two!")
    assert read_bytes(storage, FILE) == b"two!"


def test_missing_file(storage: Storage) -> None:
    assert not storage.exists(FILE)
    with pytest.raises(StorageFileNotFoundError):
        storage.size(FILE)
    with pytest.raises(StorageFileNotFoundError), storage.get(FILE):
        pass
    assert storage.delete(FILE) is False


def test_list_is_recursive_and_sorted(storage: Storage) -> None:
    base = "kestra:///company/team/flow/executions/e1"
    storage.put(f"{base}/tasks/b/1/x.txt", b"xx")
    storage.put(f"{base}/tasks/a/1/y.txt", b"y")
    storage.put("kestra:///company/team/flow/executions/e10/tasks/a/1/z.txt", b"z")
    listed = storage.list(base)
    assert [info.uri for info in listed] == [f"{base}/tasks/a/1/y.txt", f"{base}/tasks/b/1/x.txt"]
    assert [info.size for info in listed] == [1, 2]
    assert storage.list("kestra:///nothing/here") == []


def test_delete_and_delete_prefix(storage: Storage) -> None:
    base = "kestra:///company/team/flow/executions/e2"
    storage.put(f"{base}/a.txt", b"a")
    storage.put(f"{base}/sub/b.txt", b"b")
    storage.put(FILE, b"keep")
    assert storage.delete(f"{base}/a.txt") is True
    assert not storage.exists(f"{base}/a.txt")
    assert storage.delete_prefix(base) == [f"{base}/sub/b.txt"]
    assert storage.list(base) == []
    assert storage.exists(FILE)


def test_names_with_spaces_are_percent_encoded(storage: Storage) -> None:
    uri = storage.put("/company/team/f/my file.csv", b"a,b")
    assert uri == "kestra:///company/team/f/my%20file.csv"
    assert read_bytes(storage, uri) == b"a,b"
    assert storage.list("/company/team/f")[0].uri == uri


@pytest.mark.parametrize(
    "uri",
    [
        "kestra:///company/../../etc/passwd",
        "kestra:///company/%2e%2e/%2e%2e/etc/passwd",
        "kestra:///a/./b",
        "kestra://host/a",
        "s3:///a/b",
        "relative/path",
        "kestra:///a\\..\\b",
    ],
)
def test_path_traversal_is_rejected(storage: Storage, uri: str) -> None:
    with pytest.raises(InvalidStorageUriError):
        storage.put(uri, b"x")
    with pytest.raises(InvalidStorageUriError):
        storage.exists(uri)


def test_layout_matches_kestra() -> None:
    path = task_run_file(
        namespace="company.team", flow_id="f", execution_id="e", task_id="t", task_run_id="r", name="o.ion"
    )
    assert path == "/company/team/f/executions/e/tasks/t/r/o.ion"


def test_local_storage_keeps_files_under_tenant_dir(tmp_path: Path) -> None:
    storage = LocalStorage(base_path=tmp_path)
    storage.put("/company/team/f/a.txt", b"a")
    assert (tmp_path / "main" / "company" / "team" / "f" / "a.txt").read_bytes() == b"a"


def test_local_storage_refuses_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    storage = LocalStorage(base_path=tmp_path / "storage")
    (tmp_path / "storage" / "main" / "link").symlink_to(outside)
    with pytest.raises(InvalidStorageUriError):
        storage.put("/link/evil.txt", b"x")
