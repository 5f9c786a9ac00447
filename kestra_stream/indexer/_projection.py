"""One source record → the repository writes that project it (pure).

Versions (Elasticsearch external versioning, a stale or duplicated write loses), per topic:

* ``execution-states`` → ``executions``, id = execution id, version = Kafka offset of the record. A
  tombstone is ignored: the executor purges terminated executions from its store, the document stays.
* ``flows`` → ``flows`` (id ``tenant_namespace_id``) and ``flow_revisions`` (``..._revision``), version =
  the flow revision. A tombstone deletes the latest view; revisions stay (they are history).
* ``triggers`` / ``kv-metadata``, id = uid, version = Kafka offset; a tombstone deletes at its offset.
* ``logs`` / ``metrics``, id = ``<partition>-<offset>`` (deterministic, so no version is needed).

Offsets grow per partition and a key always lands on the same partition, so within a key they order
the snapshots exactly as the compacted topic does. Flows use the revision instead so that writes the
repository makes directly (``FlowRepository.save``) agree with the indexer's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from kestra_stream.indexer.records import (
    EXECUTION_STATES,
    FLOWS,
    KV_METADATA,
    LOGS,
    METRICS,
    TRIGGERS,
    SourceRecord,
)
from kestra_stream.repository.documents import (
    execution_document,
    flow_ids,
    key_to_id,
    kv_id,
    log_document,
    metric_document,
    trigger_id,
)
from kestra_stream.repository.writes import Delete, IndexKey, Upsert, WriteOp


class UnreadableRecordError(ValueError):
    """A record that cannot be projected (not JSON, missing its id): skipped and counted, never retried."""


def project(record: SourceRecord) -> list[WriteOp]:
    if record.value is None:
        return _tombstone(record)
    try:
        data = orjson.loads(record.value)
    except orjson.JSONDecodeError as error:
        raise UnreadableRecordError(
            f"{record.topic}[{record.partition}]@{record.offset}: not JSON"
        ) from error
    if not isinstance(data, dict):
        raise UnreadableRecordError(f"{record.topic}[{record.partition}]@{record.offset}: not an object")
    match record.topic:
        case "execution-states":
            execution = data.get("execution")
            document = execution_document(execution if isinstance(execution, Mapping) else data)
            return [_upsert(IndexKey.EXECUTIONS, _required(document, "id", record), document, record.offset)]
        case "flows":
            revision = data.get("revision")
            if not isinstance(revision, int):
                raise UnreadableRecordError(f"flows@{record.offset}: no revision")
            latest_id, revision_id = flow_ids(data)
            return [
                _upsert(IndexKey.FLOWS, latest_id, data, revision),
                _upsert(IndexKey.FLOW_REVISIONS, revision_id, data, revision),
            ]
        case "triggers":
            return [_upsert(IndexKey.TRIGGERS, trigger_id(data), data, record.offset)]
        case "kv-metadata":
            return [_upsert(IndexKey.KV_METADATA, kv_id(data), data, record.offset)]
        case "logs":
            doc_id = f"{record.partition}-{record.offset}"
            return [Upsert(index=IndexKey.LOGS, doc_id=doc_id, document=log_document(data, doc_id))]
        case "metrics":
            doc_id = f"{record.partition}-{record.offset}"
            return [Upsert(index=IndexKey.METRICS, doc_id=doc_id, document=metric_document(data, doc_id))]
    raise UnreadableRecordError(f"the indexer does not read `{record.topic}`")


def _tombstone(record: SourceRecord) -> list[WriteOp]:
    doc_id = key_to_id(record.key)
    if record.topic == EXECUTION_STATES or doc_id is None:
        return []
    if record.topic == FLOWS:
        return [Delete(index=IndexKey.FLOWS, doc_id=doc_id)]
    if record.topic in (TRIGGERS, KV_METADATA):
        index = IndexKey.TRIGGERS if record.topic == TRIGGERS else IndexKey.KV_METADATA
        return [Delete(index=index, doc_id=doc_id, version=record.offset)]
    if record.topic in (LOGS, METRICS):
        return []
    raise UnreadableRecordError(f"the indexer does not read `{record.topic}`")


def _upsert(index: IndexKey, doc_id: str, document: dict[str, Any], version: int) -> Upsert:
    return Upsert(index=index, doc_id=doc_id, document=document, version=version)


def _required(document: Mapping[str, Any], name: str, record: SourceRecord) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise UnreadableRecordError(f"{record.topic}[{record.partition}]@{record.offset}: no `{name}`")
    return value


def collapse(ops: list[WriteOp]) -> list[WriteOp]:
    """One write per document: the newest version (the last one when unversioned), in first-seen order.

    A batch holds many snapshots of a running execution; only the last one needs to reach the index.
    """
    chosen: dict[tuple[IndexKey, str], WriteOp] = {}
    for op in ops:
        slot = (op.index, op.doc_id)
        previous = chosen.get(slot)
        if previous is None or _newer(op, previous):
            chosen[slot] = op
    return list(chosen.values())


def _newer(op: WriteOp, previous: WriteOp) -> bool:
    if op.version is None or previous.version is None:
        return True
    return op.version >= previous.version
