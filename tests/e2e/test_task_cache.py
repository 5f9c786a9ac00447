"""``taskCache`` (issue 10 bug 9): a later run of the same rendered task reuses the cached outputs
within ``ttl`` (the Write task's URI is the first run's), a different rendering or an expired entry
runs the task again."""

from __future__ import annotations

import time

from engine_harness import Engine, run_of, task_states

from kestra_stream.models import StateType


def _uris(engine: Engine, content: str) -> tuple[str, dict[str, str], str]:
    execution_id = engine.run("task_cache", inputs={"content": content})
    done = engine.wait_done(execution_id)
    assert done.state.current is StateType.SUCCESS, task_states(done)
    uris = {task: str((run_of(done, task).outputs or {})["uri"]) for task in ("write", "short")}
    return execution_id, uris, content


def test_outputs_are_reused_within_the_ttl_keyed_by_the_rendered_task(engine: Engine) -> None:
    content = f"cached {time.time_ns()}"  # a key of its own: the module's engine runs on both backends
    first_id, first, _ = _uris(engine, content)
    assert first_id in first["write"]
    time.sleep(1.5)  # the 1 s ttl of `short` expires; `write`'s hour does not
    second_id, second, _ = _uris(engine, content)
    assert second["write"] == first["write"], "the cached outputs were not reused"
    assert second_id in second["short"], "an expired entry was reused"
    skipped = engine.wait_for(
        lambda: [
            entry
            for entry in engine.logs_of(second_id)
            if "Skipping task execution for task 'write'" in (entry.message or "")
        ],
        what="the cache hit log line",
    )
    assert skipped[0].task_id == "write"
    _, other, _ = _uris(engine, content + " changed")  # another rendering: another key
    assert other["write"] != first["write"]
