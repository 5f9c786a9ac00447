"""String filters (Pebble core + Kestra)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from kestra_stream import user_regex
from kestra_stream.expressions._regex import java_replace_all, java_split
from kestra_stream.expressions._values import to_text
from kestra_stream.expressions.errors import ExpressionError


def _text_or_none(function: Callable[..., Any]) -> Callable[..., Any]:
    """Pebble string filters return null for null and work on the text of other values."""

    def apply(value: Any, *args: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return function(to_text(value), *args, **kwargs)

    apply.__name__ = function.__name__
    apply.__doc__ = function.__doc__
    return apply


def _map_strings(value: Any, transform: Callable[[str], str]) -> Any:
    """Apply ``transform`` to a string, or to every leaf of a map/list (Kestra's replace/escapeChar)."""
    if isinstance(value, Mapping):
        return {key: _map_strings(item, transform) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_map_strings(item, transform) for item in value]
    return transform(to_text(value))


def title(value: str) -> str:
    result: list[str] = []
    capitalize_next = True
    for char in value:
        if char.isspace():
            capitalize_next = True
            result.append(char)
        elif capitalize_next:
            result.append(char.upper())
            capitalize_next = False
        else:
            result.append(char)
    return "".join(result)


def capitalize(value: str) -> str:
    return value[:1].upper() + value[1:]


def abbreviate(value: str, length: int) -> str:
    if len(value) <= length:
        return value
    if length < 3:
        return value[:length]
    return value[: length - 3] + "..."


def replace(value: Any, replace_pairs: Mapping[Any, Any] | None = None, regexp: bool = False) -> Any:
    if value is None:
        return None
    if not isinstance(replace_pairs, Mapping):
        raise ExpressionError("the `replace` filter expects a map of replacements, e.g. replace({'a': 'b'})")

    def transform(text: str) -> str:
        for search, replacement in replace_pairs.items():
            if regexp:
                text = java_replace_all(text, to_text(search), to_text(replacement))
            else:
                text = text.replace(to_text(search), to_text(replacement))
        return text

    return _map_strings(value, transform)


def substring_before(value: str, separator: str) -> str:
    if not separator:
        return ""
    index = value.find(separator)
    return value if index < 0 else value[:index]


def substring_after(value: str, separator: str) -> str:
    if not separator:
        return value
    index = value.find(separator)
    return "" if index < 0 else value[index + len(separator) :]


def substring_before_last(value: str, separator: str) -> str:
    if not separator:
        return value
    index = value.rfind(separator)
    return value if index < 0 else value[:index]


def substring_after_last(value: str, separator: str) -> str:
    if not separator:
        return ""
    index = value.rfind(separator)
    return "" if index < 0 or index == len(value) - len(separator) else value[index + len(separator) :]


def slugify(value: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    text = re.sub(r"\s+", "-", ascii_text.strip())
    text = re.sub(r"[^\w-]", "", text).replace("_", "-")
    text = re.sub(r"-{2,}", "-", text)
    return text.strip("-").lower()


def starts_with(value: str, prefix: str) -> bool:
    return value.startswith(to_text(prefix))


def ends_with(value: str, suffix: str) -> bool:
    return value.endswith(to_text(suffix))


def base64_encode(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def base64_decode(value: str) -> str:
    try:
        return base64.b64decode(value.encode(), validate=False).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise ExpressionError(f"invalid base64 input: {error}") from None


def url_encode(value: str) -> str:
    """``URLEncoder.encode(value, UTF-8)``: form encoding, ``*`` kept, ``~`` escaped."""
    return urllib.parse.quote_plus(value, safe="*").replace("~", "%7E")


def url_decode(value: str) -> str:
    return urllib.parse.unquote_plus(value)


def _digest(algorithm: str) -> Callable[[str], str]:
    def digest(value: str) -> str:
        return hashlib.new(algorithm, value.encode()).hexdigest()

    digest.__name__ = algorithm
    return digest


_ESCAPES = {"single": ("'", "\\'"), "double": ('"', '\\"'), "shell": ("'", "'\\''")}


def escape_char(value: Any, type: str | None = None) -> Any:
    if value is None:
        return None
    if type is None or type.lower() not in _ESCAPES:
        raise ExpressionError("the `escapeChar` filter expects a type: 'single', 'double' or 'shell'")
    original, replacement = _ESCAPES[type.lower()]
    return _map_strings(value, lambda text: text.replace(original, replacement))


def regex_match(value: str, regex: str) -> bool:
    return user_regex.search(regex, value) is not None


def regex_replace(value: str, regex: str, replacement: str) -> str:
    return java_replace_all(value, regex, to_text(replacement))


def regex_extract(value: str, regex: str, group: int = 0) -> str | None:
    match = user_regex.search(regex, value)
    return None if match is None else match.group(int(group))


def split(value: str, delimiter: str, limit: int = 0) -> list[str]:
    return java_split(value, to_text(delimiter), int(limit))


def string(value: Any) -> str | None:
    return None if value is None else to_text(value)


def default(value: Any, default: Any = None) -> Any:
    """Non-lazy ``default`` used by ``{% filter default(…) %}`` blocks."""
    if value is None or (isinstance(value, str | list | tuple | Mapping) and not value):
        return default
    return value


STRING_FILTERS: dict[str, Callable[..., Any]] = {
    "lower": _text_or_none(str.lower),
    "upper": _text_or_none(str.upper),
    "title": _text_or_none(title),
    "capitalize": _text_or_none(capitalize),
    "trim": _text_or_none(str.strip),
    "abbreviate": _text_or_none(abbreviate),
    "replace": replace,
    "substringBefore": _text_or_none(substring_before),
    "substringAfter": _text_or_none(substring_after),
    "substringBeforeLast": _text_or_none(substring_before_last),
    "substringAfterLast": _text_or_none(substring_after_last),
    "slugify": _text_or_none(slugify),
    "startsWith": _text_or_none(starts_with),
    "endsWith": _text_or_none(ends_with),
    "base64encode": _text_or_none(base64_encode),
    "base64decode": _text_or_none(base64_decode),
    "urlencode": _text_or_none(url_encode),
    "urldecode": _text_or_none(url_decode),
    "sha1": _text_or_none(_digest("sha1")),
    "sha256": _text_or_none(_digest("sha256")),
    "sha512": _text_or_none(_digest("sha512")),
    "md5": _text_or_none(_digest("md5")),
    "escapeChar": escape_char,
    "regexMatch": _text_or_none(regex_match),
    "regexReplace": _text_or_none(regex_replace),
    "regexExtract": _text_or_none(regex_extract),
    "split": _text_or_none(split),
    "string": string,
    "escape": _text_or_none(html.escape),
    "raw": lambda value: value,
    "nl2br": _text_or_none(lambda text: text.replace("\n", "<br />")),
    "default": default,
}
