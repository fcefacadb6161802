"""The [sources] table: where texts come from."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class SourcesSection(Section):
    gutenberg_mirror: str = Field(
        "https://www.gutenberg.org",
        description="Project Gutenberg site root (a mirror works too); BOTSMITH_GUTENBERG_MIRROR overrides it.",
    )
