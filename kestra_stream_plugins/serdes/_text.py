"""Values as the text Kestra's serdes writers print (``AbstractTextWriter.convert``): dates with the
task's ``dateFormat`` / ``timeFormat`` / ``dateTimeFormat``, everything else as Java's ``toString``."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kestra_stream.expressions._java_time import default_zone, format_pattern, zone
from kestra_stream.expressions._values import java_double
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import SerdesTask, rendered_text


@dataclass(frozen=True, kw_only=True)
class TextFormats:
    date: str = "yyyy-MM-dd"
    time: str = "HH:mm:ss[XXX]"
    date_time: str = "yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]"
    zone: dt.tzinfo = dt.UTC

    def text(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return java_double(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dt.datetime):
            if value.tzinfo is None or not value.utcoffset():  # LocalDateTime, Instant: in UTC
                return format_pattern(value.replace(tzinfo=dt.UTC), self.date_time)
            return format_pattern(value.astimezone(self.zone), self.date_time)
        if isinstance(value, dt.date):
            return format_pattern(dt.datetime.combine(value, dt.time(), dt.UTC), self.date)
        if isinstance(value, dt.time):
            moment = dt.datetime.combine(dt.date(1970, 1, 1), value.replace(tzinfo=None))
            return format_pattern(moment.replace(tzinfo=value.tzinfo or self.zone), self.time)
        if isinstance(value, bytes):
            return base64.b64encode(value).decode()
        if isinstance(value, Mapping):  # Java's Map.toString
            return "{" + ", ".join(f"{key}={self._nested(item)}" for key, item in value.items()) + "}"
        if isinstance(value, list | tuple):
            return "[" + ", ".join(self._nested(item) for item in value) + "]"
        return str(value)

    def _nested(self, value: Any) -> str:
        text = self.text(value)
        return "null" if text is None else text


class TextWriterTask(SerdesTask):
    """Kestra's ``AbstractTextWriter``: the date formats of a task that writes text."""

    date_format: str = dynamic("yyyy-MM-dd")
    time_format: str = dynamic("HH:mm:ss[XXX]")
    date_time_format: str = dynamic("yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]")
    time_zone_id: str | None = dynamic(None)

    def text_formats(self, ctx: RunContext) -> TextFormats:
        formats = TextFormats(
            date=rendered_text(ctx, self.date_format) or "yyyy-MM-dd",
            time=rendered_text(ctx, self.time_format) or "HH:mm:ss[XXX]",
            date_time=rendered_text(ctx, self.date_time_format) or "yyyy-MM-dd'T'HH:mm:ss.SSS[XXX]",
            zone=zone(rendered_text(ctx, self.time_zone_id), default_zone()),
        )
        probe = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
        for pattern in (formats.date, formats.time, formats.date_time):
            try:
                format_pattern(probe, pattern)
            except (ExpressionError, ValueError) as error:
                raise TaskFailure(f"invalid date format `{pattern}`: {error}") from None
        return formats
