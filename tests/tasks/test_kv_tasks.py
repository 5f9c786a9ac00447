from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kestra_stream.kv import InMemoryKVStore, KVKeyExistsError, local_kv_store
from kestra_stream.runtime import TaskFailure, TaskRunContext, run_task

from .conftest import Clock
from .test_basic_tasks import task


def kv_task(kind: str, **properties: Any) -> Any:
    return task({"type": f"io.kestra.plugin.core.kv.{kind}", **properties})


def test_set_get_delete_get_keys(ctx: TaskRunContext, kv: InMemoryKVStore) -> None:
    assert run_task(kv_task("Set", key="user_name", value="John Doe"), ctx) == {}
    assert kv.get("company.team", "user_name") == "John Doe"
    assert run_task(kv_task("Get", key="user_name"), ctx) == {"value": "John Doe"}
    run_task(kv_task("Set", key="user_age", value="{{ 40 + 2 }}"), ctx)
    assert run_task(kv_task("Get", key="user_age"), ctx) == {"value": 42}
    assert run_task(kv_task("GetKeys", prefix="user_"), ctx) == {"keys": ["user_age", "user_name"]}
    assert run_task(kv_task("Delete", key="user_name"), ctx) == {"deleted": True}
    assert run_task(kv_task("Delete", key="user_name"), ctx) == {"deleted": False}
    assert run_task(kv_task("Get", key="user_name", errorOnMissing=False), ctx) == {}
    with pytest.raises(TaskFailure, match="No value found for key 'user_name'"):
        run_task(kv_task("Get", key="user_name", errorOnMissing=True), ctx)
    with pytest.raises(TaskFailure):
        run_task(kv_task("Delete", key="user_name", errorOnMissing=True), ctx)


def test_other_namespace_and_overwrite(ctx: TaskRunContext, kv: InMemoryKVStore) -> None:
    run_task(kv_task("Set", key="k", value="v1", namespace="other.ns"), ctx)
    assert kv.get("other.ns", "k") == "v1"
    assert kv.get("company.team", "k") is None
    with pytest.raises(TaskFailure, match="already exists"):
        run_task(kv_task("Set", key="k", value="v2", namespace="other.ns", overwrite=False), ctx)
    assert run_task(kv_task("Get", key="k", namespace="other.ns"), ctx) == {"value": "v1"}


@pytest.mark.parametrize(
    ("kv_type", "raw", "expected"),
    [
        ("NUMBER", "42", 42),
        ("NUMBER", "4.5", 4.5),
        ("BOOLEAN", "true", True),
        ("JSON", '{"a": [1, 2]}', {"a": [1, 2]}),
        ("STRING", "{{ 5 }}", "5"),
        ("DATE", "2024-02-01", "2024-02-01"),
        ("DURATION", "PT90S", "PT1M30S"),
    ],
)
def test_kv_type_parses_values(
    ctx: TaskRunContext, kv: InMemoryKVStore, kv_type: str, raw: str, expected: Any
) -> None:
    run_task(kv_task("Set", key="typed", value=raw, kvType=kv_type), ctx)
    assert kv.get("company.team", "typed") == expected


def test_kv_type_rejects_bad_values(ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="NUMBER"):
        run_task(kv_task("Set", key="typed", value="abc", kvType="NUMBER"), ctx)


def test_ttl_expiry_with_injected_clock(ctx: TaskRunContext, clock: Clock) -> None:
    run_task(kv_task("Set", key="session", value="s", ttl="PT1H"), ctx)
    clock.now += 3599
    assert run_task(kv_task("Get", key="session"), ctx) == {"value": "s"}
    clock.now += 1
    assert run_task(kv_task("Get", key="session"), ctx) == {}
    assert run_task(kv_task("GetKeys"), ctx) == {"keys": []}
    # An expired key does not block `overwrite: false`.
    run_task(kv_task("Set", key="session", value="new", overwrite=False), ctx)


def test_invalid_key_fails(ctx: TaskRunContext) -> None:
    with pytest.raises(TaskFailure, match="invalid KV key"):
        run_task(kv_task("Set", key="bad key!", value="x"), ctx)


def test_storage_kv_store_persists_across_instances(tmp_path: Path) -> None:
    clock = Clock()
    first = local_kv_store(base_path=tmp_path, clock=clock)
    first.set("company.team", "cursor", {"offset": 10}, ttl="PT10S")
    first.set("company.team.sub", "other", 1)
    second = local_kv_store(base_path=tmp_path, clock=clock)
    assert second.get("company.team", "cursor") == {"offset": 10}
    assert second.keys("company.team") == ["cursor"]
    with pytest.raises(KVKeyExistsError):
        second.set("company.team", "cursor", 1, overwrite=False)
    clock.now += 10
    assert second.get("company.team", "cursor") is None
    assert second.purge_expired("company.team") == ["cursor"]
    assert not (tmp_path / "main" / "company" / "team" / "_kv" / "cursor.ion").exists()
