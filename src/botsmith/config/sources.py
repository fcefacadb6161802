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
    gutenberg_timeout: float = Field(
        30.0, gt=0, description="Seconds a Gutenberg request may wait for the server to connect or to send more.",
    )
    gutenberg_deadline: float = Field(
        300.0, gt=0,
        description="Seconds one Gutenberg download may take in all (a server that drips bytes is cut off).",
    )
    gutenberg_max_bytes: int = Field(
        128 << 20, ge=1024,
        description="Largest Gutenberg download accepted, in bytes (books and the catalogue are far smaller).",
    )
    gutenberg_retries: int = Field(
        3, ge=1, le=10, description="Attempts per URL for timeouts and server errors, with doubling waits between them.",
    )
