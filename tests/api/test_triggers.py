"""``/triggers`` through the scheduler: every change is a TriggerCommand the owning scheduler applies;
reads come from the repository (the indexer follows the ``triggers`` topic)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from api_backends import Api

MAIN = "/api/v1/main"
EXECUTIONS = f"{MAIN}/executions"


def schedule_flow(namespace: str, cron: str, *, task: str = "log", flow_id: str = "scheduled") -> str:
    body = (
        "type: io.kestra.plugin.core.flow.Sleep\n    duration: PT60S"
        if task == "sleep"
        else 'type: io.kestra.plugin.core.log.Log\n    message: "{{ trigger.date }}"'
    )
    seconds = "\n    withSeconds: true" if len(cron.split()) == 6 else ""
    return f"""id: {flow_id}
namespace: {namespace}
tasks:
  - id: {task}
    {body}
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "{cron}"{seconds}
"""


def _path(namespace: str, flow_id: str = "scheduled") -> str:
    return f"{MAIN}/triggers/{namespace}/{flow_id}/tick"


def _ids(namespace: str, flow_id: str = "scheduled") -> dict[str, str]:
    return {"namespace": namespace, "flowId": flow_id, "triggerId": "tick"}


async def _state(api: Api, namespace: str, predicate: Any = lambda context: True) -> dict[str, Any]:
    """The trigger's indexed state once ``predicate(triggerContext)`` holds."""
    page = await api.eventually(
        f"{MAIN}/triggers/search?filters[namespace][EQUALS]={namespace}",
        lambda body: body["total"] == 1 and predicate(body["results"][0]["triggerContext"]),
    )
    context: dict[str, Any] = page["results"][0]["triggerContext"]
    return context


async def _executions(api: Api, namespace: str) -> list[dict[str, Any]]:
    body = await api.json("GET", f"{EXECUTIONS}/search?filters[namespace][EQUALS]={namespace}&size=100")
    results: list[dict[str, Any]] = body["results"]
    return results


def _hour(delta: int) -> str:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(hours=delta)).isoformat().replace("+00:00", "Z")


async def test_backfill_runs_every_missed_date_in_order(api: Api, unique: str) -> None:
    await api.create_flow(schedule_flow(unique, "0 * * * *"))
    await _state(api, unique)
    backfill = {"start": _hour(-5), "end": _hour(-2), "labels": [{"key": "run", "value": "bf"}]}
    answer = await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "backfill": backfill})
    assert answer["backfill"]["start"] == _hour(-5)
    done = await api.eventually(
        f"{EXECUTIONS}/search?filters[namespace][EQUALS]={unique}&filters[state][EQUALS]=SUCCESS",
        lambda body: body["total"] >= 4,
        timeout=60,
    )
    executions = sorted(done["results"], key=lambda e: e["state"]["startDate"])
    dates = [e["trigger"]["variables"]["date"] for e in executions]
    assert [datetime.fromisoformat(d) for d in dates] == [
        datetime.fromisoformat(_hour(h)) for h in (-5, -4, -3, -2)
    ]
    for execution in executions:
        labels = {label["key"]: label["value"] for label in execution["labels"]}
        assert labels.get("system.backfill") == "true", labels
        assert labels.get("run") == "bf"
    # the backfill ends by itself, then the schedule goes on from now
    context = await _state(api, unique, lambda context: context.get("backfill") is None)
    assert datetime.fromisoformat(context["nextExecutionDate"]) > datetime.now(UTC)
    await asyncio.sleep(2)
    assert len(await _executions(api, unique)) == 4


async def test_backfill_pause_unpause_delete(api: Api, unique: str) -> None:
    await api.create_flow(schedule_flow(unique, "0 0 1 1 *"))
    before = await _state(api, unique)
    start = (datetime.now(UTC) - timedelta(days=365 * 40)).replace(microsecond=0)
    backfill = {"start": start.isoformat().replace("+00:00", "Z")}
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "backfill": backfill})
    await _state(api, unique, lambda context: context.get("backfill") is not None)
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "backfill": backfill}, expect=400)
    paused = await api.json("PUT", f"{MAIN}/triggers/backfill/pause", json=_ids(unique))
    assert paused["backfill"]["paused"] is True
    await _state(api, unique, lambda context: (context.get("backfill") or {}).get("paused") is True)
    await asyncio.sleep(2.5)  # an execution created before the pause may still be on its way
    frozen = len(await _executions(api, unique))
    await asyncio.sleep(3)
    assert len(await _executions(api, unique)) == frozen, "the paused backfill went on"
    assert frozen < 40
    await api.json("PUT", f"{MAIN}/triggers/backfill/unpause", json=_ids(unique))
    await api.eventually(
        f"{EXECUTIONS}/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] > frozen
    )
    deleted = await api.json("POST", f"{MAIN}/triggers/backfill/delete", json=_ids(unique))
    assert deleted.get("backfill") is None
    assert deleted.get("nextExecutionDate") == before.get("nextExecutionDate")
    context = await _state(api, unique, lambda context: context.get("backfill") is None)
    assert context["nextExecutionDate"] == before["nextExecutionDate"]
    await asyncio.sleep(2.5)
    stopped = len(await _executions(api, unique))
    await asyncio.sleep(3)
    assert len(await _executions(api, unique)) == stopped
    assert stopped < 40
    await api.json("POST", f"{MAIN}/triggers/backfill/delete", json=_ids(unique), expect=400)
    await api.json("PUT", f"{MAIN}/triggers/backfill/pause", json=_ids(unique), expect=400)


async def test_unlock_a_locked_trigger(api: Api, unique: str) -> None:
    await api.create_flow(schedule_flow(unique, "* * * * * *", task="sleep"))
    locked = await _state(api, unique, lambda context: context.get("executionId"))
    first = locked["executionId"]
    await api.json("GET", f"{EXECUTIONS}/{first}")
    unlocked = await api.json("POST", f"{_path(unique)}/unlock")
    assert unlocked.get("executionId") is None
    # unlocked: the next second fires a second (overlapping) execution, which locks it again
    relocked = await _state(api, unique, lambda context: context.get("executionId") not in (None, first))
    assert relocked["executionId"] != first
    await api.eventually(
        f"{EXECUTIONS}/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] >= 2
    )
    await api.json("POST", f"{MAIN}/triggers/{unique}/scheduled/nope/unlock", expect=404)
    # disable it: no more executions even once unlocked
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "disabled": True})
    await _state(api, unique, lambda context: context.get("disabled") is True)
    await api.json("POST", f"{_path(unique)}/unlock")
    await _state(api, unique, lambda context: context.get("executionId") is None)
    await asyncio.sleep(3)  # executions created before the disable reach the index
    count = len(await _executions(api, unique))
    await asyncio.sleep(3)
    assert len(await _executions(api, unique)) == count
    for execution in await _executions(api, unique):
        await api.json("DELETE", f"{EXECUTIONS}/{execution['id']}/kill", expect=202)


async def test_unlock_conflict_disable_enable_reset(api: Api, unique: str) -> None:
    await api.create_flow(schedule_flow(unique, "0 0 1 1 *"))
    context = await _state(api, unique)
    await api.json("POST", f"{_path(unique)}/unlock", expect=409)
    disabled = await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "disabled": True})
    assert disabled["disabled"] is True
    await _state(api, unique, lambda c: c.get("disabled") is True)
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "disabled": False})
    await _state(api, unique, lambda c: c.get("disabled") is False)
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique)}, expect=422)
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique, "nope"), "disabled": True}, expect=404)
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "backfill": {"x": 1}}, expect=422)
    # reset: the scheduler forgets the state and starts it again from now
    await api.json("PUT", f"{MAIN}/triggers", json={**_ids(unique), "disabled": True})
    await _state(api, unique, lambda c: c.get("disabled") is True)
    async with api.request("DELETE", _path(unique)) as response:
        assert response.status == 204
    reset = await _state(api, unique, lambda c: c.get("disabled") is False)
    assert reset["nextExecutionDate"] == context["nextExecutionDate"]
    await api.json("DELETE", f"{MAIN}/triggers/{unique}/scheduled/nope", expect=404)
