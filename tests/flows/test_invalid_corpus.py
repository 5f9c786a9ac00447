"""The invalid corpus: each file says, in header comments, what must be reported and where.

``# expect: <path>: <fragment>`` (one or more): a violation at exactly ``<path>`` whose message
contains ``<fragment>``. ``# at: <line>:<column>``: the position of the first expected violation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kestra_stream.flows import FlowValidationError, parse_flows, validate_source

CORPUS = sorted((Path(__file__).parent / "invalid").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (?P<path>[^:]*): (?P<fragment>.+)$", re.MULTILINE)
_AT = re.compile(r"^# at: (?P<line>\d+):(?P<column>\d+)$", re.MULTILINE)


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_invalid_flow_is_reported(path: Path) -> None:
    source = path.read_text()
    expectations = [(match["path"], match["fragment"]) for match in _EXPECT.finditer(source)]
    assert expectations, f"{path.name} has no `# expect:` header"
    with pytest.raises(FlowValidationError) as raised:
        parse_flows(source)
    violations = raised.value.violations
    for expected_path, fragment in expectations:
        matching = [v for v in violations if v.path == expected_path and fragment in v.message]
        assert matching, f"no violation `{expected_path}: {fragment}` in:\n" + "\n".join(map(str, violations))
    at = _AT.search(source)
    if at:
        first_path, first_fragment = expectations[0]
        violation = next(v for v in violations if v.path == first_path and first_fragment in v.message)
        assert (violation.line, violation.column) == (int(at["line"]), int(at["column"]))


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_every_violation_has_a_position(path: Path) -> None:
    for result in validate_source(path.read_text()):
        for violation in result.violations:
            assert violation.line is not None and violation.line >= 1
            assert violation.column is not None and violation.column >= 1
