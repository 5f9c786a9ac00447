"""Issue 10 bug 8: ``isPublicHoliday()`` in tasks and in the executor's own renderings, and the
``PublicHoliday`` schedule condition (a backfill over Christmas week fires on the 25th only)."""

from __future__ import annotations

from typing import Any

from api_backends import Api

MAIN = "/api/v1/main"


async def test_is_public_holiday_function(api: Api, unique: str) -> None:
    await api.create_flow(f"""id: holidays
namespace: {unique}
tasks:
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ isPublicHoliday('2024-12-25', 'FR') }}}}"
    then:
      - id: days
        type: io.kestra.plugin.core.debug.Return
        format: >-
          {{{{ isPublicHoliday('2024-07-04', 'US') }}}}
          {{{{ isPublicHoliday('2024-01-06', 'DE', 'DE-BY') }}}}
          {{{{ isPublicHoliday('2024-01-06', 'DE') }}}}
          {{{{ isPublicHoliday('2024-03-12T10:00:00Z', 'US') }}}}
""")
    execution = await api.run(unique, "holidays")
    done = await api.wait_state(execution["id"], "SUCCESS", "FAILED", "WARNING")
    assert done["state"]["current"] == "SUCCESS", done
    outputs = {run["taskId"]: run.get("outputs") for run in done["taskRunList"]}
    assert outputs["days"] == {"value": "true true false false"}, outputs


async def test_public_holiday_schedule_condition(api: Api, unique: str) -> None:
    await api.create_flow(f"""id: on_holidays
namespace: {unique}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.date }}}}"
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * *"
    timezone: Europe/Paris
    conditions:
      - type: io.kestra.plugin.core.condition.PublicHoliday
        country: FR
""")
    ids = {"namespace": unique, "flowId": "on_holidays", "triggerId": "tick"}
    await api.eventually(
        f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}", lambda body: body["total"] == 1
    )
    backfill = {"start": "2024-12-22T00:00:00+01:00", "end": "2024-12-28T00:00:00+01:00"}
    await api.json("PUT", f"{MAIN}/triggers", json={**ids, "backfill": backfill})

    def backfill_done(body: dict[str, Any]) -> bool:
        return body["total"] == 1 and body["results"][0]["triggerContext"].get("backfill") is None

    await api.eventually(f"{MAIN}/triggers/search?filters[namespace][EQUALS]={unique}", backfill_done, 60)
    page = await api.eventually(
        f"{MAIN}/executions/search?filters[namespace][EQUALS]={unique}",
        lambda body: body["total"] >= 1,
        timeout=60,
    )
    dates = [execution["trigger"]["variables"]["date"] for execution in page["results"]]
    assert [date[:10] for date in dates] == ["2024-12-25"], dates
