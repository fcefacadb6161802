"""Local files as a source: .txt, .md and .epub files, or folders of them.

Markdown loses its markup (links keep their words, emphasis marks go, `#` headings
become chapters) line by line, so the manifest's line numbers still point into the
file. An .epub is read with the standard library (see sources/epub.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from botsmith.bot_folder import open_bot
from botsmith.errors import BotsmithError
from botsmith.sources.clean import CleanResult, clean_text
from botsmith.sources.encoding import decode_text
from botsmith.sources.ingest import AddedSource, AddReport, Log, already_added, run_item, sha256, slug, store_source

TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_SUFFIXES = (".md", ".markdown")
EPUB_SUFFIXES = (".epub",)
SUFFIXES = TEXT_SUFFIXES + MARKDOWN_SUFFIXES + EPUB_SUFFIXES

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_CODE = re.compile(r"`([^`]*)`")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def add_files(bot_dir: str | Path = ".", paths: Iterable[str | Path] = (), *, force: bool = False,
              log: Log = print) -> AddReport:
    """Clean local files (and the .txt/.md/.epub files inside folders) into a bot."""
    folder = open_bot(bot_dir)
    report = AddReport()
    files: list[Path] = []
    for path in map(Path, paths):
        try:
            files.extend(expand(path))
        except BotsmithError as error:
            report.failed.append((str(path), error.message))
            log(f"failed: {error.message}")
    if not files and not report.failed:
        raise BotsmithError("no files given", hint="botsmith add files PATH... (.txt, .md, .epub or folders)")
    used: set[str] = set()
    for file in files:
        run_item(report, str(file), lambda: _add_one(folder, file, used, force), log)
    return report


def expand(path: Path) -> list[Path]:
    """A file as itself, a folder as its text files (recursively, in name order)."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not found:
            raise BotsmithError(f"{path}: the folder has no {', '.join(SUFFIXES)} files")
        return found
    if not path.exists():
        raise BotsmithError(f"{path}: no such file or folder")
    return [path]


def _add_one(folder, file: Path, used: set[str], force: bool) -> AddedSource | None:
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise BotsmithError(f"{file}: cannot read ({error.strerror})") from None
    result, meta = clean_file(file, raw)
    source_id = _unique_id(folder, f"file-{slug(file.stem)}", raw, used)
    if not force and already_added(folder, source_id, sha256(raw)):
        return None
    meta = {"source": "files", "source_url": file.resolve().as_uri(), **meta}
    meta.setdefault("title", result.fields.get("title") or file.stem.replace("_", " ").replace("-", " "))
    return store_source(folder, source_id, raw, source_id + file.suffix.lower(), result, meta)


def clean_file(file: Path, raw: bytes) -> tuple[CleanResult, dict[str, str]]:
    """Clean one file by its kind; returns the result and any metadata the file carries."""
    name = str(file)
    if not raw.strip():
        raise BotsmithError(f"{name}: the file is empty")
    suffix = file.suffix.lower()
    if suffix in EPUB_SUFFIXES:
        from botsmith.sources.epub import read_epub

        book = read_epub(raw, name=name)
        return clean_text(book.text, name=name), book.meta
    if suffix in MARKDOWN_SUFFIXES:
        decoded = decode_text(raw, name=name)
        result = clean_text(markdown_to_text(decoded.text), name=name)
        result.encoding, result.newline = decoded.encoding, decoded.newline
        return result, {}
    return clean_text(raw, name=name), {}


def _unique_id(folder, base: str, raw: bytes, used: set[str]) -> str:
    """`file-<slug>`, with a hash suffix when another file already has that name."""
    source_id = base
    existing = folder.clean_dir / f"{base}.json"
    if source_id in used or existing.exists() and not already_added(folder, base, sha256(raw)):
        source_id = f"{base}-{sha256(raw)[:8]}"
    used.add(source_id)
    return source_id


def markdown_to_text(text: str) -> str:
    """Markdown as plain text, line for line (front matter and fences become blank lines)."""
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    lines = text.splitlines()
    if lines and lines[0].strip() == "---" and "---" in (line.strip() for line in lines[1:]):
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        lines[: end + 1] = [""] * (end + 1)  # YAML front matter
    out = []
    for line in lines:
        if line.strip().startswith(("```", "~~~")) or re.fullmatch(r"\s*([-*_]\s*){3,}", line):
            out.append("")
            continue
        line = _MD_QUOTE.sub("", line)
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_CODE.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        out.append(line)
    return "\n".join(out) + "\n"
