"""Public holiday calendars (the ``holidays`` library), for ``isPublicHoliday()`` and the
``PublicHoliday`` schedule condition.

``country`` is an ISO 3166-1 alpha-2 code (``US``, ``fr``); ``sub_division`` an ISO 3166-2 code with
or without its country (``DE-BY`` or ``BY``). Without a country, Kestra takes the server locale's
(Java's default locale): here the country of ``LC_ALL``/``LC_TIME``/``LANG`` (``de_DE.UTF-8``).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays


class HolidayCalendarError(ValueError):
    """An unknown country or subdivision, or no country at all."""


_LOCK = threading.Lock()  # calendars fill their years lazily, on lookup


@lru_cache(maxsize=256)
def _calendar(country: str, sub_division: str | None) -> holidays.HolidayBase:
    import holidays  # on first use: every process renders expressions, few ask for holidays

    try:
        return holidays.country_holidays(country, subdiv=sub_division)
    except NotImplementedError:
        if sub_division is None:
            raise HolidayCalendarError(f"unknown country code `{country}` for public holidays") from None
        raise HolidayCalendarError(
            f"unknown subdivision `{sub_division}` of country `{country}` for public holidays"
        ) from None


def locale_country() -> str | None:
    for name in ("LC_ALL", "LC_TIME", "LANG"):
        language, _, region = os.environ.get(name, "").partition(".")[0].partition("_")
        if language and region:
            return region
    return None


def is_public_holiday(date: dt.date, country: str | None, sub_division: str | None = None) -> bool:
    code = (country or locale_country() or "").strip().upper()
    if not code:
        raise HolidayCalendarError("no country given and none in the server's locale (LANG)")
    division = (sub_division or "").strip().upper() or None
    if division is not None and division.startswith(code + "-"):
        division = division[len(code) + 1 :]
    calendar = _calendar(code, division)
    with _LOCK:
        return date in calendar
