"""Coercion table: raw value -> typed value, or Kestra's reason."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from kestra_stream.inputs import AnyInput, Input, InputValueError

_ADAPTER: TypeAdapter[Input] = TypeAdapter(AnyInput)


def make(type_name: str, **properties: Any) -> Input:
    return _ADAPTER.validate_python({"id": "x", "type": type_name, **properties})


@pytest.mark.parametrize(
    ("type_name", "properties", "raw", "expected"),
    [
        ("STRING", {}, "hello", "hello"),
        ("STRING", {}, 42, "42"),
        ("INT", {}, "30", 30),
        ("INT", {}, 30, 30),
        ("INT", {}, 30.0, 30),
        ("FLOAT", {}, "1.255", 1.255),
        ("FLOAT", {}, 3, 3.0),
        ("BOOL", {}, "true", True),
        ("BOOL", {}, "FALSE", False),
        ("BOOL", {}, True, True),
        ("BOOLEAN", {}, "yes", False),
        ("BOOLEAN", {}, "True", True),
        ("SELECT", {"values": ["A", "B"]}, "B", "B"),
        ("SELECT", {"values": ["A"], "allowCustomValue": True}, "Z", "Z"),
        ("MULTISELECT", {"values": ["A", "B"]}, '["A", "B"]', ["A", "B"]),
        ("MULTISELECT", {"options": ["A", "B"]}, ["B"], ["B"]),
        ("ENUM", {"values": ["A"]}, "A", "A"),
        # six fraction digits, as Kestra 1.3.31 (tests/compat 74)
        ("DATETIME", {}, "2042-04-02T04:20:42.000Z", "2042-04-02T04:20:42.000000Z"),
        ("DATETIME", {}, "2042-04-02T06:20:42+02:00", "2042-04-02T04:20:42.000000Z"),
        ("DATE", {}, "2042-12-03", "2042-12-03"),
        ("TIME", {}, "10:15:30", "10:15:30"),
        ("DURATION", {}, "PT5M6S", "PT5M6S"),
        ("DURATION", {}, "P1D", "PT24H"),
        ("JSON", {}, '{"name": "kestra"}', {"name": "kestra"}),
        ("JSON", {}, [1, 2], [1, 2]),
        ("YAML", {}, "- user: john\n", [{"user": "john"}]),
        ("URI", {}, "https://kestra.io/x", "https://kestra.io/x"),
        ("SECRET", {}, "s3cr3t", "s3cr3t"),
        ("ARRAY", {"itemType": "INT"}, "[1, 2, 3]", [1, 2, 3]),
        ("ARRAY", {"itemType": "INT"}, ["1", 2], [1, 2]),
        ("ARRAY", {"itemType": "STRING"}, ["a"], ["a"]),
        ("EMAIL", {}, "me@example.com", "me@example.com"),
        (
            "FILE",
            {},
            "kestra:///n/f/executions/e/inputs/x/a.txt",
            "kestra:///n/f/executions/e/inputs/x/a.txt",
        ),
    ],
)
def test_accepted(type_name: str, properties: dict[str, Any], raw: Any, expected: Any) -> None:
    assert make(type_name, **properties).coerce(raw) == expected


@pytest.mark.parametrize(
    ("type_name", "properties", "raw", "reason"),
    [
        (
            "STRING",
            {"validator": r"^student(\d+)?$"},
            "studentabc",
            r"it must match the pattern `^student(\d+)?$`",
        ),
        ("INT", {}, "abc", "it must be a valid `INT`"),
        ("INT", {}, True, "it must be a valid `INT`"),
        ("INT", {"min": 18}, "17", "it must be more than `18`"),
        ("INT", {"max": 64}, 65, "it must be less than `64`"),
        ("FLOAT", {"min": 0.2}, "0.1", "it must be more than `0.2`"),
        ("FLOAT", {}, "x", "it must be a valid `FLOAT`"),
        ("BOOL", {}, "yes", "it must be a valid `BOOL`"),
        ("SELECT", {"values": ["A", "B"]}, "C", "it must match the values `[A, B]`"),
        ("MULTISELECT", {"values": ["A"]}, ["A", "C"], "it must match the values `[A]`"),
        ("ENUM", {"values": ["A"]}, "B", "it must match the values `[A]`"),
        ("DATETIME", {}, "yesterday", "it must be a valid `DATETIME`"),
        (
            "DATETIME",
            {"after": "2024-04-10T14:19:00Z"},
            "2024-04-10T14:19:00Z",
            "it must be after `2024-04-10T14:19:00Z`",
        ),
        ("DATE", {"before": "2024-04-15"}, "2024-04-16", "it must be before `2024-04-15`"),
        ("TIME", {"after": "11:01:01"}, "11:00:00", "it must be after `11:01:01`"),
        ("DURATION", {"min": "PT5M6S"}, "PT1M", "It must be more than `PT5M6S`"),
        ("DURATION", {"max": "PT1H"}, "PT2H", "It must be less than `PT1H`"),
        ("DURATION", {}, "P1W", "it must be a valid `DURATION`"),
        ("JSON", {}, "{oops", "Expected `JSON` with errors"),
        ("URI", {}, "not a uri", "it must be a valid `URI`"),
        ("EMAIL", {}, "nobody", "it must be a valid email"),
        ("ARRAY", {"itemType": "INT"}, '["1", "x"]', "Unable to parse array element as `INT` on `x`"),
        (
            "FILE",
            {"allowedFileExtensions": [".txt"]},
            "kestra:///a.csv",
            "it must have one of the extensions `[.txt]`",
        ),
    ],
)
def test_rejected(type_name: str, properties: dict[str, Any], raw: Any, reason: str) -> None:
    with pytest.raises(InputValueError) as raised:
        make(type_name, **properties).coerce(raw)
    assert reason in str(raised.value)


def test_old_name_property_is_the_id() -> None:
    assert _ADAPTER.validate_python({"name": "old", "type": "STRING"}).id == "old"


def test_yaml_booleans_in_choices_are_text() -> None:
    assert make("SELECT", values=[True, False]).coerce("true") == "true"
