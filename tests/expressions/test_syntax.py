"""Examples of /docs/expressions/syntax (expressions__syntax.md) and the null-values guide."""

from __future__ import annotations

from typing import Any

import pytest

from kestra_stream.expressions import ExpressionEngine, ExpressionError

SYNTAX = [
    # (template, expected) — expressions__syntax.md
    ("{{ flow.id }}", "hello"),
    ('{% if inputs.name == "Kestra" %}Europe{% endif %}', "Europe"),
    ("{{ outputs['second-task'].value }}", "two"),
    ("{{ users[0].name }}", "Ann"),
    ('{# This is a comment #}{{ "Visible content" }}', "Visible content"),
    ("{{ 100 + 10l * 2.5 }}", "125.0"),
    ('{{ ["apple", "banana"] }}', '["apple","banana"]'),
    ('{{ {"apple":"red", "banana":"yellow"} }}', '{"apple":"red","banana":"yellow"}'),
    ("{{ true }} {{ false }} [{{ null }}]", "true false []"),
    ('{{ "apple" ~ "pear" ~ "banana" }}', "applepearbanana"),
    ("{{ 2 + 2 / (10 % 3) * (8 - 1) }}", "16"),
    ('{% if ["apple", "pear", "banana"] contains "apple" %}yes{% endif %}', "yes"),
    ('{% if {"apple": "red", "banana": "yellow"} contains "banana" %}yes{% endif %}', "yes"),
    ('{% if ["apple", "pear", "banana", "peach"] contains ["apple", "peach"] %}yes{% endif %}', "yes"),
    ("{{ 'SUCCESS' isIn ['SUCCESS', 'KILLED', 'CANCELLED'] }}", "true"),
    ("{{ 'FAILED' isIn ['SUCCESS', 'KILLED', 'CANCELLED'] }}", "false"),
    ('{{ foo ?? bar ?? "default" }}', "default"),
    ('{{ foo ??? "default" }}', "default"),
    ('{% set header = "Welcome Page" %}{{ header }}', "Welcome Page"),
    ("{% if 2 is even and 3 is odd %}ok{% endif %}", "ok"),
    ("{% if (3 is not even) and (2 is odd or 3 is even) %}ok{% else %}no{% endif %}", "no"),
    ("{% filter upper %}hello{% endfilter %}", "HELLO"),
    ("{% filter lower | title %}hello world{% endfilter %}", "Hello World"),
    ("{% raw %}{{ user.name }}{% endraw %}", "{{ user.name }}"),
    ("{% if missing is not defined %}Variable is not defined.{% endif %}", "Variable is not defined."),
    ("{% if '{\"test\": 1}' is json %}json{% endif %}", "json"),
    ('{% if {"apple": "red", "banana": "yellow"} is map %}map{% endif %}', "map"),
    (
        "{% for user in users %}{{ loop.index }}: {{ user.name }}{% if loop.last %} (last){% endif %};{% endfor %}",  # noqa: E501 (documented example kept on one line)
        "0: Ann;1: Bob (last);",
    ),
    (
        "{% for user in users %}{{ user.name }} lives in {{ user.city }}. {% else %}No users found.{% endfor %}",  # noqa: E501 (documented example kept on one line)
        "Ann lives in Paris. Bob lives in Oslo. ",
    ),
    ("{% for user in [] %}x{% else %}No users found.{% endfor %}", "No users found."),
    ("{% for entry in labels %}{{ entry.key }}: {{ entry.value }}{% endfor %}", "team: data"),
    (
        '{% macro input(type="text", name, value="") %}type: "{{ type }}", name: "{{ name }}", '
        'value: "{{ value }}"{% endmacro %}{{ input(name="country") }}',
        'type: "text", name: "country", value: ""',
    ),
    (
        '{% set foo = "bar" %}{% macro display(_context) %}{{ _context.foo }}{% endmacro %}{{ display(_context) }}',  # noqa: E501 (documented example kept on one line)
        "bar",
    ),
    ('{% block "header" %}Introduction{% endblock %}|{{ block("header") }}', "Introduction|Introduction"),
    ("{% if users is empty %}none{% elseif users.length == 1 %}one{% else %}many{% endif %}", "many"),
    ("{% if users is iterable %}{% for user in users %}{{ user.name }}{% endfor %}{% endif %}", "AnnBob"),
]

NULL_VALUES = [
    # how-to-guides__null-values.md
    ("{{ inputs.optional_input ?? 'mydefault' }}", "mydefault"),
    ("{{ inputs.undefined_input ?? 'mydefault' }}", "mydefault"),
    ("{{ inputs.undefined_input ??? 'mydefault' }}", "mydefault"),
    ("{{ inputs.optional_input ??? 'mydefault' }}", ""),
    ("{{ (inputs.optional_input ??? 'mydefault') ?? 'other_default' }}", "other_default"),
    ("{{ trigger.body.dataField ?? 'data' }}", "data"),
    ("{{ null ?? 'x' }}", "x"),
]

CONTEXT_DOC = [
    # expressions__context.md
    (
        "First: {{ outputs.first.value }}\nSecond: {{ outputs['second-task'].value }}",
        "First: one\nSecond: two",
    ),
    ("{{ flow.namespace }}", "company.team"),
    ("{{ execution.startDate }}", "2024-11-13T14:38:38.355668Z"),
    ('{{ execution.startDate | date("yyyy-MM-dd HH:mm:ss.SSSSSS") }}', "2024-11-13 14:38:38.355668"),
    ("{{ outputs.output_values.values.key }}", "v"),
]


@pytest.mark.parametrize(("template", "expected"), SYNTAX + NULL_VALUES + CONTEXT_DOC)
def test_documented_examples(
    engine: ExpressionEngine, context: dict[str, Any], template: str, expected: str
) -> None:
    assert engine.render(template, context) == expected


def test_raise_when_every_operand_is_undefined(engine: ExpressionEngine, context: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError, match="raise"):
        engine.render("{{ foo ?? bar ?? raise }}", context)


PRECEDENCE = [
    ('{{ "a" ~ "b" | upper }}', "AB"),  # ~ (110) binds tighter than | (100)
    ("{{ null ?? 'x' | upper }}", "X"),  # ?? (120) binds tighter than |
    ("{{ [1, 2, 3] | length > 2 }}", "true"),  # | tighter than comparisons
    ("{{ 1 + 2 | abs }}", "3"),
    ("{{ -7 | abs }}", "7"),  # unary minus (500) before the filter
    ("{{ 1 + 2 * 3 }}", "7"),
    ("{{ (1 + 2) * 3 }}", "9"),
    ("{{ 10 - 2 - 3 }}", "5"),  # left associative
    ("{{ 1..3 | length }}", "3"),  # .. (120) binds tighter than | (100)
    ("{{ true or false and false }}", "true"),  # and (15) tighter than or (10)
    ("{{ not true == false }}", "true"),  # (not true) == false
    ("{{ 1 == 1 and 2 > 1 }}", "true"),
    ("{{ [1, 2] contains 1 and true }}", "true"),
    ("{{ 1 > 0 ? 'yes' : 'no' }}", "yes"),  # ternary is the loosest
    ("{{ null ?? false ? 'a' : 'b' }}", "b"),
    ("{{ 1 ~ 2 + 3 }}", "123"),  # ("1" ~ "2") + 3: ~ (110) binds tighter than + (40)
    ("{{ 'a' ~ 1..3 }}", "a[1,2,3]"),
    ("{{ 3 is odd ? 'odd' : 'even' }}", "odd"),
]


@pytest.mark.parametrize(("template", "expected"), PRECEDENCE)
def test_operator_precedence(engine: ExpressionEngine, template: str, expected: str) -> None:
    assert engine.render(template, {}) == expected


OPERATORS = [
    ("{{ 10 / 3 }}", "3"),
    ("{{ -10 / 3 }}", "-3"),
    ("{{ 10 / 4.0 }}", "2.5"),
    ("{{ -7 % 3 }}", "-1"),
    ("{{ 7 % 3 }}", "1"),
    ("{{ 1 == 1.0 }}", "true"),
    ("{{ 'a' != 'b' }}", "true"),
    ("{{ 'a' equals 'a' }}", "true"),
    ("{{ 3 >= 3 }} {{ 2 < 1 }} {{ 2 <= 2 }}", "true false true"),
    ("{{ true == 1 }}", "false"),
    ("{{ 'hello' contains 'ell' }}", "true"),
    ("{{ 1..4 }}", "[1,2,3,4]"),
    ("{{ 'x' notIn ['a'] }}", "true"),
    ("{{ not false }}", "true"),
    ('{{ "Hello #{1 + 2} times" }}', "Hello 3 times"),
    ("{{ 'a' ~ null ~ 'b' }}", "ab"),
    ("{{ 3.65 }} {{ 1.0 }} {{ 10000000000.0 }}", "3.65 1.0 1.0E10"),
    # numeric strings in arithmetic, as Kestra 1.3.31 (tests/compat 75); `+` concatenates
    ("{{ '2' * '2' }} {{ '2' - 1 }} {{ '7' / 2 }} {{ '7' % '4' }}", "4 1 3 3"),
    ("{{ '1.5' * 2 }} {{ '2' + 1 }}", "3.0 21"),
]


@pytest.mark.parametrize(("template", "expected"), OPERATORS)
def test_operators(engine: ExpressionEngine, template: str, expected: str) -> None:
    assert engine.render(template, {}) == expected


WHITESPACE = [
    ("a  {{- 'b' -}}  c", "abc"),
    ("a\n{%- if true -%}\nb\n{%- endif -%}\n c", "abc"),
    ("a {#- comment -#} b", "ab"),
    ("line1\n{{ 'x' }}\nline2\n", "line1\nx\nline2\n"),  # no newline trimming, trailing newline kept
    ("a\r\nb{{ 'c' }}\r\n", "a\r\nbc\r\n"),  # text verbatim
    ("{{ {'a': {'b': 1}} }}", '{"a":{"b":1}}'),  # }} inside a map literal
    ("{{ '}}' }}", "}}"),  # delimiters inside strings
    ("{ {{ 'x' }} }", "{ x }"),
    ("a{ {%- if true %}b{% endif %}", "a{b"),  # text ending with { before a tag
]


@pytest.mark.parametrize(("template", "expected"), WHITESPACE)
def test_text_and_whitespace_control(engine: ExpressionEngine, template: str, expected: str) -> None:
    assert engine.render(template, {}) == expected


def test_elseif_and_elif(engine: ExpressionEngine) -> None:
    template = "{% if x == 1 %}one{% elseif x == 2 %}two{% elif x == 3 %}three{% else %}other{% endif %}"
    assert [engine.render(template, {"x": value}) for value in (1, 2, 3, 4)] == [
        "one",
        "two",
        "three",
        "other",
    ]


def test_loop_variables(engine: ExpressionEngine) -> None:
    template = "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.length }}{{ loop.first }}{{ loop.revindex }};{% endfor %}"  # noqa: E501 (documented example kept on one line)
    assert engine.render(template, {}) == "03true2;13false1;23false0;"


def test_set_inside_loop_and_nested_loops(engine: ExpressionEngine) -> None:
    template = "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ a * b }},{% endfor %}{% endfor %}"
    assert engine.render(template, {}) == "3,4,6,8,"
