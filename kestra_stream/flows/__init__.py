"""Flow documents: the model, parsing with located violations, plugin defaults, JSON schema."""

from kestra_stream.flows.checks import check_flow
from kestra_stream.flows.defaults import (
    apply_plugin_defaults,
    deep_merge,
    flow_plugin_defaults,
    global_plugin_defaults,
)
from kestra_stream.flows.errors import FlowValidationError, Violation, format_path
from kestra_stream.flows.model import (
    RESERVED_FLOW_IDS,
    SLA,
    Check,
    Concurrency,
    ConcurrencyBehavior,
    Flow,
    FlowOutput,
    Listener,
    OutputType,
    PluginDefault,
)
from kestra_stream.flows.parse import FlowResult, parse_flow, parse_flows, validate_source
from kestra_stream.flows.schema import flow_json_schema, plugin_json_schema
from kestra_stream.flows.walk import Located, all_conditions, all_tasks, all_triggers, walk_plugins

__all__ = [
    "RESERVED_FLOW_IDS",
    "SLA",
    "Check",
    "Concurrency",
    "ConcurrencyBehavior",
    "Flow",
    "FlowOutput",
    "FlowResult",
    "FlowValidationError",
    "Listener",
    "Located",
    "OutputType",
    "PluginDefault",
    "Violation",
    "all_conditions",
    "all_tasks",
    "all_triggers",
    "apply_plugin_defaults",
    "check_flow",
    "deep_merge",
    "flow_json_schema",
    "flow_plugin_defaults",
    "format_path",
    "global_plugin_defaults",
    "parse_flow",
    "parse_flows",
    "plugin_json_schema",
    "validate_source",
    "walk_plugins",
]
