"""Every Pebble/Kestra filter, by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kestra_stream.expressions.filters.collections import COLLECTION_FILTERS
from kestra_stream.expressions.filters.dates import DateFilters
from kestra_stream.expressions.filters.numbers import NUMBER_FILTERS
from kestra_stream.expressions.filters.strings import STRING_FILTERS
from kestra_stream.expressions.filters.structured import STRUCTURED_FILTERS


def build_filters(default_zone: dt.tzinfo) -> dict[str, Callable[..., Any]]:
    return {
        **STRING_FILTERS,
        **COLLECTION_FILTERS,
        **NUMBER_FILTERS,
        **STRUCTURED_FILTERS,
        **DateFilters(default_zone).filters(),
    }
