"""The serdes and aws s3 flows of examples/flows/ (Kestra's plugin examples) on ``kestra-stream server
local``: the CSV comes from a local HTTP server, the bucket is on the S3Proxy of deploy/infra.sh."""

from __future__ import annotations

import functools
import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minio import Minio

from tests.conftest import S3_ACCESS_KEY, S3_SECRET_KEY

from .server_local import TERMINATED, LocalServer, free_port, secret_env, server_local

PRODUCTS = b'product_id,product_name,price\n1,Laptop,999.99\n2,"Mouse, wireless",19.5\n'


@pytest.fixture(scope="module")
def csv_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("http")
    (directory / "products.csv").write_bytes(PRODUCTS)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/products.csv"
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, csv_url: str, s3_endpoint: str) -> Iterator[LocalServer]:
    env = {
        "ENV_PRODUCTS_CSV_URL": csv_url,
        **secret_env(
            {
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY,
                "AWS_SECRET_KEY_ID": S3_SECRET_KEY,
                "AWS_ENDPOINT_OVERRIDE": s3_endpoint,
            }
        ),
    }
    with server_local(tmp_path_factory.mktemp("examples"), env=env) as running:
        yield running


def task_run(execution: dict[str, Any], task_id: str) -> dict[str, Any]:
    runs = [run for run in execution["taskRunList"] if run["taskId"] == task_id]
    assert runs, f"no task run {task_id}"
    return runs[0]


def read_file(server: LocalServer, execution: dict[str, Any], uri: str) -> bytes:
    import base64
    import urllib.parse
    import urllib.request

    token = base64.b64encode(b"admin@kestra.io:Kestra123").decode()
    path = f"/api/v1/main/executions/{execution['id']}/file?path={urllib.parse.quote(uri)}"
    request = urllib.request.Request(server.base_url + path, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body: bytes = response.read()
        return body


def test_ion_to_json(server: LocalServer) -> None:
    execution = server.run("company.team", "ion_to_json")
    assert execution["state"]["current"] == "SUCCESS", execution
    ion_uri = task_run(execution, "convert")["outputs"]["uri"]
    assert read_file(server, execution, ion_uri) == (
        b'{product_id:"1",product_name:"Laptop",price:"999.99"}\n'
        b'{product_id:"2",product_name:"Mouse, wireless",price:"19.5"}\n'
    )
    json_uri = task_run(execution, "to_json")["outputs"]["uri"]
    assert json_uri.endswith(".jsonl")
    assert read_file(server, execution, json_uri).splitlines()[1] == (
        b'{"product_id":"2","product_name":"Mouse, wireless","price":"19.5"}'
    )


def test_aws_s3_upload(server: LocalServer, s3_endpoint: str, tmp_path: Path) -> None:
    bucket = f"ks-example-{uuid.uuid4().hex[:12]}"
    client = Minio(s3_endpoint.split("://")[1], S3_ACCESS_KEY, S3_SECRET_KEY, secure=False)
    client.make_bucket(bucket)
    try:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="bucket"\r\n\r\n{bucket}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="myfile"; filename="report.csv"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
            + PRODUCTS
            + f"\r\n--{boundary}--\r\n".encode()
        )
        started = server.request(
            "POST",
            "/api/v1/main/executions/company.team/aws_s3_upload",
            body,
            **{"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        deadline = time.monotonic() + 240
        while True:
            execution: dict[str, Any] = server.request("GET", f"/api/v1/main/executions/{started['id']}")
            if execution["state"]["current"] in TERMINATED or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert execution["state"]["current"] == "SUCCESS", execution
        outputs = task_run(execution, "upload")["outputs"]
        assert outputs["bucket"] == bucket and outputs["key"] == "path/to/file"
        assert client.get_object(bucket, "path/to/file").read() == PRODUCTS
    finally:
        for item in client.list_objects(bucket, recursive=True):
            client.remove_object(bucket, item.object_name)
        client.remove_bucket(bucket)
