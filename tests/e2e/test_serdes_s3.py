"""The serdes and aws s3 families' flows through the worker, on MemoryQueue and Kafka."""

from __future__ import annotations

import uuid

import pytest
from engine_harness import Engine, run_of, task_states

from kestra_stream.models import StateType
from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY


def test_serdes_conversions_chain_on_the_worker_and_a_bad_csv_line_goes_to_errors(engine: Engine) -> None:
    done = engine.wait_done(engine.run("serdes_roundtrip"))
    states = task_states(done)
    assert states["summary"] == "SUCCESS", states
    ion_text, csv_text, typed, from_xml = run_of(done, "summary").outputs["value"].split("|")
    assert ion_text == '{id:"1",name:"Smith, J",amount:"12.50"}\n{id:"2",name:null,amount:"-3"}\n'
    assert csv_text == "id;name;amount\n1;Smith, J;12.50\n2;;-3\n"
    # CSV strings typed by the Avro schema into Parquet, back to ION, to Avro (inferred schema), to ION
    assert typed == '{id:1,name:"Smith, J",amount:12.50}\n{id:2,name:null,amount:-3.00}\n'
    # then to Excel (numbers are doubles there, as POI reads them), to XML and back (org.json typing)
    assert from_xml == '{id:1.0,name:"Smith, J",amount:12.5}\n{id:2.0,name:"",amount:-3.0}\n'
    assert states["bad_csv_to_ion"] == "FAILED" and states["report"] == "SUCCESS"
    report = run_of(done, "report").outputs["value"]
    assert "field count mismatch) at line 2: Expected 2, got 3 fields" in report, report
    assert done.state.current is StateType.FAILED


@pytest.mark.s3
def test_s3_tasks_on_the_worker_against_s3proxy_and_a_missing_key_goes_to_errors(
    engine: Engine, s3_endpoint: str
) -> None:
    bucket = f"ks-e2e-{uuid.uuid4().hex[:12]}"
    inputs = {
        "endpoint": s3_endpoint,
        "bucket": bucket,
        "access_key": S3_ACCESS_KEY,
        "secret_key": S3_SECRET_KEY,
    }
    done = engine.wait_done(engine.run("aws_s3_roundtrip", inputs=inputs))
    states = task_states(done)
    assert states["summary"] == "SUCCESS", states
    assert run_of(done, "summary").outputs["value"] == 'in/data.csv|8|{a:"1",b:"2"}\n|1'
    assert states["missing"] == "FAILED" and states["report"] == "SUCCESS"
    report = run_of(done, "report").outputs["value"]
    assert "S3 download failed: NoSuchKey" in report and S3_SECRET_KEY not in report, report
    assert done.state.current is StateType.FAILED
