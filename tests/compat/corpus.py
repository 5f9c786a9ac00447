"""The compatibility corpus: flows of core tasks with their result recorded from real Kestra.

``flows/NN-name.yaml`` (first document executed, the others deployed first as subflows), optional
``flows/NN-name.inputs.json`` (string values, sent as the execution form), ``recorded/NN-name.json``
(written by ``record.py`` from ``../shared/kestra-reference/run.sh``) and ``expectations.yaml``
(deliberate ``differences:`` with what kestra-stream does instead, and ``xfail:`` bugs owned
elsewhere). :func:`view` reduces a recorded or a kestra-stream execution to what is compared.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "flows"
RECORDED = HERE / "recorded"
EXPECTATIONS = HERE / "expectations.yaml"
NAMESPACE = "compat"
LOG_TASK_TYPES = {"io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"}
# Task runs the executor concludes itself: Kestra gives each one attempt (its final state),
# kestra-stream none (docs/compatibility.md, deliberate differences).
EXECUTOR_SIDE_TYPES = {
    f"io.kestra.plugin.core.{name}"
    for name in (
        "flow.AllowFailure",
        "flow.Dag",
        "flow.EachParallel",
        "flow.EachSequential",
        "flow.ForEach",
        "flow.If",
        "flow.LoopUntil",
        "flow.Parallel",
        "flow.Pause",
        "flow.Sequential",
        "flow.Switch",
        "flow.WaitFor",
        "execution.Exit",
        "execution.SetVariables",
        "execution.UnsetVariables",
    )
}

# Values that differ on every run: compared by kind only.
_URI = re.compile(r"kestra://[^\s\"',\]]*")
_VOLATILE_KEYS = {
    "executionId": "<id>",
    "on": "<date>",
    "date": "<date>",
    "startDate": "<date>",
    "endDate": "<date>",
}


@dataclass(frozen=True)
class Entry:
    name: str
    flow_id: str
    sources: tuple[str, ...]  # subflows first, the executed flow last
    inputs: dict[str, str]
    recorded: dict[str, Any]
    log_tasks: frozenset[str]
    executor_side: frozenset[str]
    differences: str | None = None
    ours: dict[str, Any] = field(default_factory=dict)
    xfail: str | None = None

    def expected(self) -> dict[str, Any]:
        """The recording's view, with kestra-stream's documented behaviour laid over a difference."""
        expected = view(self.recorded["execution"], self.recorded["logs"], self.log_tasks)
        for key, runs in expected["taskRuns"].items():
            for run in runs:
                never_on_worker = key.partition("[")[0] in self.executor_side or run["state"] == "SKIPPED"
                if never_on_worker and run["attempts"] == [run["state"]]:
                    run["attempts"] = []
        expected["downstream"] = {
            child["flowId"]: view(child, [], frozenset()) for child in self.recorded.get("downstream", [])
        }
        return _overlay(expected, self.ours) if self.ours else expected


def split_documents(text: str) -> list[str]:
    docs, current = [], []
    for line in text.split("\n"):
        if line.strip() == "---":
            docs.append("\n".join(current) + "\n")
            current = []
        else:
            current.append(line)
    docs.append("\n".join(current) + "\n")
    return [doc for doc in docs if doc.strip()]


def _task_ids(flow: Any, types: set[str]) -> set[str]:
    """Ids of the tasks of one of ``types``, anywhere in the flow."""
    found: set[str] = set()
    if isinstance(flow, dict):
        if flow.get("type") in types and isinstance(flow.get("id"), str):
            found.add(flow["id"])
        for value in flow.values():
            found |= _task_ids(value, types)
    elif isinstance(flow, list):
        for item in flow:
            found |= _task_ids(item, types)
    return found


def load() -> list[Entry]:
    expectations: dict[str, dict[str, Any]] = yaml.safe_load(EXPECTATIONS.read_text()) or {}
    entries = []
    for path in sorted(FLOWS.glob("*.yaml")):
        docs = split_documents(path.read_text())
        parsed = [yaml.safe_load(doc) for doc in docs]
        inputs_path = path.with_name(path.stem + ".inputs.json")
        inputs = json.loads(inputs_path.read_text()) if inputs_path.exists() else {}
        note = expectations.get(path.stem, {})
        entries.append(
            Entry(
                name=path.stem,
                flow_id=parsed[0]["id"],
                sources=(*docs[1:], docs[0]),
                inputs=inputs,
                recorded=json.loads((RECORDED / f"{path.stem}.json").read_text()),
                log_tasks=frozenset(_task_ids(parsed[0], LOG_TASK_TYPES)),
                executor_side=frozenset(_task_ids(parsed[0], EXECUTOR_SIDE_TYPES)),
                differences=note.get("differences"),
                ours=note.get("ours", {}),
                xfail=note.get("xfail"),
            )
        )
    return entries


# -- the compared view ------------------------------------------------------------------------------


def normalise(value: Any, key: str | None = None) -> Any:
    if key in _VOLATILE_KEYS and value is not None:
        return _VOLATILE_KEYS[key]
    if isinstance(value, dict):  # Kestra's JSON leaves null fields out
        return {k: normalise(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str):
        if value[:1] in "{[" and value[-1:] in "}]":
            try:  # JSON text: Java maps print in HashMap order, compare the document
                return {"<json>": normalise(json.loads(value))}
            except ValueError:
                pass
        return _URI.sub(lambda m: "kestra://<file>" + Path(m.group()).suffix, value)
    return value


def _run_key(run: dict[str, Any]) -> str:
    value = run.get("value")
    return run["taskId"] if value is None else f"{run['taskId']}[{value}]"


def view(execution: dict[str, Any], logs: list[dict[str, Any]], log_tasks: frozenset[str]) -> dict[str, Any]:
    runs: dict[str, list[Any]] = {}
    for run in execution.get("taskRunList") or []:
        runs.setdefault(_run_key(run), []).append(
            {
                "state": run["state"]["current"],
                "attempts": [attempt["state"]["current"] for attempt in run.get("attempts") or []],
                "outputs": normalise(run.get("outputs") or {}),
            }
        )
    return {
        "state": execution["state"]["current"],
        "inputs": normalise(execution.get("inputs") or {}),
        "outputs": normalise(execution.get("outputs") or {}),
        "labels": sorted(
            (label["key"], label["value"])
            for label in execution.get("labels") or []
            if not label["key"].startswith("system.")
        ),
        "taskRuns": {key: sorted(found, key=json.dumps) for key, found in sorted(runs.items())},
        "logs": sorted(
            (log.get("taskId"), log["level"], log.get("message"))
            for log in logs
            if log.get("taskId") in log_tasks
        ),
    }


def _overlay(base: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """``ours`` maps ``/``-separated paths of the view (``taskRuns/c/0/outputs/values/x``, list
    indexes as numbers) to kestra-stream's value there; ``null`` removes the key."""
    result = copy.deepcopy(base)
    for path, value in ours.items():
        *parents, last = path.split("/")
        target: Any = result
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = normalise(value)
        elif value is None:
            target.pop(last, None)
        else:
            target[last] = normalise(value)
    return result
