"""`botsmith gutenberg search`, `botsmith add gutenberg|files`, `botsmith clean`.

`add_group` is the `botsmith add` group; other stages attach their own sources to it
(`from botsmith.cli.sources import add_group`).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

add_group = typer.Typer(help="Add texts to a bot: Project Gutenberg books, local files.", no_args_is_help=True)
gutenberg_group = typer.Typer(help="Project Gutenberg: search the catalogue.", no_args_is_help=True)

_MIRROR_HELP = "Gutenberg site root or mirror (default: $BOTSMITH_GUTENBERG_MIRROR, the bot config, gutenberg.org)."


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _quiet(line: str) -> None:
    """Per-item lines are not needed during a batch: _finish prints the results and errors."""
    if line.startswith("warning"):
        _err(line)


def refuse_bot_folders(arguments: list, command: str) -> None:
    """`botsmith add files mybot book.txt` reads as adding the folder mybot to the bot in `.`: a bot folder is
    never texts to add, so say how to name the bot instead of failing on (or copying from) the wrong folder."""
    from botsmith.config import CONFIG_NAME
    from botsmith.errors import BotsmithError

    for argument in arguments:
        if (Path(argument) / CONFIG_NAME).is_file():
            raise BotsmithError(f"{argument} is a bot folder, not something to add",
                                hint=f"name the bot with --bot: {command} --bot {argument} ...")


def _finish(report) -> None:
    """Results on stdout, the tally on stderr; failures make the exit non-zero after the rest succeeded."""
    from botsmith.errors import BotsmithError

    for added in report.added:
        typer.echo(added.summary())
    parts = [f"{len(report.added)} added"]
    if report.skipped:
        parts.append(f"{len(report.skipped)} already present")
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    _err(", ".join(parts) + ".")
    for item, message in report.failed[:-1]:
        typer.secho(f"botsmith: error: {_name_item(item, message)}", fg="red", err=True)
    if report.failed:
        raise BotsmithError(_name_item(*report.failed[-1]))


def _name_item(item: str, message: str) -> str:
    return message if item in message else f"{item}: {message}"


@gutenberg_group.command("search")
def search(
    author: Optional[str] = typer.Option(None, "--author", "-a", help="Words of the author's name, e.g. 'Austen'."),
    title: Optional[str] = typer.Option(None, "--title", "-t", help="Words of the title."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Language code, e.g. en."),
    limit: int = typer.Option(50, "--limit", "-n", help="Show at most this many books (0: all)."),
    mirror: Optional[str] = typer.Option(None, "--mirror", help=_MIRROR_HELP),
    refresh: bool = typer.Option(False, "--refresh", help="Fetch the catalogue again even if today's copy is cached."),
) -> None:
    """List matching books (id, title, authors, language) from Gutenberg's catalogue, cached for a day."""
    from botsmith.sources import search_gutenberg

    books = search_gutenberg(author, title, language, mirror=mirror, refresh=refresh, log=_err)
    for book in books[: limit or None]:
        typer.echo(f"{book.id:>6}  {book.title[:60]:<60}  {book.authors[:40]:<40}  {book.language}")
    more = len(books) - len(books[: limit or None])
    _err(f"{len(books)} book{'s' * (len(books) != 1)} found" + (f" ({more} not shown; raise --limit)" if more else ""))


@add_group.command("gutenberg")
def add_gutenberg_command(
    ids: Optional[List[str]] = typer.Argument(None, help="Book numbers, e.g. 1342 158."),
    author: Optional[str] = typer.Option(None, "--author", "-a", help="Add books by this author (see --limit)."),
    title: Optional[str] = typer.Option(None, "--title", "-t", help="Add books whose title has these words."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Only books in this language (with --author)."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="At most this many books from --author/--title."),
    mirror: Optional[str] = typer.Option(None, "--mirror", help=_MIRROR_HELP),
    bot: Path = typer.Option(Path("."), "--bot", "-b", help="The bot's folder."),
    force: bool = typer.Option(False, "--force", help="Clean and store again books already in the bot."),
) -> None:
    """Download Gutenberg books into the bot's data/raw/ and clean them into data/clean/."""
    from botsmith.sources import add_gutenberg

    refuse_bot_folders(ids or [], "botsmith add gutenberg")
    report = add_gutenberg(bot, ids or [], author=author, title=title, language=language, limit=limit,
                           mirror=mirror, force=force, log=_quiet, show_progress=True)
    _finish(report)


@add_group.command("files")
def add_files_command(
    paths: List[Path] = typer.Argument(..., help="Files (.txt, .md, .epub) or folders of them."),
    bot: Path = typer.Option(Path("."), "--bot", "-b", help="The bot's folder."),
    force: bool = typer.Option(False, "--force", help="Clean and store again files already in the bot."),
) -> None:
    """Copy local files into the bot's data/raw/ and clean them into data/clean/."""
    from botsmith.sources import add_files

    refuse_bot_folders(paths, "botsmith add files")
    _finish(add_files(bot, paths, force=force, log=_quiet))


@add_group.command("hub-dataset")
def add_hub_dataset_command(
    repo: str = typer.Argument(..., help="A Hugging Face Hub dataset (owner/name) in botsmith's format."),
    bot: Path = typer.Option(Path("."), "--bot", "-b", help="The bot's folder."),
) -> None:
    """Use a dataset from the Hub as the bot's dataset (replaces data/dataset; then: botsmith train)."""
    from botsmith.dataset.hub import fetch_hub_dataset

    typer.echo(str(fetch_hub_dataset(bot, repo, log=_err)))


def clean_command(
    file: Path = typer.Argument(..., help="A .txt, .md or .epub file."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the cleaned text here (and OUT.json beside it)."),
) -> None:
    """Clean any file the way sources are cleaned and print the result (or write it to OUT)."""
    from botsmith.atomic import write_json, write_text
    from botsmith.errors import BotsmithError
    from botsmith.sources.files import clean_file

    try:
        raw = file.read_bytes()
    except OSError as error:
        raise BotsmithError(f"{file}: cannot read ({error.strerror})") from None
    result, _ = clean_file(file, raw)
    summary = (f"{file}: {result.kind}, {result.encoding}, {len(result.chapters)} chapters, "
               f"{len(result.text):,} characters; removed:")
    if out is None:
        typer.echo(result.text, nl=False)
    else:
        write_text(out, result.text)
        chapters = [{"title": c.title, "start": c.start, "end": c.end} for c in result.chapters]
        write_json(out.with_name(out.name + ".json"), {"removed": result.manifest(), "chapters": chapters,
                                                       **result.fields})
        summary = f"wrote {out} and {out.name}.json. " + summary
    _err(summary)
    for entry in result.removed:
        if entry.what != "illustration":
            _err(f"  lines {entry.start_line}-{entry.end_line}: {entry.what}: {entry.preview}")
    illustrations = sum(1 for entry in result.removed if entry.what == "illustration")
    if illustrations:
        _err(f"  {illustrations} illustration blocks")


def register(app: typer.Typer) -> None:
    app.add_typer(gutenberg_group, name="gutenberg")
    app.add_typer(add_group, name="add")
    app.command("clean")(clean_command)
