"""Functions (expressions__functions__*.md), services, typed/recursive rendering, sandbox, errors."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestra_stream.expressions import ExpressionEngine, ExpressionError, ExpressionServices, is_truthy


class MemoryKV:
    def __init__(self, data: dict[tuple[str, str], Any]) -> None:
        self.data = data

    def get(self, namespace: str, key: str) -> Any | None:
        return self.data.get((namespace, key))

    def set(
        self, namespace: str, key: str, value: Any, *, ttl: str | None = None, overwrite: bool = True
    ) -> None:
        self.data[(namespace, key)] = value

    def delete(self, namespace: str, key: str) -> bool:
        return self.data.pop((namespace, key), None) is not None

    def keys(self, namespace: str, prefix: str | None = None) -> list[str]:
        return [key for ns, key in self.data if ns == namespace]


FUNCTIONS = [
    ("{{ max(5, 10, 15) }}", "15"),
    ("{{ min(5, 10, 15) }}", "5"),
    ("{{ range(0, 3) }}", "[0,1,2,3]"),
    ("{{ range(0, 6, 2) }}", "[0,2,4,6]"),
    ("{{ range(3, 0, -1) }}", "[3,2,1,0]"),
    ("{{ fromJson('[1, 2, 3]')[0] }}", "1"),
    ('{{ fromJson(\'{"name": "x"}\').name }}', "x"),
    ("{{ json('{\"a\": 1}').a }}", "1"),
    ("{{ yaml('foo: [666, 1, 2]').foo[0] }}", "666"),
    ("{{ fromIon('{a:1, b:\"x\", c:[1.5e0, null, true]}').c }}", "[1.5,null,true]"),
    ("{{ fromIon('$ion_1_0 {name: \\'hello world\\'}').name }}", "hello world"),
    ("{{ currentEachOutput(outputs.make_data).values.data }}", "d2"),
    ("{{ parentOutput() }}", '{"p":1}'),
    ("{{ iterationOutput(outputs.loop, 0) }}", "first"),
]


@pytest.mark.parametrize(("template", "expected"), FUNCTIONS)
def test_documented_functions(engine: ExpressionEngine, template: str, expected: str) -> None:
    context = {
        "taskrun": {"value": "b", "iteration": 1},
        "parents": [{"taskrun": {"value": None}, "outputs": {"p": 1}}],
        "outputs": {
            "make_data": {"a": {"values": {"data": "d1"}}, "b": {"values": {"data": "d2"}}},
            "loop": {"x": "first", "y": "second"},
        },
    }
    assert engine.render(template, context) == expected


def test_identifiers_and_random(engine: ExpressionEngine) -> None:
    assert re.fullmatch(r"[0-9A-Za-z]{22}", engine.render("{{ uuid() }}", {}))
    assert re.fullmatch(r"[0-9A-Za-z]{22}", engine.render("{{ id() }}", {}))
    assert re.fullmatch(r"[0-9A-Za-z]{27}", engine.render("{{ ksuid() }}", {}))
    assert len(engine.render("{{ nanoId() }}", {})) == 21
    assert len(engine.render("{{ nanoId(length=10) }}", {})) == 10
    assert all(1 <= int(engine.render("{{ randomInt(1, 10) }}", {})) < 10 for _ in range(50))
    assert 0 < engine.evaluate("randomPort()", {}) < 65536


def test_secret_reads_base64_environment_variables(
    engine: ExpressionEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_MY_SECRET", base64.b64encode(b"s3cr3t").decode())
    masked: list[str] = []
    services = ExpressionServices(on_secret=masked.append)
    assert engine.render("{{ secret('MY_SECRET') }}", {}, services=services) == "s3cr3t"
    assert masked == ["s3cr3t"]
    with pytest.raises(ExpressionError, match="Cannot find secret for key 'MISSING'"):
        engine.render("{{ secret('MISSING') }}", {})


def test_kv_and_file_services(engine: ExpressionEngine) -> None:
    store = MemoryKV({("company.team", "MY_KEY"): {"a": 1}, ("other.namespace", "MY_KEY"): "other"})
    services = ExpressionServices(
        kv=store,
        read=lambda path, namespace: f"content of {path} in {namespace}",
        file_uri=lambda path, namespace: f"kestra:///{namespace}/_files/{path}",
        file_size=lambda uri: 42,
        file_exists=lambda uri: True,
        is_file_empty=lambda uri: False,
        error_logs=lambda: [{"message": "boom"}],
        tasks_with_state=lambda state: [{"taskId": "t1", "state": state}],
        encrypt=lambda key, value: value[::-1],
        decrypt=lambda key, value: value[::-1],
        credential=lambda name: f"token-{name}",
        http=lambda uri, **options: {"uri": uri, **options},
    )
    context = {"flow": {"namespace": "company.team"}, "outputs": {"dl": {"uri": "kestra:///f.csv"}}}
    expectations = {
        "{{ kv('MY_KEY').a }}": "1",
        "{{ kv('MY_KEY', 'other.namespace') }}": "other",
        "{{ kv('OPTIONAL_KEY', 'company.team', false) is null }}": "true",
        "{{ kv('OPTIONAL_KEY', errorOnMissing=false) ?? 'none' }}": "none",
        "{{ read('subdir/file.txt') }}": "content of subdir/file.txt in company.team",
        "{{ fileURI('my_file.txt') }}": "kestra:///company.team/_files/my_file.txt",
        "{{ fileSize(outputs.dl.uri) }} {{ fileExists(outputs.dl.uri) }} {{ isFileEmpty(outputs.dl.uri) }}": "42 true false",  # noqa: E501 (documented example kept on one line)
        "{{ errorLogs()[0].message }}": "boom",
        "{{ tasksWithState('failed')[0]['taskId'] }}": "t1",
        "{{ decrypt('K', encrypt('K', 'abc')) }}": "abc",
        "{{ credential('my_oauth') }}": "token-my_oauth",
        "{{ http(uri = 'https://x/y', method='POST').method }}": "POST",
    }
    for template, expected in expectations.items():
        assert engine.render(template, context, services=services) == expected, template
    with pytest.raises(ExpressionError, match="The key 'NOPE' does not exist"):
        engine.render("{{ kv('NOPE') }}", context, services=services)


@pytest.mark.parametrize("function", ["kv('K')", "read('f')", "fileURI('f')", "errorLogs()", "http(uri='x')"])
def test_missing_service_is_a_clear_error(engine: ExpressionEngine, function: str) -> None:
    with pytest.raises(ExpressionError, match="not available here"):
        engine.render("{{ " + function + " }}", {"flow": {"namespace": "n"}})


# -- rendering rules (kestra-features.md §8.1) -------------------------------------------------
def test_typed_rendering_keeps_native_values(engine: ExpressionEngine) -> None:
    context = {"outputs": {"x": {"vars": {"partitions": [1, 2]}, "n": 3, "flag": True, "nothing": None}}}
    assert engine.render_typed("{{ outputs.x.vars.partitions }}", context) == [1, 2]
    assert engine.render_typed("  {{ outputs.x.n }}\n", context) == 3
    assert engine.render_typed("{{ outputs.x.flag }}", context) is True
    assert engine.render_typed("{{ outputs.x.nothing }}", context) is None
    assert engine.render_typed("n={{ outputs.x.n }}", context) == "n=3"
    assert engine.render_typed(
        {"{{ 'k' ~ 1 }}": ["{{ outputs.x.n }}", "a{{ outputs.x.n }}", 5, None]}, context
    ) == {"k1": [3, "a3", 5, None]}
    assert engine.render_typed(42, context) == 42


def test_rendering_is_not_recursive(engine: ExpressionEngine) -> None:
    context = {"vars": {"template": "{{ 1 + 1 }}", "nested": "{{ vars.template }}"}}
    assert engine.render("{{ vars.template }}", context) == "{{ 1 + 1 }}"
    assert engine.render("{{ render(vars.template) }}", context) == "2"
    assert engine.render("{{ render(vars.nested) }}", context) == "2"
    assert engine.render("{{ renderOnce(vars.nested) }}", context) == "{{ 1 + 1 }}"
    assert engine.render("{{ render(vars.nested, recursive=false) }}", context) == "{{ 1 + 1 }}"
    assert engine.render("{{ render(42) }}", context) == "42"
    recursive = ExpressionEngine(recursive_rendering=True)
    assert recursive.render("{{ vars.nested }}", context) == "2"


def test_render_sees_local_variables_and_reports_loops(engine: ExpressionEngine) -> None:
    assert engine.render("{% set x = 'hi' %}{{ render('{{ x }}') }}", {}) == "hi"
    with pytest.raises(ExpressionError, match="Too many rendering attempts"):
        engine.render("{{ render(vars.loop) }}", {"vars": {"loop": "{{ render(vars.loop) }}"}})


def test_documented_render_with_coalesce(engine: ExpressionEngine) -> None:
    """expressions__functions__rendering.md: render("{{ trigger.date ?? execution.startDate | date(...) }}")."""  # noqa: E501 (documented example kept on one line)
    context = {"execution": {"startDate": "2024-11-13T14:38:38.355668Z"}}
    template = "{{ render(\"{{ trigger.date ?? execution.startDate | date('yyyy-MM-dd') }}\") }}"
    assert engine.render(template, context) == "2024-11-13"


def test_print_context(engine: ExpressionEngine) -> None:
    assert engine.evaluate("printContext()", {"flow": {"id": "f"}}) == {"flow": {"id": "f"}}
    assert engine.render("{{ fetchContext() }}", {"a": 1}) == '{"a":1}'


@pytest.mark.parametrize(
    ("rendered", "truthy"),
    [
        ("", False),
        ("false", False),
        ("0", False),
        ("-0", False),
        (" 0 ", False),
        ("true", True),
        ("1", True),
        ("no", True),
        ("False", True),
        # typed renders are printed first
        (None, False),
        (False, False),
        (0, False),
        (0.0, True),
        ([], True),
    ],
)
def test_is_truthy(engine: ExpressionEngine, rendered: object, truthy: bool) -> None:
    assert is_truthy(rendered) is truthy
    assert engine.is_truthy(rendered) is truthy


# -- strict undefined and errors ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ x }}", "Unable to render `{{ x }}`: variable `x` is undefined"),
        ("{{ inputs.missing }}", "key `missing` is undefined"),
        ("{{ x.y }}", "variable `x` is undefined"),
        ("{{ users[5] }}", "out of range"),
        ("{% if x %}a{% endif %}", "variable `x` is undefined"),
        ("{% for i in x %}{% endfor %}", "variable `x` is undefined"),
        ("{{ x | upper }}", "variable `x` is undefined"),
        ("{{ x + 1 }}", "variable `x` is undefined"),
        ("{{ x is null }}", "variable `x` is undefined"),
        ("{{ 1 +  }}", "syntax error"),
        ("{{ 'unterminated }}", "unterminated string"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{% include 'x' %}", "not supported"),
        ("{% unknown %}", "unknown tag"),
        ("{{ nope() }}", "`nope` is undefined"),
        ("{{ 'a' | nope }}", "unknown filter `nope`"),
        ("{{ 1 is nope }}", "unknown test `nope`"),
    ],
)
def test_errors(engine: ExpressionEngine, template: str, message: str) -> None:
    context = {"inputs": {}, "users": []}
    with pytest.raises(ExpressionError, match=re.escape(message)):
        engine.render(template, context)


def test_undefined_is_handled_by_defined_coalesce_and_default(engine: ExpressionEngine) -> None:
    context = {"a": {"b": None}}
    assert (
        engine.render("{{ x.y.z is defined }}|{{ a.b is defined }}|{{ a.c is not defined }}", context)
        == "false|true|true"
    )
    assert engine.render("{{ x.y.z ?? 'd' }}|{{ a.b ?? 'd' }}|{{ a.b ??? 'd' }}", context) == "d|d|"
    assert engine.render("{{ x.y | default('d') }}|{{ a.b | default('d') }}", context) == "d|d"
    assert engine.render("{{ 'v' ?? secret('NEVER_EVALUATED') }}", context) == "v"  # right side is lazy


# -- sandbox --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ self.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ range.__globals__ }}",
        "{{ now.__globals__ }}",
        "{{ [].append(1) }}",
        "{{ {}.update({'a': 1}) }}",
        "{{ 'x'.format(1) }}",
        "{{ loop.__class__ }}",
        "{% for x in [1] %}{{ loop.cycle('a') }}{% endfor %}",
        "{{ ''['__class__'] }}",
        "{{ config }}",
        "{{ _context.__class__ }}",
    ],
)
def test_sandbox_escapes_fail(engine: ExpressionEngine, template: str) -> None:
    with pytest.raises(ExpressionError):
        engine.render(template, {})


def test_reserved_intrinsic_names_are_rejected(engine: ExpressionEngine) -> None:
    with pytest.raises(ExpressionError, match="reserved"):
        engine.render("{{ __k_truth }}", {})
    with pytest.raises(ExpressionError, match="reserved"):
        engine.render("{{ 1 | __k_coalesce }}", {})


def test_java_style_properties_and_methods(engine: ExpressionEngine) -> None:
    context = {"users": [1, 2], "s": "abc", "m": {"values": "key wins", "k": 1}}
    assert (
        engine.render("{{ users.length }} {{ users.size() }} {{ s.length }} {{ s.toUpperCase() }}", context)
        == "2 2 3 ABC"
    )
    assert (
        engine.render("{{ m.values }} {{ m.containsKey('k') }} {{ s.empty }}", context)
        == "key wins true false"
    )


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=200)
@given(st.text().filter(lambda text: "{{" not in text and "{%" not in text and "{#" not in text))
def test_text_without_delimiters_renders_to_itself(text: str) -> None:
    assert ExpressionEngine().render(text, {}) == text


@settings(max_examples=200)
@given(st.text())
def test_string_literals_round_trip(text: str) -> None:
    engine = ExpressionEngine()
    assert engine.evaluate("value", {"value": text}) == text
    assert engine.render("{{ value }}", {"value": text}) == text


@settings(max_examples=100)
@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6).filter(lambda n: n != 0))
def test_integer_division_truncates_toward_zero_like_java(dividend: int, divisor: int) -> None:
    engine = ExpressionEngine()
    quotient = engine.evaluate("a / b", {"a": dividend, "b": divisor})
    assert quotient == int(dividend / divisor)
    assert engine.evaluate("a % b", {"a": dividend, "b": divisor}) == dividend - quotient * divisor


def test_render_function_can_call_functions(engine: ExpressionEngine) -> None:
    assert engine.render('{{ render("{{ max(1, 2) ~ range(1, 2) }}") }}', {}) == "2[1,2]"
