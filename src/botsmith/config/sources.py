"""The [sources] table: where texts come from and how politely they are fetched."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class SourcesSection(Section):
    gutenberg_mirror: str = Field(
        "https://www.gutenberg.org",
        description="Project Gutenberg site root (a mirror works too); BOTSMITH_GUTENBERG_MIRROR overrides it.",
    )
    gutenberg_delay: float = Field(
        1.0, ge=0, description="Seconds to wait between two requests to Project Gutenberg (be polite to the site).",
    )
    gutenberg_timeout: float = Field(30.0, gt=0, description="Seconds before a Gutenberg request counts as timed out.")
    gutenberg_retries: int = Field(
        3, ge=1, le=10, description="Attempts per URL for timeouts and server errors, with doubling waits between them.",
    )
