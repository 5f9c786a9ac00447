"""Java regex semantics (``Matcher.replaceAll`` strings, ``String.split``) on user regexes.

Matching itself is :mod:`kestra_stream.user_regex` (cached, with ``kestra.regex.timeout``); its
:class:`~kestra_stream.user_regex.RegexError` becomes an expression error in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kestra_stream import user_regex
from kestra_stream.expressions.errors import ExpressionError
from kestra_stream.user_regex import Match


def java_replacement(replacement: str) -> Callable[[Match], str]:
    """Build a replacement function honouring Java's ``Matcher.replaceAll`` syntax."""
    parts: list[str | int] = []
    literal: list[str] = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 < len(replacement):
            literal.append(replacement[index + 1])
            index += 2
        elif char == "$":
            named = re.match(r"\$\{(\w+)\}", replacement[index:])
            numbered = re.match(r"\$(\d)", replacement[index:])
            if named is None and numbered is None:
                raise ExpressionError(f"illegal group reference in `{replacement}`")
            parts.append("".join(literal))
            literal = []
            if named is not None:
                parts.append(named.group(1))
                index += named.end()
            elif numbered is not None:
                parts.append(int(numbered.group(1)))
                index += numbered.end()
        else:
            literal.append(char)
            index += 1
    parts.append("".join(literal))

    def replace(match: Match) -> str:
        output: list[str] = []
        for position, part in enumerate(parts):
            if position % 2 == 0:
                output.append(part)  # type: ignore[arg-type]
            else:
                output.append(match.group(part) or "")
        return "".join(output)

    return replace


def java_split(text: str, pattern: str, limit: int = 0) -> list[str]:
    """``String.split(regex, limit)``: no leading empty piece for a zero-width first match;
    ``limit > 0`` caps the size, ``0`` drops trailing empty pieces, ``< 0`` keeps them."""
    pieces: list[str] = []
    start = 0
    for match in user_regex.find_all(pattern, text):
        if limit > 0 and len(pieces) == limit - 1:
            break
        if match.end() == 0:
            continue
        if match.start() == match.end() and match.start() >= len(text):
            break
        pieces.append(text[start : match.start()])
        start = match.end()
    if not pieces:
        return [text]
    pieces.append(text[start:])
    if limit == 0:
        while pieces and pieces[-1] == "":
            pieces.pop()
    return pieces


def java_replace_all(text: str, pattern: str, replacement: str) -> str:
    """``String.replaceAll(regex, replacement)``."""
    return user_regex.sub(pattern, java_replacement(replacement), text)
