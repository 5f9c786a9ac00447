"""The pure part: which writes a record becomes, and how a batch collapses."""

from __future__ import annotations

import pytest

from kestra_stream.indexer import SourceRecord, UnreadableRecordError, collapse, project
from kestra_stream.models import StateType
from kestra_stream.repository import Delete, IndexKey, Upsert

from .records import flow_record, log_record, snapshot, trigger_record


def test_execution_snapshot_is_versioned_by_offset() -> None:
    (op,) = project(snapshot("e1", StateType.RUNNING, 41))
    assert (
        isinstance(op, Upsert) and op.index is IndexKey.EXECUTIONS and op.doc_id == "e1" and op.version == 41
    )
    assert op.document["state"]["current"] == "RUNNING"
    assert isinstance(op.document["state"]["duration"], float)  # mapped as double seconds


def test_flow_goes_to_latest_and_revisions_versioned_by_revision() -> None:
    latest, revision = project(flow_record("hello", 3, 99))
    assert (latest.index, latest.doc_id, latest.version) == (IndexKey.FLOWS, "io.kestra_hello", 3)
    assert (revision.index, revision.doc_id, revision.version) == (
        IndexKey.FLOW_REVISIONS,
        "io.kestra_hello_3",
        3,
    )


def test_logs_get_a_deterministic_id() -> None:
    (op,) = project(log_record("e1", "hi", 7, partition=2))
    assert isinstance(op, Upsert) and op.doc_id == "2-7" and op.version is None and op.document["id"] == "2-7"


def test_tombstones() -> None:
    assert project(SourceRecord(topic="execution-states", partition=0, offset=5, key=b"e1", value=None)) == []
    assert project(trigger_record("cron", 8, worker=None, tombstone=True)) == [
        Delete(index=IndexKey.TRIGGERS, doc_id="io.kestra_hello_cron", version=8)
    ]
    flows = SourceRecord(topic="flows", partition=0, offset=9, key=b"main/io.kestra/hello", value=None)
    assert project(flows) == [Delete(index=IndexKey.FLOWS, doc_id="main_io.kestra_hello")]


@pytest.mark.parametrize(
    "record",
    [
        SourceRecord(topic="logs", partition=0, offset=1, key=None, value=b"{not json"),
        SourceRecord(topic="execution-states", partition=0, offset=1, key=b"x", value=b'{"execution": {}}'),
        SourceRecord(topic="flows", partition=0, offset=1, key=b"x", value=b'{"id": "a"}'),
        SourceRecord(topic="worker-jobs", partition=0, offset=1, key=b"x", value=b"{}"),
        SourceRecord(topic="logs", partition=0, offset=1, key=None, value=b"[1]"),
    ],
)
def test_unreadable_records(record: SourceRecord) -> None:
    with pytest.raises(UnreadableRecordError):
        project(record)


def test_collapse_keeps_the_newest_version_per_document() -> None:
    ops = [
        *project(snapshot("e1", StateType.CREATED, 1)),
        *project(snapshot("e2", StateType.CREATED, 2)),
        *project(snapshot("e1", StateType.SUCCESS, 5)),
        *project(snapshot("e1", StateType.RUNNING, 3)),  # out of order inside the batch
    ]
    collapsed = collapse(ops)
    assert [(op.doc_id, op.version) for op in collapsed] == [("e1", 5), ("e2", 2)]
