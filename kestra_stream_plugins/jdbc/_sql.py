"""Reading SQL text: splitting a script into statements and binding ``:name`` parameters.

One scanner does both, so semicolons and colons inside string literals, quoted identifiers,
comments, PostgreSQL dollar-quoted bodies and ``::`` casts are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ParameterError(ValueError):
    pass


def _tokens(sql: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` pieces: ``code``, ``quoted`` (literals, comments...), ``;`` and ``param``."""
    i, n, start = 0, len(sql), 0
    while i < n:
        char = sql[i]
        end = -1
        if char in "'\"`":
            end = i + 1
            while end < n:
                if sql[end] == char:
                    if end + 1 < n and sql[end + 1] == char:  # doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            end = min(end + 1, n)
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            end = n if newline < 0 else newline
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end = n if close < 0 else close + 2
        elif char == "$":
            tag = _DOLLAR_TAG.match(sql, i)
            if tag and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                close = sql.find(tag.group(0), tag.end())
                end = n if close < 0 else close + len(tag.group(0))
        elif char == ";":
            if start < i:
                yield "code", sql[start:i]
            yield ";", char
            i += 1
            start = i
            continue
        elif char == ":" and (i == 0 or sql[i - 1] != ":") and not sql.startswith("::", i):
            name = _NAME.match(sql, i + 1)
            if name:
                if start < i:
                    yield "code", sql[start:i]
                yield "param", name.group(0)
                i = start = name.end()
                continue
        if end < 0:
            i += 1
            continue
        if start < i:
            yield "code", sql[start:i]
        yield "quoted", sql[i:end]
        i = start = end
    if start < n:
        yield "code", sql[start:n]


def split_statements(sql: str) -> list[str]:
    """The statements of a script, without their terminating semicolons; blank ones dropped."""
    statements: list[str] = []
    current: list[str] = []
    for kind, text in _tokens(sql):
        if kind == ";":
            statements.append("".join(current))
            current = []
        elif kind == "param":
            current.append(":" + text)
        else:
            current.append(text)
    statements.append("".join(current))
    return [statement.strip() for statement in statements if _has_code(statement)]


def _has_code(statement: str) -> bool:
    return any(kind in ("code", "param") and text.strip() for kind, text in _tokens(statement)) or any(
        kind == "quoted" and not text.startswith(("--", "/*")) for kind, text in _tokens(statement)
    )


def bind_named(
    sql: str,
    parameters: Mapping[str, Any],
    placeholder: Callable[[int], str],
    *,
    escape_percent: bool = False,
) -> tuple[str, list[Any]]:
    """Replace each ``:name`` by ``placeholder(index)``; the values in order.

    ``escape_percent`` doubles every ``%`` (drivers using ``%s`` placeholders read the whole text).
    """
    pieces: list[str] = []
    values: list[Any] = []
    for kind, text in _tokens(sql):
        if kind == "param":
            if text not in parameters:
                raise ParameterError(
                    f"the SQL uses `:{text}` but `parameters` has no `{text}` "
                    f"(given: {', '.join(sorted(parameters)) or 'none'})"
                )
            pieces.append(placeholder(len(values)))
            values.append(parameters[text])
        else:
            pieces.append(text.replace("%", "%%") if escape_percent else text)
    return "".join(pieces), values
