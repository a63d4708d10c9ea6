"""The strict base every AlphaTriangle config model inherits.

A typo in a config file must be an error, not a silently ignored key, and a config
once built must not drift while a run uses it: hence `extra="forbid"` and
`frozen=True`. `validate_assignment` would be moot on a frozen model; values are
changed with `model_copy(update=...)`, which we re-validate in `with_updates`.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict


class StrictConfig(BaseModel):
    """Frozen pydantic model that rejects unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    def with_updates(self, **updates: Any) -> Self:
        """Return a validated copy with `updates` applied (unknown names are errors)."""
        return self.model_validate({**self.model_dump(), **updates})
