"""The documentation examples of the core types added for issue 10 (Loop, Assert, Count, ...) validate.

Each file of ``core_type_examples/`` is the ``@Example`` of the type in Kestra's source (the plugin pages
are not part of the docs snapshot), or the docs' own example when a page has one (administrator guide:
purge). Examples that also use a plugin of another family not registered yet (serdes, notifications)
must fail on that type only: everything of ours in them validates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kestra_stream.flows import FlowValidationError, all_tasks, parse_flows
from kestra_stream.plugins import registry

EXAMPLES = sorted((Path(__file__).parent / "core_type_examples").glob("*.yaml"))
OTHER_FAMILIES = (
    "io.kestra.plugin.serdes.csv.CsvToIon",
    "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_docs_example_validates(path: Path) -> None:
    source = path.read_text()
    if path.stem.startswith("template_"):
        # Kestra 1.3.31 itself refuses it (templates are disabled by default): so does kestra-stream
        with pytest.raises(
            FlowValidationError, match="Templates are disabled, please check your configuration"
        ):
            parse_flows(source)
        return
    missing = [name for name in OTHER_FAMILIES if name in source and name not in registry]
    if missing:
        with pytest.raises(FlowValidationError) as raised:
            parse_flows(source)
        message = str(raised.value)
        assert all(f"Invalid type: {name}" in message for name in missing), message
        assert message.count("Invalid type") == len(missing), message
        return
    flows = parse_flows(source)
    assert flows
    types = {located.plugin.type for flow in flows for located in all_tasks(flow)}
    prefix = path.stem.split("_", 1)[0]
    assert any(type_name.rsplit(".", 1)[-1].lower().startswith(prefix) for type_name in types), types
