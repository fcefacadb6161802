"""Every command's help reads as written: the markdown renderer keeps placeholders, hints name real commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import typer

from botsmith.cli import app

# <run-id> in a help text is an HTML tag to the markdown renderer: it disappears from --help.
HTML_LIKE = re.compile(r"<[A-Za-z][\w-]*>")


def _commands(command: click.Command, path: str = "botsmith"):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_no_help_text_has_a_placeholder_the_renderer_would_eat():
    eaten = []
    for path, command in _commands(typer.main.get_command(app)):
        texts = [command.help or ""] + [getattr(param, "help", None) or "" for param in command.params]
        eaten += [f"{path}: {text}" for text in texts if HTML_LIKE.search(text)]
    assert not eaten


def test_train_help_shows_the_run_folder():
    out = subprocess.run([sys.executable, "-m", "botsmith", "train", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0 and "runs/RUN-ID/" in out.stdout


def test_every_hint_names_a_command_that_exists():
    """`hint="... botsmith dataset build ..."` must be something the user can type."""
    root = typer.main.get_command(app)
    source = Path(__file__).resolve().parents[1] / "src" / "botsmith"
    named = set()
    for path in source.rglob("*.py"):
        for hint in re.findall(r'hint=f?"([^"]*)"', path.read_text()):
            named.update((path.name, words) for words in re.findall(r"\bbotsmith ((?:[a-z][a-z-]*\b ?)+)", hint))
    assert named
    unknown = []
    for file, words in named:
        command = root
        for word in words.split():
            if not getattr(command, "commands", None):
                break  # the rest are arguments
            if word not in command.commands:
                if command is root:
                    unknown.append(f"{file}: botsmith {words}")
                else:
                    unknown.append(f"{file}: botsmith {words} ({word!r} is not a subcommand)")
                break
            command = command.commands[word]
    assert not unknown


def test_a_mistyped_command_or_option_is_a_usage_line_not_a_traceback():
    for argv in (["add", "alice", "book.txt"], ["train", "--no-such-option"], ["no-such-command"]):
        out = subprocess.run([sys.executable, "-m", "botsmith", *argv], capture_output=True, text=True)
        assert out.returncode == 2, argv
        assert "Traceback" not in out.stderr and "Error: No such" in out.stderr, argv
