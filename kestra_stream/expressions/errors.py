"""The single error type of the expression language."""

from __future__ import annotations


class ExpressionError(Exception):
    """A template or expression could not be parsed or rendered.

    ``template`` is the source that failed and ``reason`` the human explanation; ``str(error)``
    combines both the way Kestra reports rendering failures.
    """

    def __init__(self, reason: str, template: str | None = None) -> None:
        self.reason = reason
        self.template = template
        message = reason if template is None else f"Unable to render `{template}`: {reason}"
        super().__init__(message)
