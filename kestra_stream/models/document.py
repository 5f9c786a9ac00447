"""Base of the models a user writes in a flow document: strict, camelCase, immutable."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError


class KestraModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        arbitrary_types_allowed=True,
        # Jackson reads `message: 42` into a String property; so do we.
        coerce_numbers_to_str=True,
    )

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def field_error(model: str, loc: tuple[str | int, ...], message: str, value: Any) -> ValidationError:
    """A validation error located on one property, for checks written in model validators.

    Raised from a validator, pydantic keeps its location (prefixed by the model's own), so the
    violation points at the property rather than at the whole object.
    """
    detail: InitErrorDetails = {
        "type": PydanticCustomError("value_error", message.replace("{", "{{").replace("}", "}}")),
        "loc": loc,
        "input": value,
    }
    return ValidationError.from_exception_data(model, [detail])
