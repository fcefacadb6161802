"""The `botsmith` command: thin wrappers that parse, call one library function, print.

Each stage registers its commands from its own module here; heavy imports (torch,
transformers) happen inside the commands, so `botsmith --help` stays instant.
"""

from __future__ import annotations

import importlib
import sys

import typer

from botsmith import __version__
from botsmith.errors import BotsmithError

app = typer.Typer(
    name="botsmith",
    help="Turn the texts you love into a bot you can talk to.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="markdown",  # help texts name config tables like [bot], which rich markup would eat
)

# One module per stage; each defines register(app).
COMMAND_MODULES = ("bots", "models", "sources", "extract", "dataset", "chats", "train", "eval", "talk", "export")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"botsmith {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Turn the texts you love into a bot you can talk to."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"botsmith.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit."""
    try:
        # Without standalone mode click returns a command's exit code instead of exiting.
        code = app(args=argv, standalone_mode=False)
    except BotsmithError as error:
        message = error.message + (f" ({error.hint})" if error.hint else "")
        typer.secho(f"botsmith: error: {message}", fg="red", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.echo("\nInterrupted.", err=True)
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except Exception as error:
        if isinstance(error, _usage_errors()):
            error.show()
            sys.exit(error.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors (unknown command, missing argument): typer 0.16-0.2x raises click's own,
    later typer its vendored copy (typer._click), so both are recognised."""
    errors: list[type[Exception]] = []
    try:
        import click

        errors.append(click.exceptions.ClickException)
    except ImportError:
        pass
    try:
        from typer._click.exceptions import ClickException
    except ImportError:
        pass
    else:
        errors.append(ClickException)
    return tuple(errors)
