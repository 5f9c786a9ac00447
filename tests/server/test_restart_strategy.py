"""``kestra.server.worker-task-restart-strategy``: when the liveness tracker declares a worker dead."""

from __future__ import annotations

import time

import pytest

from kestra_stream.config import Config, ConfigError
from kestra_stream.queue import MemoryQueue, MemoryQueueOptions
from kestra_stream.server import LivenessTracker, ServerSettings, ServiceInstance, ServiceRole, ServiceState
from kestra_stream.server.instances import SERVICE_INSTANCES
from kestra_stream.server.settings import WorkerTaskRestartStrategy


def tracker(strategy: str, start: float) -> LivenessTracker:
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=1))
    worker = ServiceInstance(
        id="w1", roles=(ServiceRole.WORKER,), state=ServiceState.RUNNING, last_seen=start
    )
    queue.producer().produce(SERVICE_INSTANCES, key=b"w1", value=worker.to_json())
    found = LivenessTracker(queue=queue, timeout=45, initial_delay=0, strategy=strategy, grace_period=300)
    found.update(0.1)
    return found


@pytest.mark.parametrize(
    ("strategy", "dead_at_50s", "dead_at_400s"),
    [("IMMEDIATELY", True, True), ("AFTER_TERMINATION_GRACE_PERIOD", False, True), ("NEVER", False, False)],
)
def test_strategies(strategy: str, dead_at_50s: bool, dead_at_400s: bool) -> None:
    # Relative to the tracker's creation (its initial delay starts then), not to the module's import:
    # in a long session the import may be minutes earlier.
    start = time.time() + 10
    liveness = tracker(strategy, start)
    assert (liveness.dead_workers(now=start + 50) == ["w1"]) is dead_at_50s
    assert (liveness.dead_workers(now=start + 400) == ["w1"]) is dead_at_400s


def test_setting_defaults_to_after_termination_grace_period() -> None:
    assert (
        ServerSettings.from_config(Config()).worker_task_restart_strategy
        is WorkerTaskRestartStrategy.AFTER_TERMINATION_GRACE_PERIOD
    )
    config = Config().with_overrides({"kestra.server.worker-task-restart-strategy": "never"})
    assert ServerSettings.from_config(config).worker_task_restart_strategy is WorkerTaskRestartStrategy.NEVER
    with pytest.raises(ConfigError):
        ServerSettings.from_config(
            Config().with_overrides({"kestra.server.worker-task-restart-strategy": "x"})
        )


def _heartbeat(queue: MemoryQueue, instance: ServiceInstance) -> None:
    queue.producer().produce(SERVICE_INSTANCES, key=instance.id.encode(), value=instance.to_json())


@pytest.mark.parametrize("strategy", ["IMMEDIATELY", "AFTER_TERMINATION_GRACE_PERIOD"])
def test_a_worker_restarted_under_the_same_identity_makes_its_predecessor_dead_at_once(strategy: str) -> None:
    now = time.time()
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=1))
    worker = {"roles": (ServiceRole.WORKER,), "state": ServiceState.RUNNING, "hostname": "h"}
    _heartbeat(
        queue, ServiceInstance(id="w1", identity="h-worker-0", started=now - 60, last_seen=now - 2, **worker)
    )
    _heartbeat(
        queue, ServiceInstance(id="w2", identity="h-worker-1", started=now - 60, last_seen=now, **worker)
    )
    liveness = LivenessTracker(queue=queue, timeout=45, initial_delay=45, strategy=strategy, grace_period=300)
    liveness.update(0.1)
    assert liveness.dead_workers(now=now) == []
    assert not liveness.take_replacement()

    # w1 was SIGKILLed; its restart claims the same identity (the lock the dead process released)
    _heartbeat(
        queue, ServiceInstance(id="w3", identity="h-worker-0", started=now - 1, last_seen=now, **worker)
    )
    liveness.update(0.1)
    assert liveness.take_replacement()
    assert liveness.dead_workers(now=now) == ["w1"]  # even inside the initial delay, without any timeout


def test_the_same_identity_on_another_host_or_never_strategy_proves_nothing() -> None:
    now = time.time()
    queue = MemoryQueue(options=MemoryQueueOptions(partitions=1))
    worker = {"roles": (ServiceRole.WORKER,), "state": ServiceState.RUNNING, "identity": "x-worker-0"}
    _heartbeat(queue, ServiceInstance(id="w1", hostname="a", started=now - 60, last_seen=now - 2, **worker))
    _heartbeat(queue, ServiceInstance(id="w2", hostname="b", started=now - 1, last_seen=now, **worker))
    liveness = LivenessTracker(queue=queue, timeout=45, initial_delay=0, strategy="IMMEDIATELY")
    liveness.update(0.1)
    assert liveness.dead_workers(now=now) == []
    never = LivenessTracker(queue=queue, timeout=45, initial_delay=0, strategy="NEVER")
    _heartbeat(queue, ServiceInstance(id="w3", hostname="a", started=now - 1, last_seen=now, **worker))
    never.update(0.1)
    assert never.dead_workers(now=now) == []
