"""`botsmith serve`: an OpenAI-compatible HTTP API and a chat page for one bot.

    serve("mybot")                      # blocks; Ctrl-C stops it
    server = start_server(chatbot)      # in a background thread (tests, notebooks)
    server.url, server.stop()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from botsmith.callable_module import make_callable
from botsmith.chat.chatbot import Chatbot
from botsmith.errors import BotsmithError, missing_dependency
from botsmith.serve.app import ServeSettings, create_app

__all__ = ["RunningServer", "ServeSettings", "create_app", "serve", "start_server"]

make_callable(__name__, "serve")  # botsmith.serve(...) stays the function after this package is imported


def _settings(chatbot: Chatbot, **overrides: Any) -> ServeSettings:
    return ServeSettings.from_config(chatbot.defaults, **overrides)


def _uvicorn_server(chatbot: Chatbot, settings: ServeSettings, *, quiet: bool) -> Any:
    try:
        import uvicorn
    except ImportError:
        raise missing_dependency("uvicorn") from None

    app = create_app(chatbot, settings)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            # End the generations first: their responses then finish at once, instead of holding the
            # shutdown for its grace period and being cut off after it.
            app.state.queue.close()
            await super().shutdown(sockets)

    # uvicorn counts the connection being checked among the open ones, hence the + 1.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning" if quiet else "info",
                            access_log=not quiet, timeout_graceful_shutdown=3,
                            limit_concurrency=settings.max_connections + 1)
    return Server(config)


def serve(bot: Chatbot | str | Path = ".", *, checkpoint: str | None = None, host: str | None = None,
          port: int | None = None, api_key: str | None = None, log: Callable[[str], None] = print) -> None:
    """Serve a bot (a Chatbot or a bot folder) until interrupted. The API key is never printed."""
    chatbot = bot if isinstance(bot, Chatbot) else Chatbot.from_bot(bot, checkpoint, log=log)
    settings = _settings(chatbot, host=host, port=port, api_key=api_key or None)
    if settings.port == 0:  # "any free port": choose it now so the line below names it
        settings = replace(settings, port=_check_port_free(settings.host, 0))
    else:
        _check_port_free(settings.host, settings.port)
    server = _uvicorn_server(chatbot, settings, quiet=False)
    shown_host = f"[{settings.host}]" if ":" in settings.host else settings.host
    log(f"Serving {chatbot.name} at http://{shown_host}:{settings.port}/ (chat page) and /v1 (OpenAI API)"
        + ("; clients must send the API key" if settings.api_key else ""))
    if settings.host not in {"127.0.0.1", "localhost", "::1"} and not settings.api_key:
        log(f"Warning: listening beyond this machine without an API key (set --api-key or ${chatbot.defaults.api_key_env}).")
    server.run()


def _check_port_free(host: str, port: int) -> int:
    """Fail with one clear line before starting uvicorn, rather than with its log and exit; returns the port."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise BotsmithError(f"cannot listen on {host}:{port} ({error.strerror})",
                                hint=f"is another server using it? try --port {port + 1}") from None
        return probe.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    settings: ServeSettings
    _server: Any
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


def start_server(chatbot: Chatbot, *, timeout_s: float = 30.0, **overrides: Any) -> RunningServer:
    """Run the server in a background thread on a free port (port=0 by default); returns once it listens."""
    settings = _settings(chatbot, **{"port": 0, **overrides})
    server = _uvicorn_server(chatbot, settings, quiet=True)
    thread = threading.Thread(target=server.run, name="botsmith-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BotsmithError(f"the server did not start on {settings.host}:{settings.port}")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(f"http://{settings.host}:{port}", settings, server, thread)
