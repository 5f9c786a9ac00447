"""Local storage listed or deleted while other tasks delete the same files (workers share a directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kestra_stream.storage import LocalStorage


def test_a_file_deleted_between_the_directory_read_and_its_stat_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(base_path=str(tmp_path))
    storage.put("kestra:///ns/_kv/a.ion", b"1")
    storage.put("kestra:///ns/_kv/b.ion", b"2")
    real_stat = Path.stat
    stats_of_a = 0

    def stat_after_delete(self: Path, *args: object, **kwargs: object) -> object:
        nonlocal stats_of_a
        if self.name == "a.ion":
            stats_of_a += 1
            if stats_of_a == 2:  # after is_file(), before its size is read: a concurrent kv.Delete
                self.unlink()
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", stat_after_delete)
    assert [info.uri for info in storage.list("kestra:///ns/_kv")] == ["kestra:///ns/_kv/b.ion"]


def test_deleting_a_file_another_task_just_deleted_answers_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(base_path=str(tmp_path))
    storage.put("kestra:///ns/f.txt", b"x")
    real_unlink = Path.unlink

    def unlink_twice(self: Path, missing_ok: bool = False) -> None:
        real_unlink(self)  # the other task wins the race
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink_twice)
    assert storage.delete("kestra:///ns/f.txt") is False
