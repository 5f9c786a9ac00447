"""The one Ion reader/writer: Kestra's exact text, typed round trips, streaming in chunks."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestra_stream import ion
from kestra_stream.ion import _reader, _writer

# Printed by Kestra 1.3.31 (`../shared/kestra-reference/run.sh`) for `fromIon(TEXT) | toIon` and a
# Pebble map `| toIon`: the writer must give back these bytes.
KESTRA_TEXTS = [
    "{a:1,b:1.5e0,c:\"x\\\"y\\né\\x01\",d:[1,2],'null':false,e:null,'f my':true}",
    '{a:1,b:1.5,c:2021-01-01,d:2021-01-01T10:00:00.000Z,e:LocalDateTime::"2021-01-01T10:00:00",f:1.5e0,g:10.}',
    '{x:2021-01-01T10:00:00.123Z,y:ZonedDateTime::"2021-01-01T10:00:00+02:00",z:1d2,z2:1d-7,z3:100.00,'
    't:LocalTime::"10:00:00",e:1.0e20}',
]


@pytest.mark.parametrize("text", KESTRA_TEXTS)
def test_kestra_text_reads_and_writes_back_byte_for_byte(text: str) -> None:
    assert ion.dumps(ion.loads(text)) == text


def test_types_as_kestra_maps_them() -> None:
    value = ion.loads(KESTRA_TEXTS[1] + " " + KESTRA_TEXTS[2])
    first, second = value
    assert first["b"] == Decimal("1.5") and isinstance(first["f"], float)
    assert first["c"] == dt.date(2021, 1, 1)
    assert first["d"] == dt.datetime(2021, 1, 1, 10, tzinfo=dt.UTC)
    assert first["e"] == dt.datetime(2021, 1, 1, 10) and first["e"].tzinfo is None
    assert first["g"] == Decimal("10")
    assert second["y"].utcoffset() == dt.timedelta(hours=2)
    assert second["t"] == dt.time(10)
    assert second["z2"] == Decimal("1E-7")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e20, "1.0e20"),
        (1.5, "1.5e0"),
        (123456.0, "123456.0e0"),
        (1e7, "1.0e7"),
        (0.001, "0.001e0"),
        (0.0001, "1.0e-4"),
        (-2.5e-10, "-2.5e-10"),
        (math.inf, "+inf"),
        (Decimal("0.0000001"), "1d-7"),
        (Decimal("1.23E-8"), "123d-10"),
        (Decimal("-0.5"), "-0.5"),
        (Decimal("12"), "12."),
        (dt.datetime(2021, 1, 1, 10, 0, 0, 500000), 'LocalDateTime::"2021-01-01T10:00:00.5"'),
        (
            dt.time(1, 2, 3, 4000, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            'OffsetTime::"01:02:03.004-05:00"',
        ),
        (b"hello", "{{aGVsbG8=}}"),
        ({"$1": 1, "a-b": "it's"}, "{'$1':1,'a-b':\"it's\"}"),
        ("\x00\x0b\t", '"\\0\\v\\t"'),
    ],
)
def test_scalar_text(value: Any, text: str) -> None:
    assert ion.dumps(value) == text


def test_full_text_format() -> None:
    text = """$ion_1_0
    // a comment
    $ion_symbol_table::{symbols:["x"]}
    {a: 0x1F, b: -0b101, c: 1_000, d: null.int, e: nan, f: -inf, g: sym, h: 'quoted sym',
     i: '''long ''' /* between */ '''string''', j: (+ 1 2), k: {{"a clob"}}, l: 2021T, m: 2021-02T,
     n: 2021-01-01T10:20+01:00, o: ann::other::5, "p q": "\\u00e9\\x41"}
    """
    value = ion.loads(text)
    assert value["a"] == 31 and value["b"] == -5 and value["c"] == 1000 and value["d"] is None
    assert math.isnan(value["e"]) and value["f"] == -math.inf
    assert value["g"] == "sym" and value["h"] == "quoted sym" and value["i"] == "long string"
    assert value["j"] == ["+", 1, 2] and value["k"] == "a clob"
    assert value["l"] == dt.date(2021, 1, 1) and value["m"] == dt.date(2021, 2, 1)
    assert value["n"] == dt.datetime(2021, 1, 1, 10, 20, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert value["o"] == 5 and value["p q"] == "éA"


def test_streaming_in_small_chunks_keeps_values_that_span_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_reader, "_CHUNK", 7)
    text = "{a:'''x\n\n'''}\n/* c\nc */ [1,\n2]\n\n\n{b:\"x\"} 3 {c:\"a,b:c\"}\n{d:1.5}"
    assert list(ion.read_ion(io.BytesIO(text.encode()))) == [
        {"a": "x\n\n"},
        [1, 2],
        {"b": "x"},
        3,
        {"c": "a,b:c"},
        {"d": Decimal("1.5")},
    ]
    assert list(ion.read_ion(io.StringIO(text))) == list(ion.read_ion(io.BytesIO(text.encode())))


def test_multibyte_characters_cut_by_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_reader, "_CHUNK", 3)
    rows = [{"name": "é€😀" * 3}, {"name": "ü"}]
    buffer = io.BytesIO()
    assert ion.write_ion(buffer, rows) == 2
    assert list(ion.read_ion(io.BytesIO(buffer.getvalue()))) == rows


def test_write_ion_one_value_per_line_on_text_and_binary_streams() -> None:
    rows = [{"a": 1}, [1, "x"], None, "s"]
    text, binary = io.StringIO(), io.BytesIO()
    assert ion.write_ion(text, rows) == 4
    assert ion.write_ion(binary, iter(rows)) == 4
    assert text.getvalue() == '{a:1}\n[1,"x"]\nnull\n"s"\n' == binary.getvalue().decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{a:"open', 'unexpected `"`'),
        ("{a 1}", "expected `:`"),
        ("[1, 2", "unexpected end"),
        ("{a:2021-13-01}", "invalid timestamp"),
        ('{a:LocalDate::"x"}', "invalid LocalDate"),
    ],
)
def test_invalid_text_fails_with_its_position(text: str, message: str) -> None:
    with pytest.raises(ion.IonError, match="invalid Ion at character") as error:
        list(ion.read_ion(io.BytesIO(text.encode())))
    assert message in str(error.value)


def test_unterminated_value_is_bounded_not_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_reader, "_CHUNK", 10)
    stream = io.BytesIO(b'{a:"' + b"x" * 1000 + b"\n" * 100)
    with pytest.raises(ion.IonError, match="longer than 100"):
        list(ion.read_ion(stream, max_value_size=100))


def test_binary_ion_is_refused_clearly() -> None:
    with pytest.raises(ion.IonError, match="binary Ion"):
        list(ion.read_ion(io.BytesIO(b"\xe0\x01\x00\xea\x00")))


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.text()
    | st.dates()
    | st.datetimes(timezones=st.just(dt.UTC)).map(
        lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
    )
    | st.datetimes()
    | st.times()
    | st.binary()
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a shared, loaded machine
@given(st.lists(_values, max_size=5))
def test_round_trip_of_any_values(values: list[Any]) -> None:
    buffer = io.BytesIO()
    ion.write_ion(buffer, values)
    assert list(ion.read_ion(io.BytesIO(buffer.getvalue()))) == values


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.text(max_size=8), st.none() | st.booleans() | st.integers() | st.text(), max_size=6)
)
def test_json_fast_paths_agree_with_the_parser(row: dict[str, Any]) -> None:
    text = ion.dumps(row)
    slow = "{" + ",".join(f"{_writer._field_name(key)}:{ion.dumps(item)}" for key, item in row.items()) + "}"
    assert text == slow
    parser = _reader._Parser(text, end_is_final=True)
    assert list(parser.top_level()) == [row] == [ion.loads(text)]


def test_file_preview_reads_ion_through_the_same_reader() -> None:
    from kestra_stream.webserver import errors, file_preview

    stream = io.BytesIO(b'{a:1.5,b:2021-01-01}\n{a:"x"}\n{a:3}\n')
    rendered = file_preview.render(stream, extension="ion", encoding="utf-8", max_rows=2)
    assert rendered["type"] == "LIST" and rendered["truncated"] is True
    assert rendered["content"] == [{"a": 1.5, "b": "2021-01-01"}, {"a": "x"}]
    with pytest.raises(errors.ApiError, match="not an ION file"):
        file_preview.render(io.BytesIO(b"{a:"), extension="ion", encoding="utf-8", max_rows=2)
