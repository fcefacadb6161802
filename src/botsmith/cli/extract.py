"""`botsmith extract dialogue|play FILE`: the speech in a text file, as turns or raw spans."""

from __future__ import annotations

from pathlib import Path

import typer

from botsmith.errors import BotsmithError

_QUOTES_HELP = ("Quote convention: auto (detect), double-curly, double-straight, single-curly, single-straight, "
                "guillemets, german, dash.")


def register(app: typer.Typer) -> None:
    extract = typer.Typer(help="Pull the speech out of a novel or a play.", no_args_is_help=True)
    app.add_typer(extract, name="extract")

    @extract.command("dialogue")
    def dialogue(
        file: Path = typer.Argument(..., help="A plain text file (any encoding, any line ends)."),
        spans: Path | None = typer.Option(None, "--spans", help="Write the utterance spans to this JSONL file."),
        quotes: str = typer.Option("auto", "--quotes", help=_QUOTES_HELP),
    ) -> None:
        """Find the quoted speech of a novel and group it into turns by speaker."""
        from botsmith.extract import extract_dialogue

        text = read_text_file(file)
        _report(file, text, extract_dialogue(text, quotes=quotes), spans)

    @extract.command("play")
    def play(
        file: Path = typer.Argument(..., help="A play script as a plain text file."),
        spans: Path | None = typer.Option(None, "--spans", help="Write the utterance spans to this JSONL file."),
    ) -> None:
        """Find the speeches of a play script (speaker names before their lines)."""
        from botsmith.extract.plays import extract_play

        text = read_text_file(file)
        _report(file, text, extract_play(text), spans)


def read_text_file(file: Path) -> str:
    """The file's text exactly as decoded: offsets in the output index this string."""
    from botsmith.sources.encoding import decode_text

    if not file.is_file():
        what = "a folder, not a file" if file.is_dir() else "no such file"
        raise BotsmithError(f"{file}: {what}", hint="give the path of a plain text file")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise BotsmithError(f"{file}: cannot be read ({error.strerror})") from error
    return decode_text(data, name=str(file)).text


def _report(file: Path, text: str, result, spans: Path | None) -> None:
    from botsmith.atomic import write_jsonl

    for warning in result.warnings:
        typer.secho(f"warning: {file}: {warning}", fg="yellow", err=True)
    if spans is not None:
        write_jsonl(spans, result.spans())
    else:
        _print_turns(result)
    speakers = result.speakers
    shown = ", ".join(speakers[:8]) + (f" and {len(speakers) - 8} more" if len(speakers) > 8 else "")
    kind = "play script" if result.convention == "play" else f"{result.convention} quotes"
    typer.echo(f"{file}: {kind}, {result.utterances} utterances, {len(result.turns)} turns, "
               f"{len(result.exchanges())} exchanges, {len(speakers)} speakers found"
               + (f" ({shown})" if speakers else ""), err=True)


def _print_turns(result) -> None:
    scene = None
    for turn in result.turns:
        if turn.scene != scene:
            scene = turn.scene
            typer.secho(f"\n== {scene or '(before the first chapter)'} ==", bold=True)
        who = turn.speaker or "?"
        typer.echo(f"{who}: " + " ".join(" ".join(u.text.split()) for u in turn.utterances))
