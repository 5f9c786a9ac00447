from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kestra_stream.models import State, StateType

T0 = datetime(2024, 4, 12, 10, 0, tzinfo=UTC)


def test_terminated_and_running_sets() -> None:
    terminated = {state for state in StateType if state.is_terminated()}
    assert terminated == {
        StateType.FAILED,
        StateType.WARNING,
        StateType.SUCCESS,
        StateType.KILLED,
        StateType.CANCELLED,
        StateType.RETRIED,
        StateType.SKIPPED,
    }
    assert {state for state in StateType if state.is_terminated_no_fail()} == {
        StateType.WARNING,
        StateType.SUCCESS,
        StateType.RETRIED,
        StateType.SKIPPED,
    }
    assert {state for state in StateType if state.is_running()} == {StateType.RUNNING, StateType.KILLING}
    assert {state for state in StateType if state.is_created()} == {StateType.CREATED, StateType.RESTARTED}
    assert StateType.PAUSED.is_paused() and StateType.PAUSED.is_resumable()
    assert StateType.FAILED.is_failed() and StateType.FAILED.is_restartable()
    assert len(StateType) == 17


def test_history_and_derived_dates() -> None:
    state = State.of(at=T0).with_state(StateType.RUNNING, at=T0 + timedelta(seconds=1))
    assert state.end_date is None
    done = state.with_state(StateType.SUCCESS, at=T0 + timedelta(seconds=2.5))
    assert [entry.state for entry in done.histories] == [
        StateType.CREATED,
        StateType.RUNNING,
        StateType.SUCCESS,
    ]
    assert done.start_date == T0 and done.end_date == T0 + timedelta(seconds=2.5)
    assert done.to_json_dict() == {
        "current": "SUCCESS",
        "histories": [
            {"state": "CREATED", "date": "2024-04-12T10:00:00Z"},
            {"state": "RUNNING", "date": "2024-04-12T10:00:01Z"},
            {"state": "SUCCESS", "date": "2024-04-12T10:00:02.500Z"},
        ],
        "startDate": "2024-04-12T10:00:00Z",
        "endDate": "2024-04-12T10:00:02.500Z",
        "duration": "PT2.5S",
    }
    assert done.with_state(StateType.SUCCESS) is done


def test_reads_kestra_payloads_with_derived_fields_and_offsets() -> None:
    state = State.model_validate(
        {
            "current": "PAUSED",
            "histories": [
                {"state": "CREATED", "date": "2024-04-12T12:00:00+02:00"},
                {"state": "PAUSED", "date": "2024-04-12T10:00:03.123Z"},
            ],
            "duration": "PT3.123S",
            "startDate": "2024-04-12T10:00:00Z",
            "endDate": "2024-04-12T10:00:03.123Z",
        }
    )
    assert state.start_date == T0
    assert state.elapsed() == timedelta(seconds=3.123)
