"""The names a condition had before: ``...Condition`` (until 0.20) and pre-0.17 packages."""

from __future__ import annotations

_CURRENT = "io.kestra.plugin.core.condition"
_PRE_017 = "io.kestra.core.models.conditions.types"


def condition_type(name: str, *old_names: str) -> tuple[str, ...]:
    """Canonical type of condition ``name`` followed by its aliases."""
    aliases = [f"{_CURRENT}.{name}Condition", f"{_PRE_017}.{name}Condition"]
    for old in old_names:
        aliases += [f"{_CURRENT}.{old}", f"{_PRE_017}.{old}"]
    return (f"{_CURRENT}.{name}", *aliases)
