"""``io.kestra.plugin.serdes.xml.XmlToIon`` / ``IonToXml`` (old names ``XmlReader`` / ``XmlWriter``).

XML to ION follows org.json's ``XML.toJSONObject`` that Kestra uses (attributes and child elements
as fields, repeated elements as lists, text typed as numbers/booleans, mixed text as ``content``),
then the ``query`` (a JSON pointer such as ``/root/items``). As in Kestra, a document is read whole;
``IonToXml`` writes Jackson's XML of the list of values under ``rootName``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from pydantic import BaseModel

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_list, as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.serdes._base import (
    SerdesTask,
    ion_values,
    kestra_type,
    rendered_charset,
    rendered_text,
    store,
    store_ion,
    temp_path,
)
from kestra_stream_plugins.serdes.csv import UriOutput
from kestra_stream_plugins.serdes.json import json_bytes

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][\w.-]*")


def _typed(text: str) -> Any:
    """org.json's ``stringToValue``: booleans, null and numbers; anything else stays text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if _NUMBER.fullmatch(text):
        if any(char in text for char in ".eE") or text == "-0":
            return Decimal(text)
        return int(text)
    return text


class ParserConfiguration(KestraModel):
    force_list: list[str] | str | None = dynamic(None)


def _element(element: ElementTree.Element, force_list: frozenset[str]) -> Any:
    fields: dict[str, Any] = {name: _typed(value) for name, value in element.attrib.items()}
    text = (element.text or "").strip()
    for child in element:
        value = _element(child, force_list)
        tag = _local(child.tag)
        if tag in fields:
            existing = fields[tag]
            fields[tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            fields[tag] = [value] if tag in force_list else value
        if child.tail and child.tail.strip():
            text = f"{text}\n{child.tail.strip()}" if text else child.tail.strip()
    if not fields:
        return _typed(text) if text else ""
    if text:
        fields["content"] = _typed(text)
    return fields


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _pointer(document: Any, query: str) -> Any:
    """A JSON pointer (``/a/0/b``); what it does not reach is null, as Kestra's ``query``."""
    value = document
    for part in query.lstrip("/").split("/") if query.strip("/") else []:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


@kestra_type("io.kestra.plugin.serdes.xml.XmlToIon", "io.kestra.plugin.serdes.xml.XmlReader")
class XmlToIon(SerdesTask):
    """Convert an XML document to ION: the struct, or each item when ``query`` selects a list."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    charset: str = dynamic("UTF-8")
    query: str | None = dynamic(None)
    parser_configuration: ParserConfiguration | None = None

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        charset = rendered_charset(ctx, self.charset)
        source = self.source(ctx, ".xml")
        force = self.parser_configuration.force_list if self.parser_configuration else None
        force_list = frozenset(as_text(item) for item in as_list(ctx.render(force)))
        try:
            parser = ElementTree.XMLParser(encoding=charset)
            root = ElementTree.parse(source, parser=parser).getroot()
        except (ElementTree.ParseError, UnicodeDecodeError, LookupError) as error:
            raise TaskFailure(f"the `from` file is not valid XML: {error}") from None
        document = {_local(root.tag): _element(root, force_list)}
        query = rendered_text(ctx, self.query)
        result = _pointer(document, query) if query else document
        return store_ion(ctx, result if isinstance(result, list) else [result])


def _xml(name: str, value: Any, depth: int) -> str:
    pad = "  " * depth
    tag = name if _NAME.fullmatch(name) else "item"
    if isinstance(value, Mapping):
        if not value:
            return f"{pad}<{tag}/>\n"
        body = "".join(_xml(str(key), item, depth + 1) for key, item in value.items())
        return f"{pad}<{tag}>\n{body}{pad}</{tag}>\n"
    if isinstance(value, list):
        return "".join(_xml(tag, item, depth) for item in value)
    if value is None:
        return f"{pad}<{tag}/>\n"
    if isinstance(value, dt.date | dt.time | Decimal | float | bytes):
        text = json_bytes(value).decode().strip('"')
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return f"{pad}<{tag}>{escape(text)}</{tag}>\n"


@kestra_type("io.kestra.plugin.serdes.xml.IonToXml", "io.kestra.plugin.serdes.xml.XmlWriter")
class IonToXml(SerdesTask):
    """Convert an ION file to XML: ``<rootName>`` holding one ``<item>`` per value."""

    outputs_model: ClassVar[type[BaseModel] | None] = UriOutput

    charset: str = dynamic("UTF-8")
    root_name: str = dynamic("items")
    time_zone_id: str | None = dynamic(None)

    def run(self, ctx: RunContext) -> Mapping[str, Any]:
        charset = rendered_charset(ctx, self.charset)
        root = rendered_text(ctx, self.root_name) or "items"
        if not _NAME.fullmatch(root):
            raise TaskFailure(f"`rootName` `{root}` is not an XML element name")
        target = temp_path(ctx, ".xml")
        count = 0
        with target.open("w", encoding=charset) as out:
            out.write(f"<?xml version='1.0' encoding='{charset.upper()}'?>\n<{root}>\n")
            for value in ion_values(self.source(ctx, ".ion")):
                out.write(_xml("item", value, 1))
                count += 1
            out.write(f"</{root}>\n")
        return store(ctx, target, count)
