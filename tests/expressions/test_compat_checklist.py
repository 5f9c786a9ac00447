"""kestra-features.md §8.8 "Pebble vs Jinja2 — compatibility layer checklist", one test per row."""

from __future__ import annotations

import pytest

from kestra_stream.expressions import ExpressionEngine, ExpressionError

CHECKLIST = [
    # (row, template, context, expected)
    ("operator precedence ~ vs |", "{{ 'a' ~ x | upper }}", {"x": "b"}, "AB"),
    ("operator precedence ?? vs |", "{{ x ?? 'd' | upper }}", {}, "D"),
    ("undefined handled by is defined", "{{ x is defined }}", {}, "false"),
    ("??", "{{ x ?? y ?? 3 }}", {"y": None}, "3"),
    ("???", "{{ y ??? 3 }}|{{ x ??? 3 }}", {"y": None}, "|3"),
    (
        "contains (list, string, map, all)",
        "{{ [1,2] contains 2 }}{{ 'ab' contains 'b' }}{{ {'k':1} contains 'k' }}{{ [1,2,3] contains [1,3] }}",
        {},
        "truetruetruetrue",
    ),
    ("isIn", "{{ 2 isIn [1, 2] }}", {}, "true"),
    ("elseif", "{% if false %}a{% elseif true %}b{% endif %}", {}, "b"),
    ("null literal and test", "{{ null is null }}{{ x is not null }}", {"x": 1}, "truetrue"),
    ("booleans lower-case", "{{ true }}/{{ 1 > 2 }}", {}, "true/false"),
    ("map/list printed as JSON", "{{ m }}{{ l }}", {"m": {"a": 1}, "l": ["x", None]}, '{"a":1}["x",null]'),
    ("integer division", "{{ 10 / 3 }} {{ 10.0 / 4 }}", {}, "3 2.5"),
    ("loop.index 0-based", "{% for i in ['a', 'b'] %}{{ loop.index }}{% endfor %}", {}, "01"),
    ("range() inclusive", "{{ range(0, 3) }}", {}, "[0,1,2,3]"),
    (".. range operator", "{{ 1..3 }}", {}, "[1,2,3]"),
    ("string interpolation", '{{ "Hello #{name}!" }}', {"name": "Ann"}, "Hello Ann!"),
    ("raw", "{% raw %}{{ x }}{% endraw %}", {}, "{{ x }}"),
    ("verbatim", "{% verbatim %}{% if %}{% endverbatim %}", {}, "{% if %}"),
    ("default: null or empty", "{{ '' | default('d') }}{{ x | default('u') }}", {}, "du"),
    ("capitalize keeps the rest", "{{ 'hELLO' | capitalize }}", {}, "HELLO"),
    ("slice(from, to)", "{{ [1, 2, 3, 4] | slice(1, 3) }}", {}, "[2,3]"),
    ("replace(map)", "{{ 'aXbY' | replace({'X': '1', 'Y': '2'}) }}", {}, "a1b2"),
    ("split(regex, limit)", "{{ 'a1b2c' | split('\\\\d', 2) }}", {}, '["a","b2c"]'),
    ("first/last on strings", "{{ 'abc' | first }}{{ 'abc' | last }}", {}, "ac"),
    ("sort", "{{ ['b', 'a'] | sort }}", {}, '["a","b"]'),
    ("length", "{{ 'abc' | length }}{{ {'a': 1} | length }}", {}, "31"),
    ("title", "{{ 'hello big world' | title }}", {}, "Hello Big World"),
    ("abbreviate", "{{ 'abcdefgh' | abbreviate(6) }}", {}, "abc..."),
    ("join", "{{ [1, 2] | join('-') }}", {}, "1-2"),
    (
        "date with Java patterns",
        "{{ d | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\") }}",
        {"d": "2024-05-06T07:08:09.5Z"},
        "2024-05-06T07:08:09.500Z",
    ),
    ("tests map/empty/json", "{{ {} is map }}{{ [] is empty }}{{ '[1]' is json }}", {}, "truetruetrue"),
    ("named args", "{{ 'x' | indent(amount=2) }}", {}, "x"),
    ("whitespace control", "a {{- 'b' -}} c", {}, "abc"),
    ("no autoescape", "{{ '<b>' }}", {}, "<b>"),
    (
        "macros with _context",
        "{% set v = 1 %}{% macro m(_context) %}{{ _context.v }}{% endmacro %}{{ m(_context) }}",
        {},
        "1",
    ),
    ("Java method calls", "{{ 'abc'.length }}{{ [1, 2].size() }}", {}, "32"),
]


@pytest.mark.parametrize(
    ("row", "template", "context", "expected"), CHECKLIST, ids=[row[0] for row in CHECKLIST]
)
def test_checklist_row(
    engine: ExpressionEngine, row: str, template: str, context: dict[str, object], expected: str
) -> None:
    assert engine.render(template, context) == expected


def test_strict_undefined_row(engine: ExpressionEngine) -> None:
    with pytest.raises(ExpressionError, match="variable `x` is undefined"):
        engine.render("{{ x }}", {})


def test_typed_result_row(engine: ExpressionEngine) -> None:
    assert engine.render_typed("{{ [1, {'a': true}] }}", {}) == [1, {"a": True}]


def test_sandboxing_row(engine: ExpressionEngine) -> None:
    with pytest.raises(ExpressionError):
        engine.render("{{ ''.__class__.__mro__ }}", {})
