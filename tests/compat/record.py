"""Re-record the compatibility corpus from real Kestra (1.3.31, the reference engine).

    python tests/compat/record.py [NAME ...]          # every flow, or the named ones (NN-name)
    KESTRA_PEER_URL=http://127.0.0.1:PORT python tests/compat/record.py   # on a warm `serve.sh PORT`

Each ``flows/NN-name.yaml`` (the first document is executed, the others are deployed first, as
subflows) runs once with ``flows/NN-name.inputs.json`` when it exists, through
``../shared/kestra-reference/run.sh FLOW.yaml [INPUTS.json]`` (override with ``KESTRA_REFERENCE``).
Kestra's execution JSON is trimmed to the fields the corpus test compares, Kestra's own field names
kept, and written to ``recorded/NN-name.json``. Needs Java (the reference engine); CI does not.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "flows"
RECORDED = HERE / "recorded"
REPO = HERE.parents[1]
COMMAND = "../shared/kestra-reference/run.sh"


def reference_script() -> Path:
    override = os.environ.get("KESTRA_REFERENCE")
    return Path(override) if override else (REPO / COMMAND).resolve()


def trim_task_run(run: dict[str, Any]) -> dict[str, Any]:
    trimmed: dict[str, Any] = {"taskId": run["taskId"]}
    if run.get("value") is not None:
        trimmed["value"] = run["value"]
    trimmed["state"] = {"current": run["state"]["current"]}
    trimmed["attempts"] = [{"state": {"current": a["state"]["current"]}} for a in run.get("attempts") or []]
    trimmed["outputs"] = run.get("outputs") or {}
    return trimmed


def trim_execution(execution: dict[str, Any]) -> dict[str, Any]:
    return {
        "flowId": execution["flowId"],
        "state": {"current": execution["state"]["current"]},
        "inputs": execution.get("inputs") or {},
        "outputs": execution.get("outputs") or {},
        "labels": [
            label for label in execution.get("labels") or [] if not label["key"].startswith("system.")
        ],
        "taskRunList": [trim_task_run(run) for run in execution.get("taskRunList") or []],
    }


def trim(document: dict[str, Any], command: list[str], flow_ids: set[str]) -> dict[str, Any]:
    recorded: dict[str, Any] = {"engine": document.get("engine"), "command": " ".join(command)}
    if "error" in document:
        recorded["error"] = document["error"]
    if document.get("execution"):
        recorded["execution"] = trim_execution(document["execution"])
    recorded["logs"] = [
        {"level": log["level"], "taskId": log.get("taskId"), "message": log.get("message")}
        for log in document.get("logs") or []
        if log["level"] != "TRACE"  # Java stack traces
    ]
    # The warm engine reports every execution it saw meanwhile: keep the subflows of this file.
    children = [child.get("execution", child) for child in document.get("downstream") or []]
    recorded["downstream"] = [trim_execution(child) for child in children if child["flowId"] in flow_ids]
    return recorded


def record(flow: Path) -> str:
    inputs = flow.with_name(flow.stem + ".inputs.json")
    relative = [str(flow.relative_to(REPO))] + ([str(inputs.relative_to(REPO))] if inputs.exists() else [])
    command = [COMMAND, *relative]
    result = subprocess.run(
        [str(reference_script()), *(str(REPO / part) for part in relative)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not result.stdout.strip():
        return f"{flow.stem}: no output (exit {result.returncode}): {result.stderr[-2000:]}"
    document = json.loads(result.stdout)
    flow_ids = set(re.findall(r"^id:\s*(\S+)", flow.read_text(), flags=re.MULTILINE))
    recorded = trim(document, command, flow_ids)
    (RECORDED / f"{flow.stem}.json").write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n")
    state = recorded.get("execution", {}).get("state", {}).get("current", recorded.get("error"))
    return f"{flow.stem}: {state}"


def main(names: list[str]) -> int:
    RECORDED.mkdir(exist_ok=True)
    flows = sorted(FLOWS.glob("*.yaml"))
    if names:
        flows = [flow for flow in flows if flow.stem in names]
    workers = 4 if os.environ.get("KESTRA_PEER_URL") else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for line in pool.map(record, flows):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
