"""Children resolution shared by every flowable and by the execution itself (kestra-features §7.5).

A *container* is a list of groups (the main branch: one group for Sequential, one per iteration for
ForEach...), plus ``errors`` and ``finally``. :func:`resolve_container` says which child task runs
to create next, or the container's final state once everything it started has terminated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from kestra_stream.executor.core._working import Working
from kestra_stream.models.execution import TaskRun
from kestra_stream.models.state import StateType
from kestra_stream.plugins.base import Task


class GroupMode(Enum):
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    DAG = "dag"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    tasks: list[Task]
    value: str | None = None
    iteration: int | None = None
    mode: GroupMode = GroupMode.SEQUENTIAL
    limit: int = 0
    """Children running at once for PARALLEL and DAG groups; 0 means no limit."""
    depends_on: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Container:
    groups: list[Group]
    group_limit: int = 0
    """Groups in progress at once (ForEach ``concurrencyLimit``); 0 means all."""
    independent_groups: bool = False
    """A failed group ends only itself, the others go on (Loop with ``transmitFailed: false``)."""
    errors: list[Task] = field(default_factory=list)
    finally_: list[Task] = field(default_factory=list)
    allow_failure: bool = False
    allow_warning: bool = False


@dataclass(frozen=True, slots=True)
class ChildToCreate:
    task: Task
    value: str | None
    iteration: int | None


@dataclass(frozen=True, slots=True)
class Resolution:
    create: list[ChildToCreate]
    final: StateType | None = None


_RANK = {
    StateType.KILLED: 5,
    StateType.CANCELLED: 4,
    StateType.FAILED: 3,
    StateType.WARNING: 2,
    StateType.PAUSED: 1,
}
_STOPPING = frozenset({StateType.FAILED, StateType.KILLED, StateType.CANCELLED})


def enabled(tasks: list[Task] | None) -> list[Task]:
    return [task for task in tasks or () if not task.disabled]


def worst_state(
    states: list[StateType], *, allow_failure: bool = False, allow_warning: bool = False
) -> StateType:
    """``guessFinalState``: KILLED > CANCELLED > FAILED > WARNING > PAUSED > SUCCESS, then the allow flags."""
    state = max(states, key=lambda s: _RANK.get(s, 0), default=StateType.SUCCESS)
    if _RANK.get(state, 0) == 0:
        state = StateType.SUCCESS
    if state is StateType.FAILED and allow_failure:
        state = StateType.SUCCESS if allow_warning else StateType.WARNING
    if state is StateType.WARNING and allow_warning:
        state = StateType.SUCCESS
    return state


def _key(run: TaskRun) -> tuple[str, str | None, int | None]:
    return (run.task_id, run.value, run.iteration)


def _is_done(run: TaskRun | None) -> bool:
    return run is not None and run.state.current.is_terminated()


def _group_next(
    group: Group, runs: dict[tuple[str, str | None, int | None], TaskRun]
) -> tuple[bool, list[ChildToCreate]]:
    """(group done, children to create now) for a group without failure."""
    found = [runs.get((task.id, group.value, group.iteration)) for task in group.tasks]
    if all(_is_done(run) for run in found):
        return True, []
    if any(run is not None and run.state.current in _STOPPING for run in found):
        return not any(run is not None and not _is_done(run) for run in found), []
    if group.mode is GroupMode.SEQUENTIAL:
        if any(run is not None and not _is_done(run) for run in found):
            return False, []
        position = next(index for index, run in enumerate(found) if run is None)
        return False, [ChildToCreate(group.tasks[position], group.value, group.iteration)]
    running = sum(1 for run in found if run is not None and not _is_done(run))
    room = (group.limit - running) if group.limit else len(group.tasks)
    create: list[ChildToCreate] = []
    done_ok = {
        task.id
        for task, run in zip(group.tasks, found, strict=True)
        if run is not None and run.state.current.is_terminated() and run.state.current not in _STOPPING
    }
    for task, run in zip(group.tasks, found, strict=True):
        if room <= 0:
            break
        if run is not None:
            continue
        if group.mode is GroupMode.DAG and not all(
            dependency in done_ok for dependency in group.depends_on.get(task.id, ())
        ):
            continue
        create.append(ChildToCreate(task, group.value, group.iteration))
        room -= 1
    return False, create


def _sequence_next(
    tasks: list[Task], runs: dict[tuple[str, str | None, int | None], TaskRun]
) -> tuple[bool, list[ChildToCreate]]:
    return _group_next(Group(tasks=tasks), runs)


def resolve_container(
    working: Working, parent: TaskRun | None, container: Container, *, halted: bool
) -> Resolution:
    """What to create next under ``parent`` (``None``: the execution's root), or its final state.

    ``halted`` (kill, Exit, cancel): nothing new starts; the container ends once its children have.
    """
    children = list(working.children_of(parent.id if parent is not None else None))
    runs = {_key(run): run for run in children}
    main_ids = {task.id for group in container.groups for task in group.tasks}
    error_ids = {task.id for task in container.errors}
    finally_ids = {task.id for task in container.finally_}
    main_runs = [run for run in children if run.task_id in main_ids]
    handler_runs = [run for run in children if run.task_id in error_ids or run.task_id in finally_ids]
    considered = [
        run
        for run in children
        if run.task_id in main_ids or run.task_id in error_ids or run.task_id in finally_ids
    ]
    if halted:
        if any(not _is_done(run) for run in considered):
            return Resolution([])
        return Resolution([], _final(main_runs + handler_runs, container))
    stopped = not container.independent_groups and any(run.state.current in _STOPPING for run in main_runs)
    if stopped:
        if any(not _is_done(run) for run in main_runs):
            return Resolution([])
        failed = any(run.state.current is StateType.FAILED for run in main_runs)
        if failed and container.errors:
            errors_done, create = _sequence_next(container.errors, runs)
            if not errors_done:
                return Resolution(create)
    else:
        create = []
        in_progress = 0
        all_done = True
        pending: list[Group] = []
        for group in container.groups:
            started = any((task.id, group.value, group.iteration) in runs for task in group.tasks)
            if not started:
                if group.tasks:
                    pending.append(group)
                    all_done = False
                continue
            done, group_create = _group_next(group, runs)
            if not done:
                all_done = False
                in_progress += 1
                create.extend(group_create)
        for group in pending:
            if container.group_limit and in_progress >= container.group_limit:
                break
            _, group_create = _group_next(group, runs)
            create.extend(group_create)
            in_progress += 1
        if not all_done:
            return Resolution(create)
    finally_done, create = _sequence_next(container.finally_, runs)
    if not finally_done:
        return Resolution(create)
    return Resolution([], _final(main_runs + handler_runs, container))


def _final(runs: list[TaskRun], container: Container) -> StateType:
    return worst_state(
        [run.state.current for run in runs],
        allow_failure=container.allow_failure,
        allow_warning=container.allow_warning,
    )
