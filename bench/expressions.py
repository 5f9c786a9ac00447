"""Render cost of the expression engine on the hot path: `python bench/expressions.py`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kestra_stream.expressions import ExpressionEngine

CASES: dict[str, tuple[str, Mapping[str, Any]]] = {
    "plain text": ("no expression here", {}),
    "one variable": ("{{ outputs.task.value }}", {"outputs": {"task": {"value": "hello"}}}),
    "filters": (
        "{{ inputs.name | upper }} at {{ execution.startDate | date('yyyy-MM-dd') }}",
        {"inputs": {"name": "kestra"}, "execution": {"startDate": "2026-11-21T10:00:00Z"}},
    ),
}


def measure(engine: ExpressionEngine, template: str, context: Mapping[str, Any], rounds: int) -> float:
    engine.render(template, context)
    start = time.perf_counter()
    for _ in range(rounds):
        engine.render(template, context)
    return (time.perf_counter() - start) / rounds


def main(rounds: int = 20_000) -> None:
    engine = ExpressionEngine()
    for name, (template, context) in CASES.items():
        print(f"{name:>14}: {measure(engine, template, context, rounds) * 1e6:8.2f} µs per render")


if __name__ == "__main__":
    main()
