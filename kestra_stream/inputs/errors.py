"""Input problems, worded as Kestra words them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class InputValueError(ValueError):
    """A value that does not parse or does not satisfy a constraint; the message is the reason."""


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class InputProblem:
    input_id: str
    reason: str
    value: Any = None

    @property
    def message(self) -> str:
        return f"Invalid input for `{self.input_id}`, {self.reason}, but received `{_shown(self.value)}`"


class InputValidationError(ValueError):
    """Every problem found while resolving the inputs of one execution (none is created)."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problem.message for problem in self.problems))

    @property
    def messages(self) -> list[str]:
        return [problem.message for problem in self.problems]
