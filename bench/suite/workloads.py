"""Kestra's benchmark page (performance__benchmark): its four flows and how each execution starts.

- b01, b02: through the flow's Webhook trigger (``POST /executions/webhook/...``), as the page does;
- b03: ``POST /executions/{namespace}/{id}`` (the page's flow has no trigger);
- b04: records of ~1.6 KB produced to a Kafka topic that the flow's ``RealtimeTrigger`` consumes.
  The page's flow transforms each record with ``io.kestra.plugin.transform.jsonata.TransformValue``,
  which kestra-stream does not have: the same fields are computed with expressions in an
  ``OutputValues`` task instead (same shape: two tasks, the record's data tripled in the context).

Each execution is identified by a key the tracker reads back from the execution JSON: its id for
b01-b03, the record's ``order_id`` (``trigger.value``) for b04.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

NAMESPACE = "benchmarks"

B01 = """id: benchmark01
namespace: benchmarks
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: benchmark
inputs:
  - id: name
    type: STRING
    defaults: World
tasks:
  - id: concatenate
    type: io.kestra.plugin.core.output.OutputValues
    values:
      message: Hello {{ inputs.name }}
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.concatenate.values.message }}"
"""

_IF = """  - id: {id}
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{inputs.condition}}}}"
    then:
      - id: hello-true-{n}
        type: io.kestra.plugin.core.log.Log
        message: Hello True {n}
    else:
      - id: hello-false-{n}
        type: io.kestra.plugin.core.log.Log
        message: Hello False {n}
"""
B02 = """id: benchmark02
namespace: benchmarks
inputs:
  - id: condition
    type: BOOL
    defaults: true
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: benchmark
tasks:
""" + "".join(
    _IF.format(id=task_id, n=n) for n, task_id in enumerate(("if1", "if2", "if1-3", "if4", "if5"), 1)
)

B03 = """id: benchmark03
namespace: benchmarks
tasks:
  - id: foreach
    type: io.kestra.plugin.core.flow.ForEach
    values: "{{range(1, 100)}}"
    concurrencyLimit: 0
    tasks:
      - id: output
        type: io.kestra.plugin.core.output.OutputValues
        values:
          some: value
"""

B04 = """id: benchmark04
namespace: benchmarks
triggers:
  - id: kafka-logs
    type: io.kestra.plugin.kafka.RealtimeTrigger
    topic: {topic}
    properties:
      bootstrap.servers: {bootstrap}
    groupId: {group}
    valueDeserializer: JSON
tasks:
  - id: transform
    type: io.kestra.plugin.core.output.OutputValues
    values:
      order_id: "{{{{ trigger.value.order_id }}}}"
      customer_name: "{{{{ trigger.value.first_name ~ ' ' ~ trigger.value.last_name }}}}"
      address: "{{{{ trigger.value.address.city ~ ', ' ~ trigger.value.address.country }}}}"
      items: "{{{{ trigger.value.items | length }}}}"
  - id: hello
    type: io.kestra.plugin.core.output.OutputValues
    values:
      log: "{{{{ outputs.transform.values }}}}"
"""


def order(index: int) -> bytes:
    """One ~1.6 KB record of b04 (the page's 'small messages')."""
    items = [
        {
            "product_id": f"P{index % 97:04d}-{n}",
            "name": f"Product number {n} of the catalogue",
            "quantity": n % 4 + 1,
            "price_per_unit": 9.99 + n,
        }
        for n in range(12)
    ]
    return orjson.dumps(
        {
            "order_id": str(index),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.lovelace@example.com",
            "address": {
                "street": "12 St James's Square",
                "city": "London",
                "zip": "SW1Y 4JH",
                "country": "UK",
            },
            "items": items,
        }
    )


Submit = Callable[[aiohttp.ClientSession, str], Any]


@dataclass(frozen=True, kw_only=True)
class Workload:
    name: str
    flow_id: str
    source: str
    default_rates: tuple[float, ...]
    task_runs: int
    kestra: bool
    """Runs on real Kestra too (its harness has no webhooks nor Kafka plugin: b01-b03 there are put on
    its queue inside its JVM)."""
    kind: str  # "webhook" | "execution" | "kafka"

    def key_of(self, execution: dict[str, Any]) -> str | None:
        if self.kind != "kafka":
            return str(execution["id"])
        value = ((execution.get("trigger") or {}).get("variables") or {}).get("value")
        if isinstance(value, str):
            value = orjson.loads(value)
        return str(value["order_id"]) if isinstance(value, dict) and "order_id" in value else None


WORKLOADS: dict[str, Workload] = {
    "b01": Workload(
        name="b01",
        flow_id="benchmark01",
        source=B01,
        default_rates=(1000, 2000, 4000, 6000),
        task_runs=2,
        kestra=True,
        kind="webhook",
    ),
    "b02": Workload(
        name="b02",
        flow_id="benchmark02",
        source=B02,
        default_rates=(300, 700, 1000),
        task_runs=10,
        kestra=True,
        kind="webhook",
    ),
    "b03": Workload(
        name="b03",
        flow_id="benchmark03",
        source=B03,
        default_rates=(6,),
        task_runs=200,
        kestra=True,
        kind="execution",
    ),
    "b04": Workload(
        name="b04",
        flow_id="benchmark04",
        source=B04,
        default_rates=(1000, 4000),
        task_runs=2,
        kestra=False,
        kind="kafka",
    ),
}


class Submitter:
    """Starts one execution of ``workload``; returns its key (raises on a refused request)."""

    def __init__(self, workload: Workload, base_url: str, kafka_topic: str | None, bootstrap: str) -> None:
        self._workload = workload
        self._base = base_url + "/api/v1/main"
        self._counter = itertools.count()
        self._producer: Any = None
        self._topic = kafka_topic
        if workload.kind == "kafka":
            from confluent_kafka import Producer

            self._producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})

    async def __call__(self, session: aiohttp.ClientSession) -> str:
        workload = self._workload
        if workload.kind == "kafka":
            key = f"{time.time_ns()}-{next(self._counter)}"
            self._producer.produce(
                self._topic, value=order(0).replace(b'"order_id":"0"', f'"order_id":"{key}"'.encode())
            )
            self._producer.poll(0)
            return key
        if workload.kind == "webhook":
            url = f"{self._base}/executions/webhook/{NAMESPACE}/{workload.flow_id}/benchmark"
        else:
            url = f"{self._base}/executions/{NAMESPACE}/{workload.flow_id}"
        async with session.post(url) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"{response.status} {body[:200]!r}")
            return str(orjson.loads(body)["id"])

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush(30)
