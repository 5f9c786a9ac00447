"""Every Pebble/Kestra function, by name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kestra_stream.expressions.functions.calendar import calendar_functions
from kestra_stream.expressions.functions.data_access import DATA_ACCESS_FUNCTIONS
from kestra_stream.expressions.functions.parsing import PARSING_FUNCTIONS
from kestra_stream.expressions.functions.rendering import RENDERING_FUNCTIONS
from kestra_stream.expressions.functions.utilities import utility_functions
from kestra_stream.expressions.functions.workflow import WORKFLOW_FUNCTIONS


def build_functions(default_zone: dt.tzinfo) -> dict[str, Callable[..., Any]]:
    return {
        **RENDERING_FUNCTIONS,
        **DATA_ACCESS_FUNCTIONS,
        **PARSING_FUNCTIONS,
        **WORKFLOW_FUNCTIONS,
        **utility_functions(default_zone),
        **calendar_functions(default_zone),
    }
