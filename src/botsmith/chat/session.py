"""`botsmith chat`: an interactive conversation in the terminal, streamed token by token.

Line editing and a persistent history come from Python's readline when the input is
a terminal; piped input is read line by line (that is how the tests drive it).
Ctrl-C during a reply stops the reply; Ctrl-C or Ctrl-D at the prompt ends the
session. Commands start with a slash; `/help` lists them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from botsmith.chat.chatbot import Chatbot
from botsmith.errors import BotsmithError

HELP = """Commands:
  /reset          forget the conversation (the system prompt stays)
  /save FILE      save the conversation (.json: messages; .txt or .md: a transcript)
  /system TEXT    set the system prompt (/system alone removes it)
  /temp X         set the sampling temperature (0: greedy)
  /help           this list
  /quit           leave (Ctrl-D and Ctrl-C at the prompt leave too)"""

# A small bot can end its turn before its first word (the end-of-turn marker sampled first): said on stderr, since
# an empty line alone looks like a hang or a broken model.
NO_REPLY = "(no reply: the bot ended its turn before saying a word)"
HISTORY_LINE_LIMIT = 4000  # longer lines (pastes) are not kept in the readline history


class ChatSession:
    def __init__(self, bot: Chatbot, *, sampling: dict[str, Any] | None = None, stdin: TextIO | None = None,
                 stdout: TextIO | None = None, stderr: TextIO | None = None, history_file: Path | None = None) -> None:
        self.bot = bot
        self.sampling = {key: value for key, value in (sampling or {}).items() if value is not None}
        self.messages: list[dict[str, str]] = []
        self.stdin, self.stdout, self.stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
        self.interactive = self.stdin is sys.stdin and sys.stdin.isatty()
        self.history_file = history_file

    @property
    def system(self) -> str:
        return self.bot.system_prompt

    @system.setter
    def system(self, text: str) -> None:
        # On the bot itself: "none" must also keep a base template's own persona out.
        self.bot.system_prompt = text

    def conversation(self) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return system + self.messages

    def run(self) -> None:
        """Read, reply, repeat, until /quit, end of input or Ctrl-C at the prompt."""
        readline = self._start_readline()
        try:
            self._say(f"Talking to {self.bot.name}. /help lists the commands; Ctrl-D leaves.")
            if self.bot.mode == "completion":
                self._say(f"{self.bot.name} is a completion bot: 'botsmith complete' continues a story opening.")
            while (line := self._read()) is not None:
                if not self.handle(line):
                    break
        except KeyboardInterrupt:  # Ctrl-C between replies (not only at the prompt) leaves cleanly too
            self._say("")
        finally:
            if readline is not None and self.history_file is not None:
                _save_history(readline, self.history_file)

    def handle(self, line: str) -> bool:
        """One line of input; False when the session should end."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return True
        if line.startswith("/") and not line.startswith("//"):
            return self.command(line)
        self.respond(line[1:] if line.startswith("//") else line)
        return True

    def respond(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})
        try:
            stream = self.bot.stream(self.conversation(), **self.sampling)
        except BotsmithError as error:
            self.messages.pop()
            self._say(f"error: {error}")
            return
        if notice := self.bot.last_fit.notice():
            self._say(notice)
        pieces: list[str] = []
        try:
            for piece in stream:
                if not pieces:
                    piece = piece.lstrip()  # a reply that opens with a newline looks broken in a terminal
                    if not piece:
                        continue
                pieces.append(piece)
                self.stdout.write(piece)
                self.stdout.flush()
        except KeyboardInterrupt:
            stream.close()
            self._say("\n[reply stopped]")
        self.stdout.write("\n\n")
        self.stdout.flush()
        reply = "".join(pieces).strip()
        if not reply and stream.stats.finish_reason == "stop":
            # left out of the conversation: asked again, the bot does not see itself having said nothing
            self.messages.pop()
            self._say(f"{NO_REPLY}: say it again, or raise /temp")
            return
        self.messages.append({"role": "assistant", "content": reply})

    def command(self, line: str) -> bool:
        name, _, argument = line.partition(" ")
        action = COMMANDS.get(name.lower())
        if action is None:
            self._say(f"unknown command {name}; /help lists the commands")
            return True
        return action(self, argument.strip()) is not False

    def _say(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)

    def _read(self) -> str | None:
        try:
            if self.interactive:
                return input("you> ")
            line = self.stdin.readline()
            return line if line else None
        except EOFError:
            return None
        except KeyboardInterrupt:
            self._say("")
            return None

    def _start_readline(self) -> Any:
        if not self.interactive:
            return None
        try:
            import readline
        except ImportError:  # Windows without pyreadline: plain input() still works
            return None
        if self.history_file is not None and self.history_file.is_file():
            try:
                readline.read_history_file(str(self.history_file))
            except OSError:
                pass
        readline.set_history_length(1000)
        return readline


def _save_history(readline: Any, path: Path) -> None:
    # Drop pasted walls of text so the history file stays a list of things worth recalling.
    for index in range(readline.get_current_history_length(), 0, -1):
        item = readline.get_history_item(index)
        if item is not None and len(item) > HISTORY_LINE_LIMIT:
            readline.remove_history_item(index - 1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(str(path))
    except OSError:
        pass  # a read-only home must not spoil the end of a conversation


def _reset(session: ChatSession, argument: str) -> None:
    session.messages.clear()
    session._say("Conversation forgotten.")


def _save(session: ChatSession, argument: str) -> None:
    from botsmith.atomic import write_json, write_text

    if not argument:
        session._say("usage: /save FILE")
        return
    path = Path(argument).expanduser()
    try:
        if path.suffix.lower() in {".txt", ".md"}:
            names = {"system": "system", "user": "you", "assistant": session.bot.name}
            write_text(path, "".join(f"{names[m['role']]}: {m['content']}\n\n" for m in session.conversation()))
        else:
            write_json(path, {"bot": session.bot.name, "messages": session.conversation()})
    except OSError as error:
        session._say(f"cannot write {path}: {error.strerror or error}")
        return
    session._say(f"Saved {len(session.messages)} message(s) to {path}")


def _system(session: ChatSession, argument: str) -> None:
    session.system = argument
    session._say(f"System prompt set: {argument}" if argument else "System prompt removed.")


def _temp(session: ChatSession, argument: str) -> None:
    try:
        value = float(argument)
        session.bot.sampling(**{**session.sampling, "temperature": value})
    except (ValueError, BotsmithError):
        session._say(f"/temp needs a number from 0 to 5, got {argument!r}")
        return
    session.sampling["temperature"] = value
    session._say(f"Temperature {value:g}.")


def _help(session: ChatSession, argument: str) -> None:
    session._say(HELP)


def _quit(session: ChatSession, argument: str) -> bool:
    return False


COMMANDS: dict[str, Callable[[ChatSession, str], bool | None]] = {
    "/reset": _reset, "/save": _save, "/system": _system, "/temp": _temp, "/help": _help,
    "/quit": _quit, "/exit": _quit, "/bye": _quit,
}


def history_path() -> Path:
    from botsmith.models import botsmith_home

    return botsmith_home() / "chat_history"
