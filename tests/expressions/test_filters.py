"""Filter examples of /docs/expressions/filters/* (expressions__filters__*.md) plus edge cases."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from kestra_stream.expressions import ExpressionEngine, ExpressionError

STRINGS = [
    # expressions__filters__strings.md
    ('{{ "LOUD TEXT" | lower }}', "loud text"),
    ('{{ "quiet text" | upper }}', "QUIET TEXT"),
    ('{{ "article title" | title }}', "Article Title"),
    ('{{ "hello world" | capitalize }}', "Hello world"),
    ('{{ "hello World" | capitalize }}', "Hello World"),  # Pebble keeps the rest unchanged
    ('{{ " padded " | trim }}', "padded"),
    ('{{ "this is a long sentence." | abbreviate(7) }}', "this..."),
    (
        "{{ \"I like %this% and %that%.\" | replace({'%this%': foo, '%that%': \"bar\"}) }}",
        "I like foo and bar.",
    ),
    ("{{ 'a1b22' | replace({'\\\\d+': '#'}, regexp=true) }}", "a#b#"),
    ('{{ "a.b.c" | substringBefore(".") }}', "a"),
    ('{{ "a.b.c" | substringAfter(".") }}', "b.c"),
    ('{{ "a.b.c" | substringBeforeLast(".") }}', "a.b"),
    ('{{ "a.b.c" | substringAfterLast(".") }}', "c"),
    ('{{ "abc" | substringAfter("x") }}|{{ "abc" | substringBefore("x") }}', "|abc"),
    ('{{ "Hello World!" | slugify }}', "hello-world"),
    ("{{ '  Quarterly Report: Q1 2025 (FINAL) ' | trim | slugify }}", "quarterly-report-q1-2025-final"),
    ('{{ user.phoneNumber | default("No phone number") }}', "No phone number"),
    ('{{ "" | default("empty") }}', "empty"),
    ('{{ "kestra://file.csv" | startsWith("kestra://") }}', "true"),
    ('{{ "report.csv" | endsWith(".csv") }}', "true"),
    ('{{ "test" | base64encode }}', "dGVzdA=="),
    ('{{ "dGVzdA==" | base64decode }}', "test"),
    ('{{ "The string ü@foo-bar" | urlencode }}', "The+string+%C3%BC%40foo-bar"),
    ('{{ "The+string+%C3%BC%40foo-bar" | urldecode }}', "The string ü@foo-bar"),
    ('{{ "test" | sha1 }}', hashlib.sha1(b"test").hexdigest()),
    ('{{ "test" | sha256 }}', hashlib.sha256(b"test").hexdigest()),
    ('{{ "test" | sha512 }}', hashlib.sha512(b"test").hexdigest()),
    ('{{ "test" | md5 }}', hashlib.md5(b"test").hexdigest()),
    ("{{ 42 | string }}", "42"),
    ("{{ \"Can't be here\" | escapeChar('single') }}", "Can\\'t be here"),
    ("{{ 'say \"hi\"' | escapeChar('double') }}", 'say \\"hi\\"'),
    ("{{ \"it's\" | escapeChar('shell') }}", "it'\\''s"),
    ('{{ "hello world" | regexMatch("w[a-z]+") }}', "true"),
    ('{{ "2024-01-15" | regexReplace("(\\\\d{4})-(\\\\d{2})-(\\\\d{2})", "$3/$2/$1") }}', "15/01/2024"),
    ('{{ "order-12345-done" | regexExtract("\\\\d+") }}', "12345"),
    ('{{ "2024-01-15" | regexExtract("(\\\\d{4})-(\\\\d{2})-(\\\\d{2})", 1) }}', "2024"),
    ('{{ "abc" | regexExtract("\\\\d+") is null }}', "true"),
    ("{{ '<b>' | escape }}{{ '<i>' | raw }}", "&lt;b&gt;<i>"),
    ("{{ 'a\nb' | nl2br }}", "a<br />b"),
]

COLLECTIONS = [
    # expressions__filters__collections.md
    ("{{ -7 | abs }}", "7"),
    ('{{ "12.3" | number | className }}', "java.lang.Float"),
    ("{{ \"9223372036854775807\" | number('BIGDECIMAL') | className }}", "java.math.BigDecimal"),
    ('{{ "12" | number + 1 }}', "13"),
    ('{{ "12" | number | className }}', "java.lang.Integer"),
    ('{{ "9223372036854775807" | number | className }}', "java.lang.Long"),
    ('{{ "3" | number("DOUBLE") }}', "3.0"),
    ('{{ 3.141592653 | numberFormat("#.##") }}', "3.14"),
    ('{{ 1234567.891 | numberFormat("#,##0.00") }}', "1,234,567.89"),
    ('{{ 0.256 | numberformat("0.0%") }}', "25.6%"),
    ('{{ 5 | numberFormat("000") }}', "005"),
    ("{{ ['apple', 'banana', 'cherry'] | first }}", "apple"),
    ("{{ ['apple', 'banana', 'cherry'] | last }}", "cherry"),
    ("{{ 'Kestra' | first }}", "K"),
    ("{{ 'Kestra' | last }}", "a"),
    ("{{ ['apple', 'banana'] | length }}", "2"),
    ("{{ 'Kestra' | length }}", "6"),
    ("{{ {'a': 1} | length }}", "1"),
    ("{{ ['apple', 'banana', 'cherry'] | join(', ') }}", "apple, banana, cherry"),
    ("{{ 'apple,banana,cherry' | split(',') }}", '["apple","banana","cherry"]'),
    ("{{ 'a.b.c' | split('\\\\.') }}", '["a","b","c"]'),
    ("{{ 'apple,banana,cherry,grape' | split(',', 2) }}", '["apple","banana,cherry,grape"]'),
    ("{{ 'a,b,,' | split(',') }}", '["a","b"]'),
    ("{{ 'a,b,,' | split(',', -1) }}", '["a","b","",""]'),
    ("{{ [3, 1, 2] | sort }}", "[1,2,3]"),
    ("{{ [3, 1, 2] | rsort }}", "[3,2,1]"),
    ("{{ [1, 2, 3] | reverse }}", "[3,2,1]"),
    ("{{ 'abc' | reverse }}", "cba"),
    ("{{ [1, 2, 3, 4, 5] | chunk(2) }}", "[[1,2],[3,4],[5]]"),
    ("{{ [1, 2, 2, 3, 1] | distinct }}", "[1,2,3]"),
    ("{{ ['apple', 'banana', 'cherry'] | slice(1, 2) }}", '["banana"]'),
    ("{{ 'Kestra' | slice(1, 3) }}", "es"),
    ("{{ [1, 2] | merge([3, 4]) }}", "[1,2,3,4]"),
    ("{{ {'a': 1} | merge({'b': 2}) }}", '{"a":1,"b":2}'),
    ("{{ [[1, 2], [3, 4], [5]] | flatten }}", "[1,2,3,4,5]"),
    ("{{ {'foo': 'bar', 'baz': 'qux'} | keys }}", '["foo","baz"]'),
    ("{{ {'foo': 'bar', 'baz': 'qux'} | values }}", '["bar","qux"]'),
]

STRUCTURED = [
    # expressions__filters__json.md, how-to-guides__json.md, concepts__pebble.md
    ("{{ [1, 2, 3] | toJson }}", "[1,2,3]"),
    ("{{ true | toJson }}", "true"),
    ('{{ "foo" | toJson }}', '"foo"'),
    ("{{ null | toJson }}", "null"),
    ("{{ {'a': [1, 'x']} | json }}", '{"a":[1,"x"]}'),
    ("{{ [1, 2, 3] | jq('.') }}", "[[1,2,3]]"),
    ("{{ [1, 2, 3] | jq('.[0]') | first }}", "1"),
    ("{{ outputs | jq('.first.value') | first }}", "one"),
    ("{{ outputs.request.body | jq('.title') | first }}", "Success"),
    ("{{ outputs.request.body | jq('.params.example') | first }}", "test"),
    ('{{ inputs.data.value | jq(".[1]") | first }}', "2"),
    ('{{ inputs | jq(".data.value[1]") | first }}', "2"),
    ('{% if inputs.data.value | jq(".[2]") | first == 3 %}true{% endif %}', "true"),
    ('{{ fromJson(\'{"name":"a","value":2}\') | jq(\'.value * 2\') | first }}', "4"),
    ("{{ inputs.payload.score | values | jq('reduce .[] as $num (0; .+$num)') | first }}", "431"),
    ("{{ {'a': 1} | toIon }}", "{a:1}"),
    ("{{ [1, 'x', null, true, 1.5] | toIon }}", '[1,"x",null,true,1.5e0]'),
    # expressions__filters__yaml.md
    ('{{ "foo: bar" | yaml }}', '{"foo":"bar"}'),
    ('{{ {"key": "value"} | yaml }}', "key: value\n"),
    ("{{ 'a\nb' | indent(2) }}", "a\n  b"),
    ("{{ 'a\nb' | nindent(2) }}", "\n  a\n  b"),
    ("{{ {'k1': 'v1', 'k2': 'v2'} | yaml | indent(4) }}", "k1: v1\n    k2: v2\n    "),
    ("{{ 'x' | indent(2, prefix='-') }}", "x"),
]

WORKED_PAYLOAD = [
    # expressions__filters__json.md, "Worked JSON payload example"
    ("Student name: {{ inputs.payload.name }}", "Student name: John Doe"),
    (
        "Score in languages: {{ inputs.payload.score.English + inputs.payload.score.French"
        " + inputs.payload.score.Spanish }}",
        "Score in languages: 252",
    ),
    ("Total subjects: {{ inputs.payload.score | length }}", "Total subjects: 5"),
    ("{{ inputs.payload.address.city }}, {{ inputs.payload.address.country | upper }}", "Paris, FRANCE"),
    ("Started college in: {{ inputs.payload.graduation_years | first }}", "Started college in: 2020"),
    ("Completed college in: {{ inputs.payload.graduation_years | last }}", "Completed college in: 2023"),
]


@pytest.mark.parametrize(("template", "expected"), STRINGS + COLLECTIONS + STRUCTURED + WORKED_PAYLOAD)
def test_documented_filters(
    engine: ExpressionEngine, context: dict[str, Any], template: str, expected: str
) -> None:
    context = {**context, "foo": "foo", "user": {"phoneNumber": None}}
    assert engine.render(template, context) == expected


def test_string_filter_worked_example(engine: ExpressionEngine) -> None:
    """expressions__filters__strings.md, "Worked string filter example"."""
    context = {"inputs": {"title": "  Quarterly Report: Q1 2025 (FINAL)  "}}
    lines = {
        "{{ inputs.title | trim }}": "Quarterly Report: Q1 2025 (FINAL)",
        "{{ inputs.title | trim | lower }}": "quarterly report: q1 2025 (final)",
        "{{ inputs.title | trim | abbreviate(30) }}": "Quarterly Report: Q1 2025 (...",
        "{{ inputs.title | trim | startsWith('Quarterly') }}": "true",
        "{{ inputs.title | trim | substringAfter(':') | trim }}": "Q1 2025 (FINAL)",
    }
    for template, expected in lines.items():
        assert engine.render(template, context) == expected


def test_typed_filter_results(engine: ExpressionEngine) -> None:
    assert engine.evaluate("'foo: [666, 1, 2]' | yaml", {}) == {"foo": [666, 1, 2]}
    assert engine.evaluate("[1, 2, 3] | jq('.[]')", {}) == [1, 2, 3]
    assert engine.evaluate("'12.3' | number", {}) == pytest.approx(12.3)
    assert engine.evaluate("'dGVzdA==' | base64decode", {}) == "test"


@pytest.mark.parametrize(
    "template",
    [
        "{{ 12 | number }}",  # number only parses strings
        "{{ 'x' | unknownFilter }}",
        "{{ 'x' | replace('a', 'b') }}",  # Kestra's replace takes a map
        "{{ 'x' | escapeChar('weird') }}",
        "{{ 'x' | jq('.[') }}",
        "{{ 'x' | indent(-1) }}",
        "{{ 'x' | regexMatch('(') }}",
    ],
)
def test_filter_errors(engine: ExpressionEngine, template: str) -> None:
    with pytest.raises(ExpressionError):
        engine.render(template, {})
