"""Process-level: a worker process SIGKILLed mid-task; the executor's liveness resubmits the task run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from queue_backends import PARTITIONS, create_topics, delete_topics, kafka_config

from kestra_stream.executor.messages import NewExecution
from kestra_stream.executor.state import execution_from_bytes
from kestra_stream.models.execution import Execution
from kestra_stream.models.state import StateType
from kestra_stream.queue import KafkaQueue, KafkaQueueOptions, TopicRef
from kestra_stream.server import Server, ServerPlan, ServerSettings

pytestmark = pytest.mark.kafka

FLOW = """
id: sleepy
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
"""


def start_worker(config_file: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kestra_stream",
            "server",
            "worker",
            "--config",
            str(config_file),
            "--thread",
            "2",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_sigkilled_worker_task_is_resubmitted(kafka_bootstrap: str, tmp_path: Path) -> None:
    prefix = f"tw_{uuid.uuid4().hex[:8]}_"
    config = kafka_config(
        kafka_bootstrap, prefix, **{"kestra.storage.local.base-path": str(tmp_path / "storage")}
    )
    create_topics(config)
    config_file = tmp_path / "worker.yml"
    config_file.write_text(
        yaml.safe_dump(
            {
                "kestra": {
                    "queue": {"type": "kafka"},
                    "kafka": {
                        "client": {"properties": {"bootstrap.servers": kafka_bootstrap}},
                        "defaults": {
                            "topic-prefix": prefix,
                            "consumer-prefix": prefix,
                            "topic": {"partitions": PARTITIONS},
                        },
                    },
                    "storage": {"type": "local", "local": {"base-path": str(tmp_path / "storage")}},
                    "server": {"liveness": {"heartbeat-interval": "500ms"}, "termination-grace-period": "2s"},
                },
                "endpoints": {"all": {"port": 0}},
            }
        )
    )
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "sleepy.yml").write_text(FLOW)
    queue = KafkaQueue(options=KafkaQueueOptions.from_config(config))
    executor = Server(
        config=config,
        plan=ServerPlan(worker=False, flows_path=flows, management=False),
        queue=queue,
        settings=ServerSettings(
            liveness_timeout=3.0,
            liveness_initial_delay=0.0,
            liveness_interval=0.5,
            termination_grace_period=2.0,
        ),
    )
    executor.start()
    first = start_worker(config_file, tmp_path / "worker1.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        execution_id = uuid.uuid4().hex[:16]
        message = NewExecution(
            execution=Execution(id=execution_id, namespace="company.team", flow_id="sleepy", flow_revision=1)
        )
        queue.producer().produce(TopicRef("executions"), key=execution_id.encode(), value=message.to_json())
        queue.producer().flush(10)

        def latest() -> Execution | None:
            found = None
            for record in queue.read_partitions(TopicRef("execution-states"), range(PARTITIONS)):
                if record.key == execution_id.encode() and record.value is not None:
                    found = execution_from_bytes(record.value)
            return found

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = latest()
            runs = list(current.task_runs()) if current else []
            if (
                runs
                and runs[0].state.current is StateType.RUNNING
                and (runs[0].attempts or ())[-1:]
                and runs[0].attempts[-1].worker_id
            ):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the task never started: " + (tmp_path / "worker1.log").read_text()[-2000:])
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        second = start_worker(config_file, tmp_path / "worker2.log")
        deadline = time.monotonic() + 90
        done = None
        while time.monotonic() < deadline:
            done = latest()
            if done is not None and done.state.current.is_terminated():
                break
            time.sleep(0.3)
        assert done is not None and done.state.current is StateType.SUCCESS, done
        (run,) = list(done.task_runs())
        attempts = run.attempts or ()
        assert len(attempts) >= 2
        assert attempts[0].state.current is StateType.RESUBMITTED
    finally:
        if second is not None:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        executor.stop()
        delete_topics(kafka_bootstrap, prefix)
