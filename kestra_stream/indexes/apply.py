"""Make Elasticsearch match the index catalog: put templates, create indices, report and fix drift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from kestra_stream.cli_output import ApplyStatus
from kestra_stream.indexes.catalog import IndexCatalog, IndexSpec, Layout
from kestra_stream.indexes.drift import IndexDrift, IndexDriftKind, mapping_drift, template_drift


class IndexAdminError(RuntimeError):
    pass


@dataclass(frozen=True, kw_only=True)
class IndexApplyOptions:
    dry_run: bool = False
    fix: bool = False


@dataclass(frozen=True, kw_only=True)
class IndexOutcome:
    spec: IndexSpec
    status: ApplyStatus
    indices: tuple[str, ...] = ()
    remaining: tuple[IndexDrift, ...] = ()
    fixed: tuple[IndexDrift, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IndexApplyReport:
    outcomes: tuple[IndexOutcome, ...]

    @property
    def has_drift(self) -> bool:
        return any(outcome.remaining for outcome in self.outcomes)


def apply_indexes(
    catalog: IndexCatalog, client: Elasticsearch, options: IndexApplyOptions
) -> IndexApplyReport:
    applier = _Applier(client, options)
    try:
        return IndexApplyReport(outcomes=tuple(applier.apply(spec) for spec in catalog.indices))
    except (ApiError, TransportError) as error:
        raise IndexAdminError(f"Elasticsearch request failed: {error}") from error


@dataclass
class _Progress:
    created: bool = False
    fixed: list[IndexDrift] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Applier:
    def __init__(self, client: Elasticsearch, options: IndexApplyOptions) -> None:
        self._client = client
        self._options = options

    def apply(self, spec: IndexSpec) -> IndexOutcome:
        progress = _Progress()
        self._apply_template(spec, progress)
        indices = self._ensure_indices(spec, progress)
        if indices is None:
            return IndexOutcome(spec=spec, status=ApplyStatus.WOULD_CREATE, notes=tuple(progress.notes))
        drifts = self._index_drift(spec, indices)
        if drifts and self._options.fix:
            self._fix_mappings(spec, drifts, progress)
            drifts = self._index_drift(spec, self._concrete_indices(spec) or indices)
        remaining = self._template_drift(spec) + drifts
        if remaining:
            status = ApplyStatus.DRIFT
        elif progress.fixed:
            status = ApplyStatus.FIXED
        elif progress.created:
            status = ApplyStatus.WOULD_CREATE if self._options.dry_run else ApplyStatus.CREATED
        else:
            status = ApplyStatus.OK
        return IndexOutcome(
            spec=spec,
            status=status,
            indices=tuple(indices),
            remaining=remaining,
            fixed=tuple(progress.fixed),
            notes=tuple(progress.notes),
        )

    # -- template ------------------------------------------------------------------------------------

    def _actual_template(self, spec: IndexSpec) -> Mapping[str, Any] | None:
        try:
            response = self._client.indices.get_index_template(name=spec.template_name)
        except NotFoundError:
            return None
        templates = response.body.get("index_templates") or []
        return templates[0]["index_template"] if templates else None

    def _template_drift(self, spec: IndexSpec) -> tuple[IndexDrift, ...]:
        actual = self._actual_template(spec)
        if actual is None:
            return () if self._options.dry_run else (_missing_template(spec),)
        return template_drift(
            spec.template_name,
            wanted_patterns=spec.index_patterns,
            wanted_settings=spec.settings,
            wanted_mappings=spec.mappings,
            actual=actual,
        )

    def _apply_template(self, spec: IndexSpec, progress: _Progress) -> None:
        actual = self._actual_template(spec)
        if actual is None:
            progress.created = True
            progress.notes.append(f"{'would put' if self._options.dry_run else 'put'} template")
            if not self._options.dry_run:
                self._put_template(spec)
            return
        drifts = self._template_drift(spec)
        if drifts and self._options.fix and not self._options.dry_run:
            self._put_template(spec)
            progress.fixed.extend(drifts)

    def _put_template(self, spec: IndexSpec) -> None:
        self._client.indices.put_index_template(
            name=spec.template_name,
            index_patterns=list(spec.index_patterns),
            template={"settings": dict(spec.settings), "mappings": dict(spec.mappings)},
            meta={"managed_by": "kestra-stream indexes apply", "source_topic": spec.source_topic},
            priority=100,
        )

    # -- indices -------------------------------------------------------------------------------------

    def _ensure_indices(self, spec: IndexSpec, progress: _Progress) -> list[str] | None:
        """The concrete indices of ``spec``, created when missing (None when a dry run would create them)."""
        existing = self._concrete_indices(spec)
        if existing:
            return existing
        if self._client.indices.exists(index=spec.name):
            # A concrete index sits where the alias of a rotating index belongs.
            return [spec.name]
        progress.created = True
        progress.notes.append(f"{'would create' if self._options.dry_run else 'created'} {spec.first_index}")
        if self._options.dry_run:
            return None
        aliases = {spec.name: {"is_write_index": True}} if spec.layout is Layout.ROTATING else None
        try:
            self._client.indices.create(
                index=spec.first_index,
                settings=dict(spec.settings),
                mappings=dict(spec.mappings),
                aliases=aliases,
            )
        except ApiError as error:
            if error.error != "resource_already_exists_exception":
                raise
        return [spec.first_index]

    def _concrete_indices(self, spec: IndexSpec) -> list[str]:
        if spec.layout is Layout.SINGLE:
            return [spec.name] if self._client.indices.exists(index=spec.name) else []
        if not self._client.indices.exists_alias(name=spec.name):
            return []
        return sorted(self._client.indices.get_alias(name=spec.name).body)

    def _index_drift(self, spec: IndexSpec, indices: list[str]) -> tuple[IndexDrift, ...]:
        drifts: list[IndexDrift] = []
        if spec.layout is Layout.ROTATING and indices == [spec.name]:
            drifts.append(
                IndexDrift(
                    kind=IndexDriftKind.NOT_AN_ALIAS,
                    target=spec.name,
                    path=spec.name,
                    wanted=f"alias over {spec.name}-*",
                    actual="a concrete index",
                    fixable=False,
                )
            )
        mappings = self._client.indices.get_mapping(index=",".join(indices)).body
        for index in indices:
            drifts.extend(mapping_drift(index, spec.mappings, mappings[index]["mappings"]))
        return tuple(drifts)

    def _fix_mappings(self, spec: IndexSpec, drifts: tuple[IndexDrift, ...], progress: _Progress) -> None:
        for index in sorted({drift.target for drift in drifts}):
            of_index = [drift for drift in drifts if drift.target == index]
            if not all(drift.fixable for drift in of_index):
                progress.notes.append(
                    f"{index}: --fix cannot change existing fields; create a new index and replay "
                    f"{spec.source_topic} into it (reset the indexer's consumer group)"
                )
                continue
            if self._options.dry_run:
                progress.notes.append(f"{index}: --fix would add {len(of_index)} mapping change(s)")
                continue
            self._client.indices.put_mapping(index=index, **dict(spec.mappings))
            progress.fixed.extend(of_index)


def _missing_template(spec: IndexSpec) -> IndexDrift:
    return IndexDrift(
        kind=IndexDriftKind.TEMPLATE,
        target=spec.template_name,
        path="(template)",
        wanted="present",
        actual="missing",
        fixable=True,
    )
