"""The Elasticsearch repository: conditions as query DSL, paging with a depth-independent memory cost,
and the indexer's externally versioned bulk writes.

Only features of the integ-test distribution are used (no painless, no ``_*_by_query``): term-level
queries, ``match``, ``nested``, ``terms``/``date_histogram``/``stats`` aggregations, ``search_after``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, NotFoundError

from kestra_stream.config import Config
from kestra_stream.indexes.catalog import IndexCatalog, load_index_catalog
from kestra_stream.indexes.client import http_hosts
from kestra_stream.models.dates import format_instant
from kestra_stream.repository._backend import DayBucket, Document, Stored
from kestra_stream.repository._conditions import (
    All,
    AnyOf,
    Condition,
    Exists,
    Nested,
    Not,
    Prefix,
    Range,
    Regexp,
    Substring,
    Terms,
    Text,
)
from kestra_stream.repository._repositories import Repositories, RepositoryOptions
from kestra_stream.repository.filters import FilterError, Sort
from kestra_stream.repository.writes import (
    BulkOutcome,
    Delete,
    IndexKey,
    ItemFailure,
    RepositoryUnavailableError,
    WriteOp,
)

# index.max_result_window: from + size beyond it is refused, so deeper pages walk with search_after.
MAX_RESULT_WINDOW = 10_000
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class ElasticsearchRepository(Repositories):
    def __init__(
        self,
        *,
        client: AsyncElasticsearch,
        catalog: IndexCatalog,
        options: RepositoryOptions | None = None,
        owns_client: bool = True,
    ) -> None:
        self.backend = ElasticsearchBackend(client=client, catalog=catalog, owns_client=owns_client)
        super().__init__(backend=self.backend, options=options)

    @classmethod
    def from_config(
        cls, config: Config, *, options: RepositoryOptions | None = None
    ) -> ElasticsearchRepository:
        return cls(client=async_client(config), catalog=load_index_catalog(config), options=options)


def async_client(config: Config, *, timeout_seconds: float = 30.0) -> AsyncElasticsearch:
    """An async client from ``kestra.elasticsearch.client.*`` (same keys as ``indexes apply``)."""
    options: dict[str, Any] = {"request_timeout": timeout_seconds}
    username = config.get("kestra.elasticsearch.client.basic-auth.username")
    if username is not None:
        password = config.get("kestra.elasticsearch.client.basic-auth.password", "")
        options["basic_auth"] = (str(username), str(password))
    if config.get("kestra.elasticsearch.client.trust-all-ssl") is True:
        options["verify_certs"] = False
        options["ssl_show_warn"] = False
    return AsyncElasticsearch(http_hosts(config), **options)


class ElasticsearchBackend:
    def __init__(
        self, *, client: AsyncElasticsearch, catalog: IndexCatalog, owns_client: bool = True
    ) -> None:
        self._client = client
        self._names = {key: catalog.index(key.value).name for key in IndexKey}
        self._owns_client = owns_client

    def name(self, index: IndexKey) -> str:
        return self._names[index]

    @property
    def client(self) -> AsyncElasticsearch:
        return self._client

    async def get(self, index: IndexKey, doc_id: str) -> Stored | None:
        try:
            response = await self._client.get(index=self._names[index], id=doc_id)
        except NotFoundError:
            return None
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise RepositoryUnavailableError(str(error)) from error
        return Stored(
            document=response["_source"], version=response.get("_version"), index_name=response["_index"]
        )

    async def search(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, offset: int, size: int
    ) -> tuple[list[Document], int]:
        query = to_query(condition)
        sort_clause = _sort(sort)
        search_after: list[Any] | None = None
        if offset + size > MAX_RESULT_WINDOW:
            # Walk to the page with sort values only (no _source), then read the page itself.
            search_after, skipped = None, 0
            while skipped < offset:
                step = min(MAX_RESULT_WINDOW, offset - skipped)
                body = await self._search(
                    index, query=query, sort=sort_clause, size=step, search_after=search_after, source=False
                )
                hits = body["hits"]["hits"]
                if not hits:
                    return [], int(body["hits"]["total"]["value"])
                search_after = hits[-1]["sort"]
                skipped += len(hits)
            offset = 0
        body = await self._search(
            index,
            query=query,
            sort=sort_clause,
            size=size,
            from_=offset if search_after is None else None,
            search_after=search_after,
            track_total_hits=True,
        )
        return [hit["_source"] for hit in body["hits"]["hits"]], int(body["hits"]["total"]["value"])

    async def scan(
        self, index: IndexKey, condition: All, sort: tuple[Sort, ...], *, batch_size: int = 1000
    ) -> AsyncIterator[Stored]:
        query, sort_clause = to_query(condition), _sort(sort)
        search_after: list[Any] | None = None
        while True:
            body = await self._search(
                index, query=query, sort=sort_clause, size=batch_size, search_after=search_after, version=True
            )
            hits = body["hits"]["hits"]
            for hit in hits:
                yield Stored(document=hit["_source"], version=hit.get("_version"), index_name=hit["_index"])
            if len(hits) < batch_size:
                return
            search_after = hits[-1]["sort"]

    async def distinct(self, index: IndexKey, condition: All, path: str, *, limit: int = 10_000) -> list[str]:
        aggregations = {"values": {"terms": {"field": path, "size": limit, "order": {"_key": "asc"}}}}
        body = await self._search(index, query=to_query(condition), size=0, aggregations=aggregations)
        return [str(bucket["key"]) for bucket in body["aggregations"]["values"]["buckets"]]

    async def daily(
        self, index: IndexKey, condition: All, *, date_path: str, group_path: str, value_path: str
    ) -> list[DayBucket]:
        aggregations = {
            "days": {
                "date_histogram": {"field": date_path, "calendar_interval": "1d", "min_doc_count": 1},
                "aggregations": {
                    "groups": {"terms": {"field": group_path, "size": 100}},
                    "values": {"stats": {"field": value_path}},
                },
            }
        }
        body = await self._search(index, query=to_query(condition), size=0, aggregations=aggregations)
        buckets = []
        for bucket in body["aggregations"]["days"]["buckets"]:
            stats = bucket["values"]
            buckets.append(
                DayBucket(
                    day=datetime.fromtimestamp(bucket["key"] / 1000, tz=UTC).date(),
                    counts={
                        str(group["key"]): int(group["doc_count"]) for group in bucket["groups"]["buckets"]
                    },
                    count=int(stats["count"]),
                    minimum=float(stats["min"] or 0.0),
                    maximum=float(stats["max"] or 0.0),
                    total=float(stats["sum"] or 0.0),
                )
            )
        return buckets

    async def _search(self, index: IndexKey, **kwargs: Any) -> Mapping[str, Any]:
        options = {key: value for key, value in kwargs.items() if value is not None}
        try:
            response = await self._client.search(index=self._names[index], **options)
        except BadRequestError as error:
            raise FilterError(f"invalid query: {_reason(error)}") from error
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise RepositoryUnavailableError(str(error)) from error
        body: Mapping[str, Any] = response.body
        return body

    async def bulk(self, ops: Sequence[WriteOp]) -> BulkOutcome:
        if not ops:
            return BulkOutcome()
        operations: list[dict[str, Any]] = []
        for op in ops:
            operations.extend(self._action(op))
        try:
            response = await self._client.bulk(operations=operations)
        except (TransportConnectionError, ConnectionTimeout, TransportError) as error:
            raise RepositoryUnavailableError(f"Elasticsearch unreachable: {error}") from error
        except ApiError as error:
            if error.status_code in _RETRYABLE_STATUS:
                raise RepositoryUnavailableError(f"Elasticsearch refused the bulk: {error}") from error
            raise
        return _outcome(ops, response.body)

    def _action(self, op: WriteOp) -> list[dict[str, Any]]:
        if isinstance(op, Delete):
            meta: dict[str, Any] = {"_index": op.concrete_index or self._names[op.index], "_id": op.doc_id}
            if op.version is not None:
                meta.update(version=op.version, version_type="external")
            return [{"delete": meta}]
        meta = {"_index": self._names[op.index], "_id": op.doc_id}
        if op.version is not None:
            meta.update(
                version=op.version, version_type="external_gte" if op.allow_equal_version else "external"
            )
        return [{"index": meta}, op.document]

    async def refresh(self) -> None:
        await self._client.indices.refresh(index=",".join(sorted(set(self._names.values()))))

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()


def _outcome(ops: Sequence[WriteOp], body: Mapping[str, Any]) -> BulkOutcome:
    written = conflicts = 0
    retry: list[WriteOp] = []
    rejected: list[ItemFailure] = []
    for op, item in zip(ops, body.get("items", ()), strict=True):
        result = next(iter(item.values()))
        status = int(result.get("status", 500))
        if status < 300 or (status == 404 and isinstance(op, Delete)):
            written += 1
        elif status == 409:
            conflicts += 1
        elif status in _RETRYABLE_STATUS:
            retry.append(op)
        else:
            error = result.get("error") or {}
            reason = (
                f"{error.get('type')}: {error.get('reason')}" if isinstance(error, Mapping) else str(error)
            )
            rejected.append(ItemFailure(op=op, status=status, reason=reason))
    return BulkOutcome(written=written, conflicts=conflicts, retry=tuple(retry), rejected=tuple(rejected))


def _reason(error: ApiError) -> str:
    info = error.info if isinstance(error.info, Mapping) else {}
    root = (info.get("error") or {}).get("root_cause") or [{}]
    return str(root[0].get("reason") or error.message)


def _sort(sort: tuple[Sort, ...]) -> list[dict[str, Any]]:
    return [
        {
            item.field: {
                "order": "desc" if item.descending else "asc",
                "missing": "_last",
                "unmapped_type": "keyword",
            }
        }
        for item in sort
    ]


def _bound(value: datetime | float | None) -> Any:
    return format_instant(value) if isinstance(value, datetime) else value


def _escape_wildcard(value: str) -> str:
    return "".join("\\" + char if char in "*?\\" else char for char in value)


def to_query(condition: Condition) -> dict[str, Any]:
    """The query DSL of a condition tree."""
    match condition:
        case All(conditions):
            if not conditions:
                return {"match_all": {}}
            return {"bool": {"filter": [to_query(item) for item in conditions]}}
        case AnyOf(conditions):
            if not conditions:
                return {"match_none": {}}
            return {"bool": {"should": [to_query(item) for item in conditions], "minimum_should_match": 1}}
        case Not(inner):
            return {"bool": {"must_not": [to_query(inner)]}}
        case Terms(path, values):
            return {"terms": {path: list(values)}}
        case Exists(path):
            return {"exists": {"field": path}}
        case Prefix(path, value, case_insensitive):
            return {"prefix": {path: {"value": value, "case_insensitive": case_insensitive}}}
        case Substring(path, value, ends_only):
            pattern = "*" + _escape_wildcard(value) + ("" if ends_only else "*")
            return {"wildcard": {path: {"value": pattern, "case_insensitive": True}}}
        case Regexp(path, pattern):
            return {"regexp": {path: {"value": pattern}}}
        case Range(path, gt, gte, lt, lte):
            bounds = {"gt": gt, "gte": gte, "lt": lt, "lte": lte}
            return {
                "range": {path: {name: _bound(value) for name, value in bounds.items() if value is not None}}
            }
        case Text(path, terms):
            return {"match": {path: {"query": " ".join(terms), "operator": "and"}}}
        case Nested(path, inner):
            return {"nested": {"path": path, "query": to_query(inner)}}
    raise TypeError(f"unknown condition {condition!r}")
