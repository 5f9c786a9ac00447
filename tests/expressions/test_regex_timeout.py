"""User regexes (filters, String methods, STRING input validators) stop at `kestra.regex.timeout`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from kestra_stream import user_regex
from kestra_stream.config import Config
from kestra_stream.expressions import ExpressionEngine, ExpressionError

# Exponential backtracking even for the `regex` package: (a|aa)+ has Fibonacci-many ways to split.
CATASTROPHIC = "(a|aa)+$"
SUBJECT = "a" * 64 + "b"


@pytest.fixture()
def short_timeout() -> Iterator[None]:
    user_regex.set_timeout(0.05)
    yield
    user_regex.set_timeout(user_regex.DEFAULT_TIMEOUT)


@pytest.mark.parametrize(
    "template",
    [
        "{{ s | regexMatch(p) }}",
        "{{ s | regexReplace(p, 'x') }}",
        "{{ s | regexExtract(p) }}",
        "{{ s | replace({(p): 'x'}, regexp=true) }}",
        "{{ s | split(p) }}",
        "{{ s.matches(p) }}",
        "{{ s.replaceAll(p, 'x') }}",
        "{{ s.split(p) }}",
    ],
)
@pytest.mark.usefixtures("short_timeout")
def test_catastrophic_patterns_time_out_in_expressions(engine: ExpressionEngine, template: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        engine.render(template, {"s": SUBJECT, "p": CATASTROPHIC})
    assert raised.value.reason == f"regex `{CATASTROPHIC}` timed out after 0.05s"
    assert str(raised.value).startswith(f"Unable to render `{template}`: regex")


def test_string_methods_use_java_semantics(engine: ExpressionEngine) -> None:
    assert engine.render("{{ 'a1b22'.replaceAll('(\\\\d+)', '<$1>') }}", {}) == "a<1>b<22>"
    assert engine.render("{{ 'abc'.matches('a.c') }} {{ 'abcd'.matches('a.c') }}", {}) == "true false"
    assert engine.render("{{ 'a,b,,'.split(',') }}", {}) == '["a","b"]'


def test_invalid_patterns_are_expression_errors(engine: ExpressionEngine) -> None:
    with pytest.raises(ExpressionError, match="invalid regular expression `\\(`"):
        engine.render("{{ 'x'.matches('(') }}", {})


def test_timeout_comes_from_the_configuration() -> None:
    try:
        user_regex.configure(Config(values={"kestra.regex.timeout": "PT0.5S"}))
        assert user_regex.timeout_seconds() == 0.5
        user_regex.configure(Config())
        assert user_regex.timeout_seconds() == 10
    finally:
        user_regex.set_timeout(timedelta(seconds=10))


def test_the_default_timeout_lets_ordinary_patterns_through() -> None:
    assert user_regex.timeout_seconds() == 10
    assert user_regex.fullmatch(r"^student(\d+)?$", "student12") is not None
