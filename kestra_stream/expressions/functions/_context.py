"""Helpers for functions that need the render's variables or services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.runtime import Context

from kestra_stream.expressions.services import ExpressionServices, LazyServices

SERVICES_KEY = "kestra-services"
DEPTH_KEY = "kestra-render-depth"


def services(context: Context) -> ExpressionServices:
    found = context.get(SERVICES_KEY)
    if isinstance(found, LazyServices):
        return found.get()
    return found if isinstance(found, ExpressionServices) else ExpressionServices()


def variable(context: Context, *path: str) -> Any:
    """``context['flow']['namespace']``-style lookup returning None when any step is missing."""
    value: Any = context.get(path[0])
    for key in path[1:]:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def flow_namespace(context: Context) -> str | None:
    namespace = variable(context, "flow", "namespace")
    return namespace if isinstance(namespace, str) else None
