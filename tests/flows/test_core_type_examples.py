"""The documentation examples of the core types added for issue 10 (Loop, Assert, Count, ...) parse and
validate. Each file of ``core_type_examples/`` is copied from the type's documentation page or, when the
docs have no page for it, from the ``@Example`` of Kestra's source for the type; the source is named in
docs/tasks.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from kestra_stream.flows import all_tasks, parse_flows

EXAMPLES = sorted((Path(__file__).parent / "core_type_examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_docs_example_validates(path: Path) -> None:
    flows = parse_flows(path.read_text())
    assert flows
    types = {located.plugin.type for flow in flows for located in all_tasks(flow)}
    prefix = path.stem.split("_", 1)[0]
    assert any(type_name.rsplit(".", 1)[-1].lower().startswith(prefix) for type_name in types), types
