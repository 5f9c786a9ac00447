"""Combinators: ``Not`` (none true) and ``Or`` (at least one true)."""

from __future__ import annotations

from pydantic import Field

from kestra_stream.plugins.base import AnyCondition, Condition
from kestra_stream.plugins.conditions._aliases import condition_type
from kestra_stream.plugins.registry import plugin


@plugin(*condition_type("Not"))
class Not(Condition):
    conditions: list[AnyCondition] = Field(min_length=1)


@plugin(*condition_type("Or"))
class Or(Condition):
    conditions: list[AnyCondition] = Field(min_length=1)
