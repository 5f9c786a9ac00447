"""The stable instance identity behind the executor's transactional ids."""

from __future__ import annotations

from pathlib import Path

from kestra_stream.config import Config
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.server import Server, ServerPlan, ServerSettings
from kestra_stream.server.instances import InstanceIdentity


def test_live_processes_get_distinct_indexes_and_a_restart_gets_its_name_back(tmp_path: Path) -> None:
    first = InstanceIdentity.claim(role="EXECUTOR", hostname="host-a", lock_dir=tmp_path)
    second = InstanceIdentity.claim(role="EXECUTOR", hostname="host-a", lock_dir=tmp_path)
    assert (first.name, second.name) == ("host-a-executor-0", "host-a-executor-1")
    first.release()  # the process died: the OS dropped its lock
    restarted = InstanceIdentity.claim(role="EXECUTOR", hostname="host-a", lock_dir=tmp_path)
    assert restarted.name == "host-a-executor-0"
    other_role = InstanceIdentity.claim(role="STANDALONE", hostname="host-a", lock_dir=tmp_path)
    assert other_role.name == "host-a-standalone-0"
    for identity in (second, restarted, other_role):
        identity.release()


def test_configured_instance_id_wins(tmp_path: Path) -> None:
    assert (
        InstanceIdentity.claim(role="EXECUTOR", configured="exec 1/a", lock_dir=tmp_path).name == "exec_1_a"
    )
    server = Server(
        config=Config().with_overrides(
            {
                "kestra.server.instance-id": "executor-7",
                "kestra.storage.local.base-path": str(tmp_path / "storage"),
            }
        ),
        plan=ServerPlan(worker=False, management=False),
        queue=MemoryQueue(options=MemoryQueueOptions(partitions=2)),
    )
    server.start()
    try:
        assert server.identity == "executor-7"
        assert [keyed.name for keyed in server.keyed_processors] == ["concurrency", "preconditions"]
    finally:
        server.stop()


def test_settings_read_the_instance_id() -> None:
    config = Config().with_overrides({"kestra.server.instance-id": "x"})
    assert ServerSettings.from_config(config).instance_id == "x"
    assert ServerSettings.from_config(Config()).instance_id is None
