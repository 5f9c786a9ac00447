"""The aws s3 polling Trigger fires an execution through the scheduler and a worker, on server local
(memory) and on a real standalone server (Kafka + Elasticsearch), against the S3Proxy of
``deploy/infra.sh``: the object is downloaded to internal storage, moved under ``moveTo``, and so
fires only once."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

from api_backends import Api
from minio import Minio

from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY

EXECUTIONS = "/api/v1/main/executions"


async def test_s3_trigger_downloads_moves_and_fires_once(api: Api, unique: str, s3_endpoint: str) -> None:
    bucket = f"ks-trigger-{uuid.uuid4().hex[:12]}"
    client = Minio(s3_endpoint.split("://")[1], S3_ACCESS_KEY, S3_SECRET_KEY, secure=False)
    client.make_bucket(bucket)
    data = b"a,b\n1,2\n"
    client.put_object(bucket, "in/orders.csv", io.BytesIO(data), len(data))
    try:
        await api.create_flow(
            f"""id: s3_polled
namespace: {unique}
tasks:
  - id: to_ion
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{{{ trigger.objects[0].uri }}}}"
triggers:
  - id: watch
    type: io.kestra.plugin.aws.s3.Trigger
    interval: PT1S
    endpointOverride: {s3_endpoint}
    accessKeyId: {S3_ACCESS_KEY}
    secretKeyId: {S3_SECRET_KEY}
    region: us-east-1
    bucket: {bucket}
    prefix: in/
    action: MOVE
    moveTo:
      key: archive
"""
        )
        body = await api.eventually(
            f"{EXECUTIONS}/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=SUCCESS",
            lambda page: page["total"] >= 1,
            timeout=90,
        )
        await asyncio.sleep(3)  # later polls find nothing under in/: no second execution
        again = await api.json("GET", f"{EXECUTIONS}/search?filters[namespace][EQUALS]={unique}")
        assert again["total"] == 1, again["results"]
        execution: dict[str, Any] = body["results"][0]
        [found] = execution["trigger"]["variables"]["objects"]
        assert found["key"] == "in/orders.csv" and found["size"] == len(data)
        assert found["uri"].startswith("kestra:///") and found["uri"].endswith("/orders.csv")
        assert [item.object_name for item in client.list_objects(bucket, recursive=True)] == [
            "archive/orders.csv"
        ]
    finally:
        async with api.request("DELETE", f"/api/v1/main/flows/{unique}/s3_polled"):
            pass  # stop the polling before the bucket goes
        for item in client.list_objects(bucket, recursive=True):
            client.remove_object(bucket, item.object_name)
        client.remove_bucket(bucket)
