"""The one exception type a user sees.

A `BotsmithError` is a user's mistake or an outside failure (bad config, no network,
a file that is not a chat export). The CLI prints its message on one line and exits
non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class BotsmithError(Exception):
    """An error whose message tells the user what went wrong and what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} ({hint})")


class ConfigError(BotsmithError):
    """A config file or option that cannot be used; the message names the file and key."""

    exit_code = 2


def missing_dependency(package: str, extra: str | None = None) -> BotsmithError:
    """The error for an optional dependency that is not installed, with the install line."""
    target = f"botsmith[{extra}]" if extra else package
    return BotsmithError(f"{package} is not installed", hint=f"pip install '{target}'")
