"""Violations of a flow document: where (path, line, column) and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kestra_stream.flows._yaml import Path


def format_path(path: Path) -> str:
    """``("tasks", 2, "then", 0, "message")`` -> ``tasks[2].then[0].message``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("_", "").replace("-", "").isalnum():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        subject = f"{self.path}: " if self.path else ""
        return f"{where}{subject}{self.message}"


class FlowValidationError(ValueError):
    """A flow that cannot be saved or run; :attr:`violations` lists every problem found."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("invalid flow:\n" + "\n".join(f"  {violation}" for violation in self.violations))
