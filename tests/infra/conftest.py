"""Fixtures of the proof tests of the real infrastructure (tests/infra)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import delete_topics


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> Iterator[list[str]]:
    """Topic names this test creates on the single node; deleted afterwards."""
    names: list[str] = []
    yield names
    if names:
        delete_topics(kafka_bootstrap, names)
