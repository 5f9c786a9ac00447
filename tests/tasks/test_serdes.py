"""The serdes tasks (kestra_stream_plugins.serdes) run as the worker runs them, on local storage:
typed round trips through ION, Kestra's options, and bad input failing the task with a clear message."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from kestra_stream import ion
from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.storage import read_bytes

from .test_basic_tasks import task

SOURCE = "/company/team/flow/executions/exec1/inputs/file/"

TYPED_ROWS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": 'Ünïcode, "quoted"\nline',
        "price": Decimal("12.50"),
        "ratio": 0.25,
        "ok": True,
        "day": dt.date(2024, 2, 29),
        "at": dt.datetime(2024, 2, 29, 13, 45, 30, 123000, tzinfo=dt.UTC),
        "local": dt.datetime(2024, 2, 29, 13, 45, 30),
        "nested": {"tags": ["a", "b"], "n": None},
        "missing": None,
    },
    {
        "id": 2,
        "name": "plain",
        "price": Decimal("-0.01"),
        "ratio": 1e20,
        "ok": False,
        "day": dt.date(1970, 1, 1),
        "at": dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        "local": dt.datetime(2000, 1, 1),
        "nested": {"tags": [], "n": 3},
        "missing": None,
    },
]


def serdes(kind: str, **properties: Any) -> Any:
    return task({"type": f"io.kestra.plugin.serdes.{kind}", **properties})


def put(ctx: TaskRunContext, name: str, data: bytes) -> str:
    return ctx.storage.put(SOURCE + name, data)


def put_ion(ctx: TaskRunContext, rows: list[Any], name: str = "rows.ion") -> str:
    buffer = io.BytesIO()
    ion.write_ion(buffer, rows)
    return put(ctx, name, buffer.getvalue())


def ion_rows(ctx: TaskRunContext, uri: str) -> list[Any]:
    return list(ion.read_ion(io.BytesIO(read_bytes(ctx.storage, uri))))


def test_csv_to_ion_with_header_nulls_quotes_and_the_records_metric(
    ctx: TaskRunContext, sink: CollectingSink
) -> None:
    uri = put(ctx, "in.csv", b'id,name,note\n1,"Smith, J","said ""hi"""\n2,\\N,"two\nlines"\n')
    outputs = run_task(serdes("csv.CsvToIon", **{"from": uri}), ctx)
    assert outputs["uri"].endswith(".ion")
    assert read_bytes(ctx.storage, outputs["uri"]) == (
        b'{id:"1",name:"Smith, J",note:"said \\"hi\\""}\n{id:"2",name:null,note:"two\\nlines"}\n'
    )
    assert sink.metric("records").value == 2


def test_csv_options_separator_delimiter_charset_skip_rows_and_no_header(ctx: TaskRunContext) -> None:
    uri = put(ctx, "in.csv", "a;b\n'x;y';é\n\n3;4\n5;6\n".encode("latin-1"))
    outputs = run_task(
        serdes(
            "csv.CsvReader",  # Kestra's old name
            **{"from": uri},
            header=False,
            fieldSeparator=";",
            textDelimiter="'",
            charset="ISO-8859-1",
            skipRows=1,
            skipEmptyRows=True,
        ),
        ctx,
    )
    assert ion_rows(ctx, outputs["uri"]) == [["x;y", "é"], ["3", "4"], ["5", "6"]]


def test_csv_bad_line_fails_warns_or_skips(ctx: TaskRunContext, sink: CollectingSink) -> None:
    uri = put(ctx, "bad.csv", b"a,b\n1,2\n3,4,5\n6,7\n")
    with pytest.raises(TaskFailure, match=r"field count mismatch\) at line 3: Expected 2, got 3 fields"):
        run_task(serdes("csv.CsvToIon", **{"from": uri}), ctx)
    warned = run_task(serdes("csv.CsvToIon", **{"from": uri}, onBadLines="WARN"), ctx)
    assert ion_rows(ctx, warned["uri"]) == [{"a": "1", "b": "2"}, {"a": "6", "b": "7"}]
    assert any("field count mismatch" in message for message in sink.messages("WARN"))
    skipped = run_task(
        serdes("csv.CsvToIon", **{"from": uri}, onBadLines="SKIP", errorOnDifferentFieldCount=True), ctx
    )
    assert len(ion_rows(ctx, skipped["uri"])) == 2
    assert any("errorOnDifferentFieldCount` is deprecated" in message for message in sink.messages("WARN"))


def test_csv_malformed_quote_and_wrong_charset_fail_clearly(ctx: TaskRunContext) -> None:
    uri = put(ctx, "q.csv", b'a,b\n"x"y,2\n')
    with pytest.raises(TaskFailure, match="Bad line encountered at line 2"):
        run_task(serdes("csv.CsvToIon", **{"from": uri}), ctx)
    lenient = run_task(serdes("csv.CsvToIon", **{"from": uri}, allowExtraCharsAfterClosingQuote=True), ctx)
    assert ion_rows(ctx, lenient["uri"]) == [{"a": "xy", "b": "2"}]
    latin = put(ctx, "l.csv", "a\né\n".encode("latin-1"))
    with pytest.raises(TaskFailure, match="not valid utf-8"):
        run_task(serdes("csv.CsvToIon", **{"from": latin}), ctx)
    with pytest.raises(TaskFailure, match="single character"):
        run_task(serdes("csv.CsvToIon", **{"from": latin}, fieldSeparator=";;"), ctx)
    with pytest.raises(TaskFailure, match="file not found"):
        run_task(serdes("csv.CsvToIon", **{"from": "kestra:///company/team/nope.csv"}), ctx)


def test_ion_to_csv_formats_dates_and_quotes(ctx: TaskRunContext) -> None:
    uri = put_ion(ctx, TYPED_ROWS)
    outputs = run_task(serdes("csv.IonToCsv", **{"from": uri}), ctx)
    assert outputs["uri"].endswith(".csv")
    lines = read_bytes(ctx.storage, outputs["uri"]).decode()
    assert lines.startswith("id,name,price,ratio,ok,day,at,local,nested,missing\n")
    assert (
        '1,"Ünïcode, ""quoted""\nline",12.50,0.25,true,2024-02-29,2024-02-29T13:45:30.123Z,'
        '2024-02-29T13:45:30.000Z,"{tags=[a, b], n=null}",\n'
    ) in lines
    assert "2,plain,-0.01,1.0E20,false,1970-01-01,1999-12-31T23:59:59.000Z," in lines
    custom = run_task(
        serdes(
            "csv.CsvWriter",
            **{"from": uri},
            header=False,
            fieldSeparator=";",
            quoteMode="NON_NUMERIC",
            lineDelimiter="\r\n",
            dateFormat="dd/MM/yyyy",
            dateTimeFormat="yyyy-MM-dd HH:mm",
        ),
        ctx,
    )
    second = read_bytes(ctx.storage, custom["uri"]).decode().split("\r\n")[1]
    assert second.startswith('2;"plain";-0.01;"1.0E20";"false";"01/01/1970";"1999-12-31 23:59";')


def test_csv_round_trip_through_ion(ctx: TaskRunContext) -> None:
    text = b'a,b,c\n1,"x,y",\n"multi\nline",\\N,z\n'
    ion_uri = run_task(serdes("csv.CsvToIon", **{"from": put(ctx, "r.csv", text)}), ctx)["uri"]
    back = run_task(serdes("csv.IonToCsv", **{"from": ion_uri}), ctx)["uri"]
    assert read_bytes(ctx.storage, back) == b'a,b,c\n1,"x,y",\n"multi\nline",,z\n'


def test_json_lines_and_array_to_ion_and_back(ctx: TaskRunContext, sink: CollectingSink) -> None:
    lines = (
        b'{"id": 1, "v": 1.5, "big": 123456789012345678901234, "t": [true, null]}\n'
        b'\n{"id": 2, "s": "\xc3\xa9"}\n'
    )
    outputs = run_task(serdes("json.JsonToIon", **{"from": put(ctx, "in.jsonl", lines)}), ctx)
    assert read_bytes(ctx.storage, outputs["uri"]) == (
        b'{id:1,v:1.5e0,big:123456789012345678901234,t:[true,null]}\n{id:2,s:"\xc3\xa9"}\n'
    )
    array = run_task(
        serdes("json.JsonReader", **{"from": put(ctx, "in.json", b'[{"a": 1}, [2], "x"]')}, newLine=False),
        ctx,
    )
    assert ion_rows(ctx, array["uri"]) == [{"a": 1}, [2], "x"]
    with pytest.raises(TaskFailure, match="invalid JSON at line 2"):
        run_task(serdes("json.JsonToIon", **{"from": put(ctx, "bad.jsonl", b'{"a":1}\n{"a":\n')}), ctx)


def test_ion_to_json_writes_typed_values_as_jackson(ctx: TaskRunContext) -> None:
    uri = put_ion(ctx, TYPED_ROWS)
    outputs = run_task(serdes("json.IonToJson", **{"from": uri}), ctx)
    assert outputs["uri"].endswith(".jsonl")
    first = read_bytes(ctx.storage, outputs["uri"]).decode().splitlines()[0]
    assert first == (
        '{"id":1,"name":"Ünïcode, \\"quoted\\"\\nline","price":12.50,"ratio":0.25,"ok":true,'
        '"day":"2024-02-29","at":"2024-02-29T13:45:30.123Z","local":"2024-02-29T13:45:30",'
        '"nested":{"tags":["a","b"],"n":null},"missing":null}'
    )
    array = run_task(serdes("json.JsonWriter", **{"from": uri}, newLine=False), ctx)
    assert array["uri"].endswith(".json")
    assert read_bytes(ctx.storage, array["uri"]).decode().startswith('[{"id":1,')
    back = run_task(serdes("json.JsonToIon", **{"from": outputs["uri"]}), ctx)
    assert [row["price"] for row in ion_rows(ctx, back["uri"])] == [12.5, -0.01]


def test_not_ion_input_fails_with_the_position(ctx: TaskRunContext) -> None:
    uri = put(ctx, "bad.ion", b'{a:1}\n{a:"open\n')
    with pytest.raises(TaskFailure, match="not valid ION: invalid Ion at character"):
        run_task(serdes("csv.IonToCsv", **{"from": uri}), ctx)


TYPED_SCHEMA = """{
  "type": "record", "name": "Row", "namespace": "company.team",
  "fields": [
    {"name": "id", "type": "long"},
    {"name": "name", "type": ["null", "string"]},
    {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "ratio", "type": "double"},
    {"name": "ok", "type": "boolean"},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
    {"name": "nested", "type": {"type": "record", "name": "Nested", "fields": [
      {"name": "tags", "type": {"type": "array", "items": "string"}},
      {"name": "n", "type": ["null", "long"]}]}},
    {"name": "missing", "type": ["null", "string"], "default": null}
  ]
}"""


@pytest.mark.parametrize("fmt", ["avro", "parquet"])
def test_typed_round_trip_through_avro_and_parquet(
    ctx: TaskRunContext, sink: CollectingSink, fmt: str
) -> None:
    writer, reader = {
        "avro": ("avro.IonToAvro", "avro.AvroToIon"),
        "parquet": ("parquet.IonToParquet", "parquet.ParquetToIon"),
    }[fmt]
    written = run_task(serdes(writer, **{"from": put_ion(ctx, TYPED_ROWS)}, schema=TYPED_SCHEMA), ctx)
    assert written["uri"].endswith(f".{fmt}")
    assert sink.metric("records").value == 2
    back = ion_rows(ctx, run_task(serdes(reader, **{"from": written["uri"]}), ctx)["uri"])
    assert back == TYPED_ROWS


@pytest.mark.parametrize("writer", ["avro.IonToAvro", "parquet.IonToParquet"])
def test_csv_strings_are_converted_to_the_schema_types(ctx: TaskRunContext, writer: str) -> None:
    csv_uri = put(
        ctx, "t.csv", b'id,ok,amount,day,at,note\n1,yes,"1,5",2024-02-29,2024-02-29T10:20:30Z,n/a\n'
    )
    ion_uri = run_task(serdes("csv.CsvToIon", **{"from": csv_uri}), ctx)["uri"]
    schema = """{"type": "record", "name": "R", "fields": [
      {"name": "id", "type": "int"}, {"name": "ok", "type": "boolean"},
      {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}},
      {"name": "day", "type": {"type": "int", "logicalType": "date"}},
      {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
      {"name": "note", "type": ["null", "string"]}]}"""
    written = run_task(serdes(writer, **{"from": ion_uri}, schema=schema, decimalSeparator=","), ctx)
    reader = {"avro.IonToAvro": "avro.AvroToIon", "parquet.IonToParquet": "parquet.ParquetToIon"}[writer]
    assert ion_rows(ctx, run_task(serdes(reader, **{"from": written["uri"]}), ctx)["uri"]) == [
        {
            "id": 1,
            "ok": True,
            "amount": Decimal("1.50"),
            "day": dt.date(2024, 2, 29),
            "at": dt.datetime(2024, 2, 29, 10, 20, 30, tzinfo=dt.UTC),
            "note": None,
        }
    ]


def test_schema_inferred_when_absent_and_parquet_options(ctx: TaskRunContext, sink: CollectingSink) -> None:
    rows = [{"a": 1, "b": "x", "c": None, "d": dt.date(2024, 1, 1)}, {"a": 2, "b": None, "c": 1.5, "d": None}]
    uri = put_ion(ctx, rows)
    for codec in ("SNAPPY", "ZSTD", "UNCOMPRESSED"):
        written = run_task(
            serdes("parquet.ParquetWriter", **{"from": uri}, compressionCodec=codec, parquetVersion="V1"), ctx
        )
        back = run_task(serdes("parquet.ParquetReader", **{"from": written["uri"]}), ctx)
        assert ion_rows(ctx, back["uri"]) == rows
    avro = run_task(serdes("avro.AvroWriter", **{"from": uri}), ctx)
    assert ion_rows(ctx, run_task(serdes("avro.AvroReader", **{"from": avro["uri"]}), ctx)["uri"]) == rows
    big = run_task(serdes("parquet.IonToParquet", **{"from": uri}, rowGroupSize=1024**3), ctx)
    assert ion_rows(ctx, run_task(serdes("parquet.ParquetToIon", **{"from": big["uri"]}), ctx)["uri"]) == rows
    assert any("row groups of 33554432 bytes are written" in message for message in sink.messages("WARN"))
    with pytest.raises(TaskFailure, match="`compressionCodec` must be one of"):
        run_task(serdes("parquet.IonToParquet", **{"from": uri}, compressionCodec="LZMA"), ctx)


def test_rows_not_matching_the_schema_fail_or_are_skipped(ctx: TaskRunContext, sink: CollectingSink) -> None:
    uri = put_ion(ctx, [{"id": "1"}, {"id": "abc"}, {"id": None}, {"id": "3", "extra": 1}])
    schema = '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]}'
    with pytest.raises(
        TaskFailure, match=r"row 2 does not match the Avro schema: field `id`: `abc` is not an integer"
    ):
        run_task(serdes("avro.IonToAvro", **{"from": uri}, schema=schema), ctx)
    warned = run_task(
        serdes("parquet.IonToParquet", **{"from": uri}, schema=schema, onBadLines="WARN", strictSchema=True),
        ctx,
    )
    assert ion_rows(ctx, run_task(serdes("parquet.ParquetToIon", **{"from": warned["uri"]}), ctx)["uri"]) == [
        {"id": 1}
    ]
    warnings = sink.messages("WARN")
    assert any("null for the non-nullable type int" in message for message in warnings)
    assert any("not in the schema (strictSchema)" in message for message in warnings)
    with pytest.raises(TaskFailure, match="invalid Avro `schema`"):
        run_task(serdes("avro.IonToAvro", **{"from": uri}, schema="{not json"), ctx)
    with pytest.raises(TaskFailure, match="not a valid Parquet file"):
        run_task(serdes("parquet.ParquetToIon", **{"from": uri}), ctx)
    with pytest.raises(TaskFailure, match="not a valid Avro file"):
        run_task(serdes("avro.AvroToIon", **{"from": uri}), ctx)


def test_excel_round_trip_with_sheets_header_and_typed_cells(
    ctx: TaskRunContext, sink: CollectingSink
) -> None:
    people = put_ion(
        ctx,
        [
            {"name": "Ann", "age": 41, "joined": dt.date(2020, 5, 17), "ok": True},
            {"name": "Bob", "age": 7.5, "joined": None, "ok": False},
        ],
    )
    other = put_ion(ctx, [["x", 1], ["y", 2]], "raw.ion")
    written = run_task(serdes("excel.IonToExcel", **{"from": {"People": people, "Raw": other}}), ctx)
    assert written["uri"].endswith(".xlsx") and sink.metric("records").value == 4
    read = run_task(serdes("excel.ExcelToIon", **{"from": written["uri"]}, sheetsTitle=["People"]), ctx)
    assert list(read["uris"]) == ["People"] and read["size"] == 2
    assert ion_rows(ctx, read["uris"]["People"]) == [
        {"name": "Ann", "age": 41.0, "joined": dt.datetime(2020, 5, 17, tzinfo=dt.UTC), "ok": True},
        {"name": "Bob", "age": 7.5, "joined": None, "ok": False},
    ]
    raw = run_task(serdes("excel.ExcelReader", **{"from": written["uri"]}, header=False, skipRows=1), ctx)
    assert ion_rows(ctx, raw["uris"]["Raw"]) == [["y", 2.0]]
    assert ion_rows(ctx, raw["uris"]["People"])[0][0] == "Ann"
    with pytest.raises(TaskFailure, match="not an Excel"):
        run_task(serdes("excel.ExcelToIon", **{"from": people}), ctx)


def test_xml_to_ion_as_org_json_and_back(ctx: TaskRunContext) -> None:
    document = b"""<?xml version="1.0"?>
<root><items><item id="1"><name>Ann</name><score>1.5</score><active>true</active></item>
<item id="2"><name>Bob</name><tags>a</tags><tags>b</tags><note lang="en">hi</note></item></items></root>"""
    uri = put(ctx, "in.xml", document)
    whole = ion_rows(ctx, run_task(serdes("xml.XmlToIon", **{"from": uri}), ctx)["uri"])
    assert whole[0]["root"]["items"]["item"][1]["tags"] == ["a", "b"]
    items = run_task(
        serdes(
            "xml.XmlReader",
            **{"from": uri},
            query="/root/items/item",
            parserConfiguration={"forceList": ["name"]},
        ),
        ctx,
    )
    assert ion_rows(ctx, items["uri"]) == [
        {"id": 1, "name": ["Ann"], "score": Decimal("1.5"), "active": True},
        {"id": 2, "name": ["Bob"], "tags": ["a", "b"], "note": {"lang": "en", "content": "hi"}},
    ]
    back = run_task(
        serdes(
            "xml.IonToXml",
            **{"from": put_ion(ctx, [{"a": 1, "b": [1, 2], "c": None, "d": dt.date(2024, 1, 2)}])},
        ),
        ctx,
    )
    assert read_bytes(ctx.storage, back["uri"]).decode() == (
        "<?xml version='1.0' encoding='UTF-8'?>\n<items>\n  <item>\n    <a>1</a>\n"
        "    <b>1</b>\n    <b>2</b>\n    <c/>\n    <d>2024-01-02</d>\n  </item>\n</items>\n"
    )
    with pytest.raises(TaskFailure, match="not valid XML"):
        run_task(serdes("xml.XmlToIon", **{"from": put(ctx, "bad.xml", b"<a><b></a>")}), ctx)
