"""Flow inputs (also used by Pause ``onResume``): one model per type, with its constraints.

Each model parses a raw value with :meth:`Input.coerce`, raising :class:`InputValueError` whose
message is the reason part of Kestra's ``Invalid input for `x`, <reason>, but received `v```.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from kestra_stream import user_regex
from kestra_stream.inputs.errors import InputValueError
from kestra_stream.inputs.parsing import (
    SCALAR_PARSERS,
    InputType,
    parse_list,
    to_date,
    to_datetime,
    to_time,
)
from kestra_stream.models.document import KestraModel
from kestra_stream.models.durations import parse_duration

INPUT_ID_PATTERN = r"^[a-zA-Z0-9][.a-zA-Z0-9_-]*$"


class DependsOn(KestraModel):
    inputs: list[str] = Field(default_factory=list)
    condition: str | None = None


class Input(KestraModel):
    """Properties common to every input type (kestra-features.md §5.1)."""

    id: str = Field(pattern=INPUT_ID_PATTERN)
    type: str
    description: str | None = None
    display_name: str | None = Field(None, max_length=64)
    required: bool = True
    defaults: Any = None
    prefill: Any = None
    depends_on: DependsOn | None = None

    input_type: ClassVar[InputType]

    @model_validator(mode="before")
    @classmethod
    def _name_is_old_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "name" in data and "id" not in data:
            data = dict(data)
            data["id"] = data.pop("name")
        return data

    @model_validator(mode="after")
    def _defaults_or_prefill(self) -> Input:
        if self.defaults is not None and self.prefill is not None:
            raise ValueError(
                "`defaults` and `prefill` cannot be used together, use `prefill` for optional inputs"
            )
        return self

    def coerce(self, value: Any) -> Any:
        """Parse then check ``value`` (never ``None``: required-ness is the resolver's business)."""
        parsed = SCALAR_PARSERS[self.input_type](value)
        self.check(parsed)
        return parsed

    def check(self, value: Any) -> None:
        """Constraints beyond the type (ranges, patterns, allowed values)."""


def _check_pattern(pattern: str | None) -> str | None:
    if pattern is not None:
        user_regex.compile_pattern(pattern)  # RegexError is a ValueError: a validation error
    return pattern


class _Validated(Input):
    validator: str | None = None

    _validator_compiles = field_validator("validator")(_check_pattern)

    def check(self, value: Any) -> None:
        if self.validator is None:
            return
        try:
            matched = user_regex.fullmatch(self.validator, value)
        except user_regex.RegexError as error:
            raise InputValueError(str(error)) from None
        if matched is None:
            raise InputValueError(f"it must match the pattern `{self.validator}`")


class StringInput(_Validated):
    type: Literal["STRING"]
    input_type = InputType.STRING


class SecretInput(_Validated):
    type: Literal["SECRET"]
    input_type = InputType.SECRET


def _check_range(value: Any, minimum: Any, maximum: Any, *, capital: bool = False) -> None:
    it = "It" if capital else "it"
    if minimum is not None and value < minimum:
        raise InputValueError(f"{it} must be more than `{minimum}`")
    if maximum is not None and value > maximum:
        raise InputValueError(f"{it} must be less than `{maximum}`")


class IntInput(Input):
    type: Literal["INT"]
    min: int | None = None
    max: int | None = None
    input_type = InputType.INT

    def check(self, value: Any) -> None:
        _check_range(value, self.min, self.max)


class FloatInput(Input):
    type: Literal["FLOAT"]
    min: float | None = None
    max: float | None = None
    input_type = InputType.FLOAT

    def check(self, value: Any) -> None:
        _check_range(value, self.min, self.max)


class BoolInput(Input):
    type: Literal["BOOL"]
    input_type = InputType.BOOL


class BooleanInput(Input):
    """Deprecated since 0.23 in favour of ``BOOL``."""

    type: Literal["BOOLEAN"]
    input_type = InputType.BOOLEAN


class _Choice(Input):
    values: list[str] | None = None
    expression: str | None = None
    allow_custom_value: bool = False
    auto_select_first: bool = False

    @field_validator("values", mode="before")
    @classmethod
    def _values_as_text(cls, value: Any) -> Any:
        # YAML reads unquoted Yes/No/true as booleans; the choices are strings.
        if isinstance(value, list):
            return [("true" if item else "false") if isinstance(item, bool) else item for item in value]
        return value

    def _check_choice(self, value: str) -> None:
        if self.values is not None and not self.allow_custom_value and value not in self.values:
            raise InputValueError(f"it must match the values `[{', '.join(self.values)}]`")


class SelectInput(_Choice):
    type: Literal["SELECT"]
    is_radio: bool = False
    input_type = InputType.SELECT

    @model_validator(mode="after")
    def _values_or_expression(self) -> SelectInput:
        if self.values is None and self.expression is None:
            raise ValueError("one of `values` or `expression` is required")
        return self

    def check(self, value: Any) -> None:
        self._check_choice(value)


class MultiselectInput(_Choice):
    type: Literal["MULTISELECT"]
    options: list[str] | None = Field(None, deprecated=False, description="Deprecated alias of `values`.")
    item_type: InputType = InputType.STRING
    input_type = InputType.MULTISELECT

    @model_validator(mode="after")
    def _values_or_options(self) -> MultiselectInput:
        if self.values is not None and self.options is not None:
            raise ValueError("`values` and `options` cannot be used together")
        if self.values is None and self.options is None and self.expression is None:
            raise ValueError("one of `values` or `expression` is required")
        if self.options is not None:
            object.__setattr__(self, "values", self.options)
        return self

    def check(self, value: Any) -> None:
        for item in value:
            self._check_choice(item)


class EnumInput(Input):
    """Deprecated in favour of ``SELECT``."""

    type: Literal["ENUM"]
    values: list[str]
    input_type = InputType.ENUM

    _values_as_text = field_validator("values", mode="before")(_Choice._values_as_text.__func__)  # type: ignore[attr-defined]

    def check(self, value: Any) -> None:
        if value not in self.values:
            raise InputValueError(f"it must match the values `[{', '.join(self.values)}]`")


def _bound_checker(parse: Any) -> Any:
    def check_bound(value: Any) -> Any:
        if value is not None:
            try:
                parse(value)
            except InputValueError as error:
                raise ValueError(f"invalid bound `{value}`: {error}") from error
        return value

    return check_bound


class _Between(Input):
    after: str | None = None
    before: str | None = None
    _to_comparable: ClassVar[Any]

    def check(self, value: Any) -> None:
        comparable = type(self)._to_comparable(value)
        if self.after is not None and not comparable > type(self)._to_comparable(self.after):
            raise InputValueError(f"it must be after `{self.after}`")
        if self.before is not None and not comparable < type(self)._to_comparable(self.before):
            raise InputValueError(f"it must be before `{self.before}`")


class DatetimeInput(_Between):
    type: Literal["DATETIME"]
    input_type = InputType.DATETIME
    _to_comparable = staticmethod(to_datetime)
    _bounds_parse = field_validator("after", "before", mode="before")(_bound_checker(to_datetime))


class DateInput(_Between):
    type: Literal["DATE"]
    input_type = InputType.DATE
    _to_comparable = staticmethod(to_date)
    _bounds_parse = field_validator("after", "before", mode="before")(_bound_checker(to_date))


class TimeInput(_Between):
    type: Literal["TIME"]
    input_type = InputType.TIME
    _to_comparable = staticmethod(to_time)
    _bounds_parse = field_validator("after", "before", mode="before")(_bound_checker(to_time))


def _duration_bound(value: Any) -> Any:
    if value is not None:
        parse_duration(str(value))
    return value


class DurationInput(Input):
    type: Literal["DURATION"]
    min: str | None = None
    max: str | None = None
    input_type = InputType.DURATION

    _bounds_parse = field_validator("min", "max")(_duration_bound)

    def check(self, value: Any) -> None:
        bound: dict[str, timedelta | None] = {
            name: parse_duration(text) if text is not None else None
            for name, text in (("min", self.min), ("max", self.max))
        }
        duration = parse_duration(value)
        if bound["min"] is not None and duration < bound["min"]:
            raise InputValueError(f"It must be more than `{self.min}`")
        if bound["max"] is not None and duration > bound["max"]:
            raise InputValueError(f"It must be less than `{self.max}`")


class FileInput(Input):
    type: Literal["FILE"]
    allowed_file_extensions: list[str] | None = None
    extension: str = ".upl"
    input_type = InputType.FILE

    def check(self, value: Any) -> None:
        if self.allowed_file_extensions and not any(
            str(value).lower().endswith(extension.lower()) for extension in self.allowed_file_extensions
        ):
            allowed = ", ".join(self.allowed_file_extensions)
            raise InputValueError(f"it must have one of the extensions `[{allowed}]`")


class JsonInput(Input):
    type: Literal["JSON"]
    input_type = InputType.JSON


class YamlInput(Input):
    type: Literal["YAML"]
    input_type = InputType.YAML


class UriInput(Input):
    type: Literal["URI"]
    input_type = InputType.URI


class EmailInput(Input):
    type: Literal["EMAIL"]
    input_type = InputType.EMAIL


class ArrayInput(Input):
    type: Literal["ARRAY"]
    item_type: InputType
    input_type = InputType.ARRAY

    @field_validator("item_type")
    @classmethod
    def _item_type_is_scalar(cls, value: InputType) -> InputType:
        if value in (InputType.ARRAY, InputType.FILE):
            raise ValueError(f"`itemType` cannot be `{value}`")
        return value

    def coerce(self, value: Any) -> Any:
        parse = SCALAR_PARSERS[self.item_type]
        items = []
        for item in parse_list(value, "ARRAY"):
            try:
                items.append(parse(item))
            except InputValueError:
                raise InputValueError(
                    f"Unable to parse array element as `{self.item_type}` on `{item}`"
                ) from None
        return items


INPUT_CLASSES: dict[str, type[Input]] = {
    cls.input_type.value: cls
    for cls in (
        StringInput,
        IntInput,
        FloatInput,
        BoolInput,
        BooleanInput,
        SelectInput,
        MultiselectInput,
        EnumInput,
        DatetimeInput,
        DateInput,
        TimeInput,
        DurationInput,
        FileInput,
        JsonInput,
        YamlInput,
        UriInput,
        SecretInput,
        ArrayInput,
        EmailInput,
    )
}


def _type_error(error_type: str, message: str, value: Any) -> ValidationError:
    detail: InitErrorDetails = {
        "type": PydanticCustomError(error_type, message),
        "loc": ("type",),
        "input": value,
    }
    return ValidationError.from_exception_data("Input", [detail])


def _validate_input(value: Any) -> Input:
    if isinstance(value, Input):
        return value
    if not isinstance(value, Mapping):
        raise PydanticCustomError("input_object", "an input must be an object with `id` and `type`")
    type_name = value.get("type")
    if type_name is None:
        raise _type_error("missing", "must not be null", value)
    cls = INPUT_CLASSES.get(str(type_name))
    if cls is None:
        known = ", ".join(INPUT_CLASSES)
        raise _type_error(
            "input_type", f"Invalid input type `{type_name}`, expected one of [{known}]", type_name
        )
    return cls.model_validate(value)


AnyInput = Annotated[
    Input, PlainValidator(_validate_input), WithJsonSchema({"allOf": [{"$ref": "#/$defs/Input"}]})
]
"""An input of any type: its ``type`` selects the model, errors keep their path."""
