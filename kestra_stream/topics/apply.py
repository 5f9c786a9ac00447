"""Make the cluster match the catalog: create missing topics, report drift, fix what is safe to fix."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from confluent_kafka.cimpl import NewTopic

from kestra_stream.cli_output import ApplyStatus
from kestra_stream.topics.admin import TopicAdmin
from kestra_stream.topics.catalog import TopicCatalog, TopicSpec
from kestra_stream.topics.drift import Drift, DriftKind, TopicState, topic_drift

_CONFIG_KINDS = frozenset({DriftKind.CONFIG, DriftKind.UNMANAGED_CONFIG})


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    dry_run: bool = False
    fix: bool = False
    # Growing co-partitioned or key-ordered topics reshuffles keys; only with this explicit consent.
    allow_unsafe_partition_increase: bool = False
    settle_seconds: float = 10.0


@dataclass(frozen=True, kw_only=True)
class TopicOutcome:
    spec: TopicSpec
    status: ApplyStatus
    remaining: tuple[Drift, ...] = ()
    fixed: tuple[Drift, ...] = ()
    notes: tuple[str, ...] = ()
    partitions_found: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApplyReport:
    outcomes: tuple[TopicOutcome, ...]

    @property
    def has_drift(self) -> bool:
        return any(outcome.remaining for outcome in self.outcomes)


def apply_catalog(catalog: TopicCatalog, admin: TopicAdmin, options: ApplyOptions) -> ApplyReport:
    existing = admin.existing_topics()
    present = [spec for spec in catalog.topics if spec.name in existing]
    states = admin.describe(spec.name for spec in present)
    outcomes: dict[str, TopicOutcome] = {}

    missing = [spec for spec in catalog.topics if spec.name not in existing]
    creations = {spec.name: _creation_partitions(spec, catalog, states) for spec in missing}
    if not options.dry_run:
        admin.create(_new_topic(spec, creations[spec.name]) for spec in missing)
    for spec in missing:
        partitions = creations[spec.name]
        notes: tuple[str, ...] = ()
        remaining: tuple[Drift, ...] = ()
        if partitions != spec.partitions:
            notes = (f"created with {partitions} partitions to stay co-partitioned with its group",)
            remaining = topic_drift(spec, _state_as_created(spec, partitions))
        outcomes[spec.name] = TopicOutcome(
            spec=spec,
            status=ApplyStatus.WOULD_CREATE if options.dry_run else ApplyStatus.CREATED,
            remaining=remaining,
            notes=notes,
            partitions_found=partitions,
        )

    fixed_by_topic: dict[str, tuple[Drift, ...]] = {}
    notes_by_topic: dict[str, tuple[str, ...]] = {}
    for spec in present:
        drifts = topic_drift(spec, states[spec.name])
        if not drifts or not options.fix:
            continue
        fixable, blocked = _fixable(spec, drifts, options)
        notes_by_topic[spec.name] = blocked
        if fixable and not options.dry_run:
            _fix(spec, fixable, admin)
            fixed_by_topic[spec.name] = fixable
        elif fixable:
            would = tuple(f"--fix would repair {drift.describe(explain=False)}" for drift in fixable)
            notes_by_topic[spec.name] += would

    if fixed_by_topic:
        states.update(_settled_states(catalog, admin, fixed_by_topic, options))
    for spec in present:
        state = states[spec.name]
        remaining = topic_drift(spec, state)
        fixed = fixed_by_topic.get(spec.name, ())
        if remaining:
            status = ApplyStatus.DRIFT
        elif fixed:
            status = ApplyStatus.FIXED
        else:
            status = ApplyStatus.OK
        outcomes[spec.name] = TopicOutcome(
            spec=spec,
            status=status,
            remaining=remaining,
            fixed=fixed,
            notes=notes_by_topic.get(spec.name, ()),
            partitions_found=state.partitions,
        )
    return ApplyReport(outcomes=tuple(outcomes[spec.name] for spec in catalog.topics))


def _settled_states(
    catalog: TopicCatalog, admin: TopicAdmin, fixed: Mapping[str, tuple[Drift, ...]], options: ApplyOptions
) -> dict[str, TopicState]:
    """Brokers apply config and partition changes asynchronously: read back until they show (or time out)."""
    specs = {spec.name: spec for spec in catalog.topics}
    names = sorted(fixed)
    deadline = time.monotonic() + options.settle_seconds

    def still_there(name: str, state: TopicState) -> bool:
        wanted_gone = {(drift.kind, drift.config_name) for drift in fixed[name]}
        drifts = topic_drift(specs[name], state)
        return any((drift.kind, drift.config_name) in wanted_gone for drift in drifts)

    while True:
        states = admin.describe(names)
        settled = not any(still_there(name, states[name]) for name in names)
        if settled or time.monotonic() >= deadline:
            return states
        time.sleep(0.2)


def _creation_partitions(spec: TopicSpec, catalog: TopicCatalog, states: Mapping[str, TopicState]) -> int:
    """A missing member of a co-partition group takes the count its existing siblings agree on."""
    if spec.copartition_group is None:
        return spec.partitions
    sibling_counts = {
        states[member.name].partitions
        for member in catalog.group_members(spec.copartition_group)
        if member.name in states
    }
    return sibling_counts.pop() if len(sibling_counts) == 1 else spec.partitions


def _new_topic(spec: TopicSpec, partitions: int) -> NewTopic:
    return NewTopic(
        spec.name,
        num_partitions=partitions,
        replication_factor=spec.replication_factor,
        config=dict(spec.configs),
    )


def _state_as_created(spec: TopicSpec, partitions: int) -> TopicState:
    return TopicState(
        name=spec.name,
        partitions=partitions,
        replication_factor=spec.replication_factor,
        configs=spec.configs,
        overrides=frozenset(spec.configs),
    )


def _fixable(
    spec: TopicSpec, drifts: tuple[Drift, ...], options: ApplyOptions
) -> tuple[tuple[Drift, ...], tuple[str, ...]]:
    fixable: list[Drift] = []
    blocked: list[str] = []
    for drift in drifts:
        if drift.kind in _CONFIG_KINDS:
            fixable.append(drift)
        elif drift.kind is DriftKind.TOO_FEW_PARTITIONS:
            risk = spec.partition_increase_risk
            if risk is None or options.allow_unsafe_partition_increase:
                fixable.append(drift)
            else:
                blocked.append("--fix left the partitions alone: needs --allow-unsafe-partition-increase")
        else:
            blocked.append(f"--fix cannot repair the {drift.kind.value}")
    return tuple(fixable), tuple(blocked)


def _fix(spec: TopicSpec, drifts: tuple[Drift, ...], admin: TopicAdmin) -> None:
    set_values = {
        drift.config_name: spec.configs[drift.config_name]
        for drift in drifts
        if drift.kind is DriftKind.CONFIG and drift.config_name is not None
    }
    delete = [
        drift.config_name
        for drift in drifts
        if drift.kind is DriftKind.UNMANAGED_CONFIG and drift.config_name is not None
    ]
    admin.alter_configs(spec.name, set_values=set_values, delete=delete)
    if any(drift.kind is DriftKind.TOO_FEW_PARTITIONS for drift in drifts):
        admin.add_partitions(spec.name, total=spec.partitions)
