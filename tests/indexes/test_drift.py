from kestra_stream.indexes.drift import (
    IndexDriftKind,
    flatten_mapping,
    flatten_settings,
    mapping_drift,
    template_drift,
)

WANTED = {
    "dynamic": False,
    "properties": {
        "message": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "level": {"type": "keyword"},
        "labels": {"type": "nested", "properties": {"key": {"type": "keyword"}}},
    },
}


def test_flatten_mapping_paths() -> None:
    flat = flatten_mapping(WANTED)
    assert flat["(root)"] == {"dynamic": "false"}
    assert flat["message.keyword"] == {"type": "keyword", "ignore_above": "256"}
    assert flat["labels.key"] == {"type": "keyword"}


def test_echoed_mapping_has_no_drift() -> None:
    echoed = {**WANTED, "dynamic": "false"}
    assert mapping_drift("i", WANTED, echoed) == ()


def test_missing_changed_and_extra_fields() -> None:
    actual = {
        "dynamic": "true",
        "properties": {
            "message": {"type": "keyword"},
            "labels": {"type": "nested", "properties": {"key": {"type": "keyword"}}},
            "other": {"type": "long"},
        },
    }
    drifts = {(drift.kind, drift.path): drift for drift in mapping_drift("i", WANTED, actual)}
    assert set(drifts) == {
        (IndexDriftKind.CHANGED_FIELD, "(root)"),
        (IndexDriftKind.CHANGED_FIELD, "message"),
        (IndexDriftKind.MISSING_FIELD, "message.keyword"),
        (IndexDriftKind.MISSING_FIELD, "level"),
        (IndexDriftKind.EXTRA_FIELD, "other"),
    }
    assert drifts[(IndexDriftKind.CHANGED_FIELD, "(root)")].fixable
    assert not drifts[(IndexDriftKind.CHANGED_FIELD, "message")].fixable
    assert drifts[(IndexDriftKind.MISSING_FIELD, "level")].fixable
    assert not drifts[(IndexDriftKind.EXTRA_FIELD, "other")].fixable


def test_flatten_settings_accepts_both_shapes() -> None:
    assert flatten_settings({"index": {"number_of_shards": "1"}}) == {"number_of_shards": "1"}
    assert flatten_settings({"number_of_shards": 1}) == {"number_of_shards": "1"}


def test_template_drift() -> None:
    actual = {
        "index_patterns": ["p_logs-*"],
        "template": {"settings": {"index": {"number_of_shards": "2"}}, "mappings": WANTED},
    }
    drifts = template_drift(
        "p_logs",
        wanted_patterns=["p_logs-*"],
        wanted_settings={"number_of_shards": "1"},
        wanted_mappings=WANTED,
        actual=actual,
    )
    assert [drift.path for drift in drifts] == ["settings"]
