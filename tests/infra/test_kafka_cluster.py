"""HA proof on the real three-broker KRaft cluster: SIGKILL a broker, producing keeps working.

Needs `deploy/infra.sh up --kafka-brokers 3`. The test kills the leader of partition 0 by its pid
file and restarts it with `deploy/infra.sh up --kafka-brokers 3` afterwards (also on failure).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from .helpers import INFRA_STATE, create_topics, delete_topics, run_infra, wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.cluster]

PARTITIONS = 3


def broker_pid(broker_id: int) -> int:
    pid_file = INFRA_STATE / "kafka-cluster" / f"broker-{broker_id}" / "pid"
    assert pid_file.exists(), f"{pid_file} missing: was the cluster started by deploy/infra.sh?"
    pid = int(pid_file.read_text().strip())
    os.kill(pid, 0)  # alive
    return pid


def read_committed(bootstrap: str, topic: str, expected: int, timeout: float = 60) -> list[str]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"verify-{topic}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        values: list[str] = []
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            batch = consumer.consume(num_messages=500, timeout=0.3)
            for msg in batch:
                if msg.error():
                    assert msg.error().code() == KafkaError._PARTITION_EOF, msg.error()
                    continue
                values.append(msg.value().decode())
                quiet_since = time.monotonic()
            if len(values) >= expected and time.monotonic() - quiet_since > 1.5:
                break
        return values
    finally:
        consumer.close()


@pytest.fixture
def ha_topic(kafka_cluster_bootstrap: str, unique_name: str) -> Iterator[str]:
    create_topics(
        kafka_cluster_bootstrap,
        [unique_name],
        partitions=PARTITIONS,
        replication=3,
        config={"min.insync.replicas": "2"},
    )
    yield unique_name
    delete_topics(kafka_cluster_bootstrap, [unique_name])


def test_kill_one_broker_producers_keep_working(kafka_cluster_bootstrap: str, ha_topic: str) -> None:
    bootstrap, topic = kafka_cluster_bootstrap, ha_topic
    common = {"bootstrap.servers": bootstrap, "linger.ms": 5, "message.timeout.ms": 60000}

    # warm-up while all three brokers live: creates __transaction_state / __consumer_offsets with RF 3
    tx = Producer({**common, "transactional.id": f"tx-{topic}", "transaction.timeout.ms": 60000})
    tx.init_transactions(60)
    tx.begin_transaction()
    tx.produce(topic, key=b"warm", value=b"warm-up")
    tx.commit_transaction(60)
    warm = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"warm-{topic}", "enable.auto.commit": False}
    )
    warm.assign([TopicPartition(topic, 0, 0)])
    warm.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
    warm.close()

    admin = AdminClient({"bootstrap.servers": bootstrap})
    partition0 = admin.list_topics(topic, timeout=10).topics[topic].partitions[0]
    assert len(partition0.replicas) == 3 and len(partition0.isrs) == 3
    victim = partition0.leader
    pid = broker_pid(victim)
    try:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 10, f"broker {victim} (pid {pid}) to die")
        killed_at = time.monotonic()

        # 1. idempotent producer, acks=all: every record acknowledged by the 2 remaining in-sync replicas
        delivered: list[str] = []
        failures: list[KafkaError] = []

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failures.append(err)
            else:
                delivered.append(msg.value().decode())

        acks_all = Producer({**common, "acks": "all", "enable.idempotence": True})
        for i in range(300):
            acks_all.produce(
                topic, key=f"k{i}".encode(), value=f"acked-{i}".encode(), on_delivery=on_delivery
            )
        assert acks_all.flush(90) == 0, "records still in flight after 90 s"
        assert failures == []
        assert len(delivered) == 300
        recovered_after = time.monotonic() - killed_at

        # 2. transactions still commit (and abort) with one broker down, also for a new transactional id
        tx.begin_transaction()
        for i in range(50):
            tx.produce(topic, key=f"k{i}".encode(), value=f"tx-committed-{i}".encode())
        tx.commit_transaction(60)
        tx.begin_transaction()
        for i in range(20):
            tx.produce(topic, key=f"k{i}".encode(), value=f"tx-aborted-{i}".encode())
        tx.flush(60)
        tx.abort_transaction(60)

        tx2 = Producer({**common, "transactional.id": f"tx2-{topic}"})
        tx2.init_transactions(60)
        tx2.begin_transaction()
        for i in range(50):
            tx2.produce(topic, key=f"k{i}".encode(), value=f"tx2-committed-{i}".encode())
        tx2.commit_transaction(60)

        # 3. a read_committed consumer sees everything committed and nothing aborted
        values = read_committed(bootstrap, topic, expected=1 + 300 + 50 + 50)
        assert not [v for v in values if v.startswith("tx-aborted")]
        assert sorted(values) == sorted(
            ["warm-up"]
            + [f"acked-{i}" for i in range(300)]
            + [f"tx-committed-{i}" for i in range(50)]
            + [f"tx2-committed-{i}" for i in range(50)]
        )
        # the dead broker is out of the ISR; the partition has a live leader
        partition0 = admin.list_topics(topic, timeout=10).topics[topic].partitions[0]
        assert partition0.leader != victim and victim not in partition0.isrs
        print(f"broker {victim} killed; acks=all batch delivered {recovered_after:.1f}s after the kill")
    finally:
        run_infra("up", "--kafka-brokers", "3")

    # 4. the restarted broker catches up and rejoins the ISR of every partition
    def back_in_sync() -> bool:
        partitions = admin.list_topics(topic, timeout=10).topics[topic].partitions.values()
        return all(len(p.isrs) == 3 for p in partitions)

    wait_for(back_in_sync, 60, f"broker {victim} to rejoin the ISR", interval=0.5)
