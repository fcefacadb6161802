"""Sources: Project Gutenberg and local files, and the one cleaning function every
text goes through before anything learns from it.

    search_gutenberg(author=..., title=..., language=...) -> [Book]
    add_gutenberg(bot_dir, ids, author=..., limit=...) -> AddReport
    add_files(bot_dir, paths) -> AddReport
    clean_text(text_or_bytes) -> CleanResult(text, chapters, removed, ...)

Cleaned texts are stored as `sources/cleaned.py` describes.
"""

from __future__ import annotations

from botsmith.sources.clean import CleanResult, clean_text
from botsmith.sources.files import add_files
from botsmith.sources.gutenberg import add_gutenberg, search_gutenberg
from botsmith.sources.ingest import AddedSource, AddReport
from botsmith.sources.registry import add_source, get_source, register_source, source_names

__all__ = ["search_gutenberg", "add_gutenberg", "add_files", "clean_text", "CleanResult", "AddReport",
           "AddedSource", "add_source", "get_source", "register_source", "source_names"]
