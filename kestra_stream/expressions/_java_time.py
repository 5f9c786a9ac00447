"""Java ``DateTimeFormatter`` patterns, named formatters and date conversions, on ``zoneinfo``.

Formatting walks the pattern letter by letter (``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``…) instead of
translating it to ``strftime``, because strftime cannot express Java's fraction widths, offset
styles (``X``/``x``/``Z``/``O``), zone ids (``VV``) or padding rules. Parsing builds a regular
expression from the same pattern.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kestra_stream.expressions.errors import ExpressionError

UTC = dt.UTC


@dataclass(frozen=True, slots=True)
class LocaleNames:
    months: tuple[str, ...]
    months_short: tuple[str, ...]
    days: tuple[str, ...]  # Monday first
    days_short: tuple[str, ...]
    am_pm: tuple[str, str] = ("AM", "PM")
    iso_weeks: bool = True  # False: US week rules (Sunday start, week 1 holds January 1st)


_ENGLISH = LocaleNames(
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    months_short=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    days_short=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    iso_weeks=False,
)
_LOCALES: dict[str, LocaleNames] = {
    "en": _ENGLISH,
    "fr": LocaleNames(
        months=(
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ),
        months_short=(
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ),
        days=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        days_short=("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    ),
    "de": LocaleNames(
        months=(
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ),
        months_short=(
            "Jan.",
            "Feb.",
            "März",
            "Apr.",
            "Mai",
            "Juni",
            "Juli",
            "Aug.",
            "Sept.",
            "Okt.",
            "Nov.",
            "Dez.",
        ),
        days=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        days_short=("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    ),
}


def locale_names(locale: str | None) -> LocaleNames:
    if not locale:
        return _ENGLISH
    return _LOCALES.get(re.split(r"[-_]", locale)[0].lower(), _ENGLISH)


def zone(name: str | None, default: dt.tzinfo) -> dt.tzinfo:
    if name is None:
        return default
    if name in ("Z", "UTC", "GMT"):
        return ZoneInfo("UTC")
    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", name)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        delta = dt.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        return dt.timezone(sign * delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ExpressionError(f"unknown time zone `{name}`") from None


def default_zone() -> dt.tzinfo:
    """The "server zone": ``TZ`` when set, UTC otherwise (Kestra servers usually run in UTC)."""
    return zone(os.environ.get("TZ") or None, ZoneInfo("UTC"))


# -- pattern tokenizing ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Field:
    letter: str
    count: int


@dataclass(frozen=True, slots=True)
class OptionalSection:
    items: tuple[PatternItem, ...]


PatternItem = Field | str | OptionalSection


@lru_cache(maxsize=256)
def parse_pattern(pattern: str) -> tuple[PatternItem, ...]:
    stack: list[list[PatternItem]] = [[]]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char.isascii() and char.isalpha():
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            stack[-1].append(Field(char, end - index))
            index = end
        elif char == "'":
            end = index + 1
            literal: list[str] = []
            while True:
                if end >= len(pattern):
                    raise ExpressionError(f"unterminated quote in date pattern `{pattern}`")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            stack[-1].append("".join(literal) if end > index + 1 else "'")
            index = end + 1
        elif char == "[":
            stack.append([])
            index += 1
        elif char == "]":
            if len(stack) == 1:
                raise ExpressionError(f"unbalanced `]` in date pattern `{pattern}`")
            section = OptionalSection(tuple(stack.pop()))
            stack[-1].append(section)
            index += 1
        else:
            stack[-1].append(char)
            index += 1
    if len(stack) != 1:
        raise ExpressionError(f"unbalanced `[` in date pattern `{pattern}`")
    return tuple(stack[0])


# -- formatting -----------------------------------------------------------------------------
def _pad(value: int, count: int) -> str:
    text = str(abs(value)).zfill(count)
    return ("-" + text) if value < 0 else text


def _offset(value: dt.datetime, *, colon: bool, minutes: str, seconds: bool, zero: str | None) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    total = int(offset.total_seconds())
    if total == 0 and zero is not None:
        return zero
    sign = "+" if total >= 0 else "-"
    hours, remainder = divmod(abs(total), 3600)
    mins, secs = divmod(remainder, 60)
    separator = ":" if colon else ""
    text = f"{sign}{hours:02d}"
    if minutes == "always" or (minutes == "nonzero" and (mins or secs)):
        text += f"{separator}{mins:02d}"
    if seconds and secs:
        text += f"{separator}{secs:02d}"
    return text


def _offset_x(value: dt.datetime, count: int, zero: str | None) -> str:
    if count == 1:
        return _offset(value, colon=False, minutes="nonzero", seconds=False, zero=zero)
    if count == 2:
        return _offset(value, colon=False, minutes="always", seconds=False, zero=zero)
    if count == 3:
        return _offset(value, colon=True, minutes="always", seconds=False, zero=zero)
    if count == 4:
        return _offset(value, colon=False, minutes="always", seconds=True, zero=zero)
    return _offset(value, colon=True, minutes="always", seconds=True, zero=zero)


def _gmt_offset(value: dt.datetime, full: bool) -> str:
    offset = value.utcoffset() or dt.timedelta(0)
    if not offset:
        return "GMT"
    if full:
        return "GMT" + _offset(value, colon=True, minutes="always", seconds=True, zero=None)
    text = _offset(value, colon=True, minutes="nonzero", seconds=True, zero=None)
    sign, rest = text[0], text[1:]
    return f"GMT{sign}{rest.lstrip('0') if not rest.startswith('00') else rest[1:]}"


def zone_id(value: dt.datetime) -> str:
    tzinfo = value.tzinfo
    if isinstance(tzinfo, ZoneInfo):
        return tzinfo.key
    if value.utcoffset() == dt.timedelta(0):
        return "Z"
    return _offset(value, colon=True, minutes="always", seconds=True, zero="Z")


def _week_fields(value: dt.datetime | dt.date, names: LocaleNames) -> tuple[int, int]:
    """(week-based year, week of week-based year) for the locale's week rules."""
    day = value if type(value) is dt.date else value.date()  # type: ignore[union-attr]
    if names.iso_weeks:
        iso = day.isocalendar()
        return iso.year, iso.week
    start_of_week = day - dt.timedelta(days=(day.weekday() + 1) % 7)  # Sunday
    next_january_first = dt.date(day.year + 1, 1, 1)
    if start_of_week <= next_january_first <= start_of_week + dt.timedelta(days=6):
        return day.year + 1, 1
    january_first = dt.date(day.year, 1, 1)
    week_one = january_first - dt.timedelta(days=(january_first.weekday() + 1) % 7)
    return day.year, (day - week_one).days // 7 + 1


def _format_field(value: dt.datetime, field: Field, names: LocaleNames) -> str:
    letter, count = field.letter, field.count
    if letter in "yu":
        return _pad(value.year % 100, 2) if count == 2 else _pad(value.year, count)
    if letter in "ML":
        if count <= 2:
            return _pad(value.month, count)
        if count == 3:
            return names.months_short[value.month - 1]
        return names.months[value.month - 1] if count == 4 else names.months[value.month - 1][0]
    if letter == "d":
        return _pad(value.day, count)
    if letter == "D":
        return _pad(value.timetuple().tm_yday, count)
    if letter in "Qq":
        quarter = (value.month - 1) // 3 + 1
        if count <= 2:
            return _pad(quarter, count)
        return f"Q{quarter}" if count == 3 else f"{quarter}{('st', 'nd', 'rd', 'th')[quarter - 1]} quarter"
    if letter in "Ee" and (letter == "E" or count >= 3):
        if count <= 3:
            return names.days_short[value.weekday()]
        return names.days[value.weekday()] if count == 4 else names.days[value.weekday()][0]
    if letter in "ec":
        number = value.weekday() + 1 if names.iso_weeks else (value.weekday() + 1) % 7 + 1
        return _pad(number, count)
    if letter == "a":
        return names.am_pm[0 if value.hour < 12 else 1]
    if letter == "h":
        return _pad((value.hour % 12) or 12, count)
    if letter == "K":
        return _pad(value.hour % 12, count)
    if letter == "k":
        return _pad(value.hour or 24, count)
    if letter == "H":
        return _pad(value.hour, count)
    if letter == "m":
        return _pad(value.minute, count)
    if letter == "s":
        return _pad(value.second, count)
    if letter == "S":
        return f"{value.microsecond:06d}000"[:count].ljust(count, "0")
    if letter == "n":
        return _pad(value.microsecond * 1000, count)
    if letter == "A":
        milli_of_day = (
            value.hour * 3600 + value.minute * 60 + value.second
        ) * 1000 + value.microsecond // 1000
        return _pad(milli_of_day, count)
    if letter == "N":
        seconds_of_day = value.hour * 3600 + value.minute * 60 + value.second
        return _pad(seconds_of_day * 1_000_000_000 + value.microsecond * 1000, count)
    if letter == "Y":
        year = _week_fields(value, names)[0]
        return _pad(year % 100, 2) if count == 2 else _pad(year, count)
    if letter == "w":
        return _pad(_week_fields(value, names)[1], count)
    if letter == "W":
        first = value.replace(day=1)
        offset = (first.weekday() + 1) % 7 if not names.iso_weeks else first.weekday()
        return _pad((value.day + offset - 1) // 7 + 1, count)
    if letter == "G":
        return ("AD", "AD", "AD", "Anno Domini", "A")[min(count, 5) - 1]
    if letter == "X":
        return _offset_x(value, count, "Z")
    if letter == "x":
        return _offset_x(value, count, None)
    if letter == "Z":
        if count <= 3:
            return _offset(value, colon=False, minutes="always", seconds=False, zero=None)
        if count == 4:
            return _gmt_offset(value, full=True)
        return _offset(value, colon=True, minutes="always", seconds=True, zero="Z")
    if letter == "O":
        return _gmt_offset(value, full=count == 4)
    if letter in "Vv":
        return zone_id(value)
    if letter == "z":
        name = value.tzname() or zone_id(value)
        return name if count < 4 else zone_id(value)
    raise ExpressionError(f"unsupported date pattern letter `{letter}`")


def _format_items(value: dt.datetime, items: tuple[PatternItem, ...], names: LocaleNames) -> str:
    parts: list[str] = []
    for item in items:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, Field):
            parts.append(_format_field(value, item, names))
        else:
            parts.append(_format_items(value, item.items, names))
    return "".join(parts)


def format_pattern(value: dt.datetime, pattern: str, locale: str | None = None) -> str:
    return _format_items(value, parse_pattern(pattern), locale_names(locale))


def _fraction(value: dt.datetime, groups_of_three: bool) -> str:
    if not value.microsecond:
        return ""
    digits = f"{value.microsecond:06d}"
    if groups_of_three:
        return "." + (digits[:3] if digits.endswith("000") else digits)
    return "." + digits.rstrip("0")


def _iso_local_time(value: dt.datetime) -> str:
    return f"{value:%H:%M:%S}" + _fraction(value, groups_of_three=False)


def _iso_offset(value: dt.datetime) -> str:
    return _offset(value, colon=True, minutes="always", seconds=True, zero="Z")


def _zone_suffix(value: dt.datetime) -> str:
    return f"[{value.tzinfo.key}]" if isinstance(value.tzinfo, ZoneInfo) else ""


def _iso_instant(value: dt.datetime) -> str:
    utc = value.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}" + _fraction(utc, groups_of_three=True) + "Z"


def _rfc_1123(value: dt.datetime) -> str:
    offset = _offset(value, colon=False, minutes="always", seconds=False, zero="GMT")
    day_name, month_name = _ENGLISH.days_short[value.weekday()], _ENGLISH.months_short[value.month - 1]
    return f"{day_name}, {value.day} {month_name} {value:%Y %H:%M:%S} {offset}"


def _iso_week_date(value: dt.datetime) -> str:
    iso = value.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}-{iso.weekday}" + _iso_offset(value)


NAMED_FORMATTERS: dict[str, Callable[[dt.datetime], str]] = {
    "iso_date_time": lambda v: f"{v:%Y-%m-%dT}" + _iso_local_time(v) + _iso_offset(v) + _zone_suffix(v),
    "iso_zoned_date_time": lambda v: f"{v:%Y-%m-%dT}" + _iso_local_time(v) + _iso_offset(v) + _zone_suffix(v),
    "iso_offset_date_time": lambda v: f"{v:%Y-%m-%dT}" + _iso_local_time(v) + _iso_offset(v),
    "iso_date": lambda v: f"{v:%Y-%m-%d}" + _iso_offset(v),
    "iso_time": lambda v: _iso_local_time(v) + _iso_offset(v),
    "iso_local_date": lambda v: f"{v:%Y-%m-%d}",
    "iso_instant": _iso_instant,
    "iso_local_date_time": lambda v: f"{v:%Y-%m-%dT}" + _iso_local_time(v),
    "iso_local_time": _iso_local_time,
    "iso_offset_time": lambda v: _iso_local_time(v) + _iso_offset(v),
    "iso_ordinal_date": lambda v: f"{v:%Y-%j}" + _iso_offset(v),
    "iso_week_date": _iso_week_date,
    "basic_iso_date": lambda v: (
        f"{v:%Y%m%d}" + _offset(v, colon=False, minutes="always", seconds=False, zero="Z")
    ),
    "rfc_1123_date_time": _rfc_1123,
}
NAMED_PATTERNS: dict[str, str] = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
    # FormatStyle with the en_US CLDR patterns of recent JDKs.
    "full": "EEEE, MMMM d, y 'at' h:mm:ss a zzzz",
    "long": "MMMM d, y 'at' h:mm:ss a z",
    "medium": "MMM d, y, h:mm:ss a",
    "short": "M/d/yy, h:mm a",
}


def format_date(value: dt.datetime, format_name: str, locale: str | None = None) -> str:
    formatter = NAMED_FORMATTERS.get(format_name)
    if formatter is not None:
        return formatter(value)
    return format_pattern(value, NAMED_PATTERNS.get(format_name, format_name), locale)


# -- parsing --------------------------------------------------------------------------------
_NUMERIC_FIELDS = {
    "y": r"[+-]?\d{1,9}",
    "u": r"[+-]?\d{1,9}",
    "M": r"\d{1,2}",
    "L": r"\d{1,2}",
    "d": r"\d{1,2}",
    "D": r"\d{1,3}",
    "H": r"\d{1,2}",
    "h": r"\d{1,2}",
    "K": r"\d{1,2}",
    "k": r"\d{1,2}",
    "m": r"\d{1,2}",
    "s": r"\d{1,2}",
    "n": r"\d{1,9}",
}
_OFFSET_REGEX = r"Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?"


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _field_regex(field: Field, names: LocaleNames, seen: dict[str, int]) -> str:
    letter, count = field.letter, field.count
    seen[letter] = seen.get(letter, 0) + 1
    group = f"{'U' if letter.isupper() else 'l'}{letter}_{seen[letter]}"
    if letter in "ML" and count == 3:
        return f"(?P<{group}>{_alternatives(names.months_short)})"
    if letter in "ML" and count >= 4:
        return f"(?P<{group}>{_alternatives(names.months)})"
    if letter in "Ee":
        return f"(?:{_alternatives(names.days + names.days_short)})"
    if letter == "a":
        return f"(?P<{group}>AM|PM|am|pm)"
    if letter == "S":
        return f"(?P<{group}>\\d{{{count}}})"
    if letter in "yu" and count in (2, 4):
        return f"(?P<{group}>\\d{{{count}}})"
    if letter in _NUMERIC_FIELDS:
        pattern = f"\\d{{{count}}}" if count >= 2 and letter not in "yun" else _NUMERIC_FIELDS[letter]
        return f"(?P<{group}>{pattern})"
    if letter in "XxZ":
        return f"(?P<{group}>{_OFFSET_REGEX}|GMT)"
    if letter in "Vz":
        return f"(?P<{group}>[A-Za-z_]+(?:/[A-Za-z_+-]+)*|{_OFFSET_REGEX})"
    if letter == "G":
        return "(?:AD|BC)"
    raise ExpressionError(f"date pattern letter `{letter}` cannot be used to parse")


def _items_regex(items: tuple[PatternItem, ...], names: LocaleNames, seen: dict[str, int]) -> str:
    parts: list[str] = []
    for item in items:
        if isinstance(item, str):
            parts.append(re.escape(item))
        elif isinstance(item, Field):
            parts.append(_field_regex(item, names, seen))
        else:
            parts.append(f"(?:{_items_regex(item.items, names, seen)})?")
    return "".join(parts)


@lru_cache(maxsize=128)
def _parser_regex(pattern: str, locale: str | None) -> re.Pattern[str]:
    return re.compile(_items_regex(parse_pattern(pattern), locale_names(locale), {}) + r"\Z", re.IGNORECASE)


def _offset_zone(text: str) -> dt.tzinfo:
    if text.upper() in ("Z", "GMT"):
        return UTC
    return zone(text, UTC)


def parse_with_pattern(text: str, pattern: str, default: dt.tzinfo, locale: str | None = None) -> dt.datetime:
    if pattern in NAMED_FORMATTERS or pattern in ("iso", "iso_sec", "sql", "sql_seq"):
        return parse_iso(text, default)
    match = _parser_regex(NAMED_PATTERNS.get(pattern, pattern), locale).match(text.strip())
    if match is None:
        raise ExpressionError(f"`{text}` does not match the date format `{pattern}`")
    names = locale_names(locale)
    fields = {key.split("_")[0][1:]: value for key, value in match.groupdict().items() if value is not None}
    year = int(fields.get("y", fields.get("u", "1970")))
    if len(fields.get("y", "")) == 2 and "y" in fields:
        year += 2000
    month_text = fields.get("M", fields.get("L", "1"))
    if month_text.isdigit():
        month = int(month_text)
    else:
        lowered = month_text.lower()
        all_names = [name.lower() for name in names.months] + [name.lower() for name in names.months_short]
        month = all_names.index(lowered) % 12 + 1
    day = int(fields.get("d", "1"))
    if "D" in fields and "d" not in fields:
        start = dt.date(year, 1, 1) + dt.timedelta(days=int(fields["D"]) - 1)
        month, day = start.month, start.day
    hour = int(fields.get("H", fields.get("k", "0"))) % 24
    for twelve_hour in ("h", "K"):
        if twelve_hour in fields:
            hour = int(fields[twelve_hour]) % 12
            if fields.get("a", "AM").upper() == "PM":
                hour += 12
    micro = 0
    if "S" in fields:
        micro = int(fields["S"].ljust(6, "0")[:6])
    elif "n" in fields:
        micro = int(fields["n"]) // 1000
    tzinfo: dt.tzinfo = default
    for zone_letter in ("X", "x", "Z"):
        if zone_letter in fields:
            tzinfo = _offset_zone(fields[zone_letter])
    for zone_letter in ("V", "z"):
        if zone_letter in fields:
            tzinfo = zone(fields[zone_letter], default)
    return dt.datetime(
        year, month, day, hour, int(fields.get("m", "0")), int(fields.get("s", "0")), micro, tzinfo=tzinfo
    )


_ISO_ZONE_SUFFIX = re.compile(r"\[([^\]]+)\]$")
_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_iso(text: str, default: dt.tzinfo) -> dt.datetime:
    """Lenient ISO-8601: dates, local or offset date-times, ``Z``, ``[Region/City]`` suffixes."""
    value = text.strip()
    region = _ISO_ZONE_SUFFIX.search(value)
    if region:
        value = value[: region.start()]
    value = _ISO_FRACTION.sub(r"\1", value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ExpressionError(f"`{text}` is not an ISO-8601 date") from None
    if region:
        target = zone(region.group(1), default)
        parsed = parsed.astimezone(target) if parsed.tzinfo else parsed.replace(tzinfo=target)
    elif parsed.tzinfo is None:
        if len(value) <= 10:  # a date alone is a LocalDate: Kestra takes noon of that day
            parsed = parsed.replace(hour=12)
        parsed = parsed.replace(tzinfo=default)
    return parsed


def to_datetime(value: Any, tzinfo: dt.tzinfo, existing_format: str | None = None) -> dt.datetime:
    """Kestra's conversion of a filter input into a zoned date-time (``AbstractDate.convert``)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tzinfo)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, 12, tzinfo=tzinfo)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, tz=UTC).astimezone(tzinfo)
    if isinstance(value, str):
        if existing_format is not None:
            return parse_with_pattern(value, existing_format, tzinfo)
        return parse_iso(value, tzinfo)
    raise ExpressionError(f"cannot convert a {type(value).__name__} to a date")


# -- arithmetic -----------------------------------------------------------------------------
_TIME_UNITS = {
    "NANOS": dt.timedelta(microseconds=0.001),
    "MICROS": dt.timedelta(microseconds=1),
    "MILLIS": dt.timedelta(milliseconds=1),
    "SECONDS": dt.timedelta(seconds=1),
    "MINUTES": dt.timedelta(minutes=1),
    "HOURS": dt.timedelta(hours=1),
    "HALF_DAYS": dt.timedelta(hours=12),
}
_MONTH_UNITS = {"MONTHS": 1, "YEARS": 12, "DECADES": 120, "CENTURIES": 1200, "MILLENNIA": 12000}
_DAY_UNITS = {"DAYS": 1, "WEEKS": 7}


def resolve_local(
    local: dt.datetime, tzinfo: dt.tzinfo, preferred_offset: dt.timedelta | None
) -> dt.datetime:
    """``ZonedDateTime.ofLocal``: keep the previous offset in overlaps, shift forward in gaps."""
    earlier = local.replace(tzinfo=tzinfo, fold=0)
    later = local.replace(tzinfo=tzinfo, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        round_trip = earlier.astimezone(UTC).astimezone(tzinfo)
        if round_trip.replace(tzinfo=None) != local:  # gap: the wall time does not exist
            return round_trip
        if later.utcoffset() == preferred_offset:
            return later
    return earlier


def add_to_date(value: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``ZonedDateTime.plus(amount, ChronoUnit)``: time units on the instant, date units on the wall clock."""
    unit = unit.upper()
    tzinfo = value.tzinfo or UTC
    if unit in _TIME_UNITS:
        shifted = value.astimezone(UTC) + _TIME_UNITS[unit] * amount
        return shifted.astimezone(tzinfo)
    local = value.replace(tzinfo=None)
    if unit in _DAY_UNITS:
        local = local + dt.timedelta(days=_DAY_UNITS[unit] * amount)
    elif unit in _MONTH_UNITS:
        months = local.year * 12 + local.month - 1 + _MONTH_UNITS[unit] * amount
        year, month = divmod(months, 12)
        month += 1
        last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        local = local.replace(year=year, month=month, day=min(local.day, last_day))
    else:
        raise ExpressionError(f"unknown date unit `{unit}`")
    return resolve_local(local, tzinfo, value.utcoffset())
