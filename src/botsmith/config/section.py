"""The base every config section derives from: strict, typed, documented once.

Field descriptions are the documentation: `botsmith new` writes them as comments
into botsmith.toml, and the CLI reuses them as option help.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A [table] of botsmith.toml. Unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=False)
