"""`botsmith chats parse|add|formats` and `botsmith selfchatbot preprocess|train|play`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import List, Optional

import typer

FORMAT_HELP = "Export format (skips detection): see 'botsmith chats formats'."


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _chats_commands(chats: typer.Typer) -> None:
    @chats.command("parse")
    def parse(
        file: Path = typer.Argument(..., help="A chat export file (or a Slack export folder)."),
        format: Optional[str] = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
        all_: bool = typer.Option(False, "--all", help="Also print system notices, deletions, forwards and empty "
                                                       "messages (see their flags)."),
    ) -> None:
        """Print the export's messages as JSONL: {"author", "timestamp", "text", "flags", "chat"}, sorted by time."""
        from botsmith.chats import parse_chat

        result = parse_chat(file, format)
        for warning in result.warnings:
            _err(f"botsmith: warning: {warning}")
        shown = [m for m in result.messages if all_ or m.printed]
        typer.echo("".join(json.dumps(m.to_json(), ensure_ascii=False) + "\n" for m in shown), nl=False)
        _err(f"{result.path.name}: {result.format}, {len(shown)} of {len(result.messages)} messages printed")

    @chats.command("add")
    def add(
        paths: List[Path] = typer.Argument(..., help="Chat export files or Slack export folders (copied, never moved)."),
        bot: Path = typer.Option(Path("."), "--bot", "-b", help="The bot's folder."),
        format: Optional[str] = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
    ) -> None:
        """Check each export and copy it into the bot's data/raw/chats/."""
        from botsmith.chats import add_chats
        from botsmith.cli.sources import refuse_bot_folders

        refuse_bot_folders(paths, "botsmith chats add")
        for added in add_chats(bot, list(paths), format=format):
            for warning in added.warnings:
                _err(f"botsmith: warning: {warning}")
            state = "added" if added.copied else "already present"
            who = ", ".join(added.authors[:5]) + (" ..." if len(added.authors) > 5 else "")
            typer.echo(f"{added.path}: {state} ({added.format}, {added.messages} messages; authors: {who})")

    @chats.command("formats")
    def formats_() -> None:
        """List the export formats botsmith reads, in detection order."""
        from botsmith.chats import formats

        for name, export_format in formats().items():
            typer.echo(f"  {name:<14} {export_format.description}")


def _selfchatbot_commands(group: typer.Typer) -> None:
    dataset_option = typer.Option(..., "--dataset", "-d", help="The selfchatbot dataset ID (Dataset_{ID}_{Name}).")

    @group.command("preprocess")
    def preprocess(dataset: str = dataset_option) -> None:
        """Make (or update) the dataset's bot folder from parameters.json and build its training data."""
        from botsmith.chats.selfchatbot import preprocess as run

        typer.echo(str(run(dataset, log=_err)))

    @group.command("train")
    def train(dataset: str = dataset_option) -> None:
        """Fine-tune the dataset's bot as parameters.json says (lora, qlora or fine_tune)."""
        from botsmith.chats.selfchatbot import train as run

        result = run(dataset, log=_err)
        typer.echo(str(result.run_dir))

    @group.command("play")
    def play(
        dataset: str = dataset_option,
        type_: str = typer.Option("session", "--type", "-t", help="session: talk in the terminal; prompt: one reply."),
        prompt: Optional[str] = typer.Option(None, "--prompt", "-p", help="The message to answer (-t prompt)."),
        model_type: str = typer.Option("best", "--model-type", "-mt", help="best or final checkpoint."),
    ) -> None:
        """Talk to the trained bot."""
        from botsmith.chats.selfchatbot import load_chatbot
        from botsmith.errors import BotsmithError

        if type_ not in ("session", "prompt"):
            raise BotsmithError(f"-t {type_}: choose session or prompt")
        if type_ == "prompt" and not prompt:
            raise BotsmithError("-t prompt needs the message: -p 'hello'")
        bot = load_chatbot(dataset, model_type)
        if type_ == "prompt":
            typer.echo(bot.reply([{"role": "user", "content": prompt}]))
            return
        from botsmith.chat.session import ChatSession

        ChatSession(bot).run()


def _selfchatbot_script(verb: str) -> Callable[[], None]:
    def script() -> None:
        """selfchatbot's own command names: `selfChatBot_VERB -d ID ...` is `botsmith selfchatbot VERB -d ID ...`."""
        from botsmith.cli import main

        main(["selfchatbot", verb, *sys.argv[1:]])

    return script


# Installed as selfChatBot_preprocess, selfChatBot_train and selfChatBot_play (pyproject.toml).
selfchatbot_preprocess = _selfchatbot_script("preprocess")
selfchatbot_train = _selfchatbot_script("train")
selfchatbot_play = _selfchatbot_script("play")


def register(app: typer.Typer) -> None:
    chats = typer.Typer(help="Chat exports (Discord, WhatsApp, Telegram, Slack, JSONL): parse, add to a bot.",
                        no_args_is_help=True)
    _chats_commands(chats)
    app.add_typer(chats, name="chats")
    selfchatbot = typer.Typer(help="selfchatbot compatibility: preprocess, train and play a Dataset_{ID}_{Name}.",
                              no_args_is_help=True)
    _selfchatbot_commands(selfchatbot)
    app.add_typer(selfchatbot, name="selfchatbot")
