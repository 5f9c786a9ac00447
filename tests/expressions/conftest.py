from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kestra_stream.expressions import ExpressionEngine

DOCS = "/work/shared/kestra-docs"


@pytest.fixture(scope="session")
def engine() -> ExpressionEngine:
    return ExpressionEngine(time_zone="UTC")


@pytest.fixture()
def context() -> dict[str, Any]:
    return {
        "flow": {"id": "hello", "namespace": "company.team", "revision": 3, "tenantId": None},
        "execution": {
            "id": "exec1",
            "startDate": dt.datetime(2024, 11, 13, 14, 38, 38, 355668, tzinfo=dt.UTC),
        },
        "inputs": {
            "name": "Kestra",
            "optional_input": None,
            "payload": {
                "name": "John Doe",
                "score": {"English": 72, "Maths": 88, "French": 95, "Spanish": 85, "Science": 91},
                "address": {"city": "Paris", "country": "France"},
                "graduation_years": [2020, 2021, 2022, 2023],
            },
            "data": {"value": [1, 2, 3]},
        },
        "outputs": {
            "first": {"value": "one"},
            "second-task": {"value": "two"},
            "output_values": {"values": {"key": "v"}},
            "request": {"body": '{"title":"Success","params":{"example":"test"},"code":200}'},
        },
        "users": [{"name": "Ann", "city": "Paris"}, {"name": "Bob", "city": "Oslo"}],
        "labels": {"team": "data"},
    }
