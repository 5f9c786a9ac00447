"""Differences between a topic as the catalog wants it and as the cluster has it (pure, no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from kestra_stream.topics.catalog import TopicSpec

# Configs whose value is a set written as a comma separated list.
_LIST_CONFIGS = frozenset({"cleanup.policy"})


class DriftKind(enum.Enum):
    TOO_FEW_PARTITIONS = "too few partitions"
    TOO_MANY_PARTITIONS = "too many partitions"
    REPLICATION_FACTOR = "replication factor"
    CONFIG = "config"
    UNMANAGED_CONFIG = "unmanaged config"


@dataclass(frozen=True, kw_only=True)
class TopicState:
    """A topic as the cluster reports it. ``overrides`` are topic-level configs set on the topic itself."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str]
    overrides: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Drift:
    kind: DriftKind
    topic: str
    config_name: str | None
    wanted: str | None
    actual: str | None
    explanation: str

    def describe(self, *, explain: bool = True) -> str:
        subject = self.config_name or self.kind.value
        reason = f" ({self.explanation})" if explain and self.explanation else ""
        return f"{subject}: wanted {self.wanted}, found {self.actual}{reason}"


def topic_drift(spec: TopicSpec, state: TopicState) -> tuple[Drift, ...]:
    drifts: list[Drift] = []
    if state.partitions < spec.partitions:
        risk = spec.partition_increase_risk
        drifts.append(
            _drift(
                DriftKind.TOO_FEW_PARTITIONS,
                spec,
                wanted=str(spec.partitions),
                actual=str(state.partitions),
                explanation=f"unsafe to grow: {risk}" if risk else "safe to grow with --fix",
            )
        )
    elif state.partitions > spec.partitions:
        drifts.append(
            _drift(
                DriftKind.TOO_MANY_PARTITIONS,
                spec,
                wanted=str(spec.partitions),
                actual=str(state.partitions),
                explanation="Kafka cannot remove partitions: raise the configured count or recreate it",
            )
        )
    if state.replication_factor != spec.replication_factor:
        drifts.append(
            _drift(
                DriftKind.REPLICATION_FACTOR,
                spec,
                wanted=str(spec.replication_factor),
                actual=str(state.replication_factor),
                explanation="needs a partition reassignment (kafka-reassign-partitions), not done here",
            )
        )
    for name, wanted in spec.configs.items():
        actual = state.configs.get(name)
        if actual is None or _normalized(name, actual) != _normalized(name, wanted):
            drifts.append(_drift(DriftKind.CONFIG, spec, config_name=name, wanted=wanted, actual=actual))
    for name in sorted(state.overrides - spec.configs.keys()):
        drifts.append(
            _drift(
                DriftKind.UNMANAGED_CONFIG,
                spec,
                config_name=name,
                wanted="(broker default)",
                actual=state.configs.get(name),
                explanation="set on the topic but not in the catalog or configuration",
            )
        )
    return tuple(drifts)


def _drift(
    kind: DriftKind,
    spec: TopicSpec,
    *,
    wanted: str | None,
    actual: str | None,
    config_name: str | None = None,
    explanation: str = "",
) -> Drift:
    return Drift(
        kind=kind,
        topic=spec.name,
        config_name=config_name,
        wanted=wanted,
        actual=actual,
        explanation=explanation,
    )


def _normalized(name: str, value: str) -> str:
    if name in _LIST_CONFIGS:
        return ",".join(sorted(part.strip() for part in value.split(",") if part.strip()))
    return value.strip()
