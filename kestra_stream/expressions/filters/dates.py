"""Date filters: ``date``, ``dateAdd``, ``timestamp`` and its precision variants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kestra_stream.expressions import _java_time
from kestra_stream.expressions._java_time import UTC


class DateFilters:
    """Bound to the engine's default ("server") time zone."""

    def __init__(self, default_zone: dt.tzinfo) -> None:
        self.default_zone = default_zone

    def _convert(self, value: Any, time_zone: str | None, existing_format: str | None) -> dt.datetime:
        tzinfo = _java_time.zone(time_zone, self.default_zone)
        return _java_time.to_datetime(value, tzinfo, existing_format)

    def _format(self, value: dt.datetime, format_name: str, time_zone: str | None, locale: str | None) -> str:
        # Like DateTimeFormatter.withZone: the instant is shown in the requested (or server) zone.
        target = _java_time.zone(time_zone, self.default_zone)
        return _java_time.format_date(value.astimezone(target), format_name, locale)

    def date(
        self,
        value: Any,
        format: str = "iso",
        timeZone: str | None = None,
        existingFormat: str | None = None,
        locale: str | None = None,
    ) -> str | None:
        if value is None:
            return None
        converted = self._convert(value, timeZone, existingFormat)
        return self._format(converted, format, timeZone, locale)

    def date_add(
        self,
        value: Any,
        amount: int,
        unit: str,
        format: str = "iso",
        timeZone: str | None = None,
        existingFormat: str | None = None,
        locale: str | None = None,
    ) -> str | None:
        if value is None:
            return None
        converted = self._convert(value, timeZone, existingFormat)
        return self._format(_java_time.add_to_date(converted, int(amount), unit), format, timeZone, locale)

    def _epoch(
        self, value: Any, time_zone: str | None, existing_format: str | None
    ) -> tuple[int, int] | None:
        if value is None:
            return None
        converted = self._convert(value, time_zone, existing_format).astimezone(UTC)
        seconds = int((converted - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(seconds=1))
        return seconds, converted.microsecond

    def timestamp(
        self, value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> int | None:
        epoch = self._epoch(value, timeZone, existingFormat)
        return None if epoch is None else epoch[0]

    def timestamp_milli(
        self, value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> int | None:
        epoch = self._epoch(value, timeZone, existingFormat)
        return None if epoch is None else epoch[0] * 1000 + epoch[1] // 1000

    def timestamp_micro(
        self, value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> int | None:
        epoch = self._epoch(value, timeZone, existingFormat)
        return None if epoch is None else epoch[0] * 1_000_000 + epoch[1]

    def timestamp_nano(
        self, value: Any, timeZone: str | None = None, existingFormat: str | None = None
    ) -> int | None:
        epoch = self._epoch(value, timeZone, existingFormat)
        return None if epoch is None else (epoch[0] * 1_000_000 + epoch[1]) * 1000

    def filters(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "dateAdd": self.date_add,
            "timestamp": self.timestamp,
            "timestampMilli": self.timestamp_milli,
            "timestampMicro": self.timestamp_micro,
            "timestampNano": self.timestamp_nano,
        }
