"""The route table: every endpoint once, with what the OpenAPI document says about it.

Tenant routes are mounted twice, under ``/api/v1/main`` and under the legacy ``/api/v1`` (Kestra's
compatibility layer since 0.23). Literal routes are registered before parameterised ones with the same
shape, so ``/executions/search`` never reaches ``/executions/{executionId}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aiohttp import web
from pydantic import BaseModel

TENANT_PREFIXES = ("/api/v1/main", "/api/v1")

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Scope(StrEnum):
    TENANT = "tenant"
    """Under ``/api/v1/main`` and the legacy ``/api/v1``."""
    INSTANCE = "instance"
    """Under ``/api/v1`` only (configs, plugins)."""
    ROOT = "root"
    """As written (``/ping``)."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str = "string"
    required: bool = False
    description: str = ""
    repeated: bool = False
    enum: tuple[str, ...] = ()
    location: str = "query"


@dataclass(frozen=True, slots=True)
class Body:
    content_type: str
    schema: dict[str, Any]
    required: bool = True


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """A response documented by a pydantic model: one, a list, or ``PagedResults`` of it."""

    model: type[BaseModel]
    shape: str = "one"


def one(model: type[BaseModel]) -> ModelResponse:
    return ModelResponse(model, "one")


def many(model: type[BaseModel]) -> ModelResponse:
    return ModelResponse(model, "list")


def paged_of(model: type[BaseModel]) -> ModelResponse:
    return ModelResponse(model, "paged")


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    method: str
    path: str
    handler: RouteHandler
    summary: str
    tag: str
    scope: Scope = Scope.TENANT
    params: Sequence[Param] = ()
    body: Body | None = None
    response: dict[str, Any] | ModelResponse | None = None
    """The 200 body: a JSON schema or a pydantic model (None: documented as any content)."""
    response_type: str = "application/json"
    statuses: Sequence[int] = field(default=(200,))

    def mounted_paths(self) -> list[str]:
        if self.scope is Scope.TENANT:
            return [prefix + self.path for prefix in TENANT_PREFIXES]
        if self.scope is Scope.INSTANCE:
            return ["/api/v1" + self.path]
        return [self.path]


def route(method: str, path: str, handler: RouteHandler, summary: str, tag: str, **extra: Any) -> Route:
    return Route(method=method, path=path, handler=handler, summary=summary, tag=tag, **extra)


def register(app: web.Application, routes: Iterable[Route]) -> None:
    for item in routes:
        for path in item.mounted_paths():
            app.router.add_route(item.method, path, item.handler)


def q(name: str, type: str = "string", **extra: Any) -> Param:
    return Param(name=name, type=type, **extra)


PAGING = (
    q("page", "integer", description="1-based page"),
    q("size", "integer", description="page size"),
    q("sort", repeated=True, description="field:asc|desc"),
)

OBJECT: dict[str, Any] = {"type": "object"}
ARRAY: dict[str, Any] = {"type": "array", "items": {}}
STRING: dict[str, Any] = {"type": "string"}


def paged_schema(items: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"results": {"type": "array", "items": items or OBJECT}, "total": {"type": "integer"}},
        "required": ["results", "total"],
    }


def yaml_body(required: bool = True) -> Body:
    return Body("application/x-yaml", {"type": "string"}, required)


def json_body(schema: dict[str, Any] | None = None) -> Body:
    return Body("application/json", schema or OBJECT)


def multipart_body() -> Body:
    return Body("multipart/form-data", {"type": "object", "additionalProperties": True}, required=False)
