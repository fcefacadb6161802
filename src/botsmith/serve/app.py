"""The FastAPI app: OpenAI-compatible routes under /v1, /health, and the chat page at /.

Requests are checked here (model name, token limits, API key) and handed to the
single generation worker through the bounded queue. Every failure is answered in
OpenAI's error shape with a 4xx status (5xx only for a bug), and none of them stops
the server.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException

from botsmith.chat.chatbot import Chatbot
from botsmith.chat.chatbot import Request as ReplyRequest  # fastapi's Request is the HTTP one
from botsmith.chat.generate import GenerationStream
from botsmith.errors import BotsmithError
from botsmith.serve.guard import RequestGuard
from botsmith.serve.limits import BodyLimit
from botsmith.serve.queue import SHUTDOWN, Event, GenerationQueue, Job, QueueFull, Work
from botsmith.serve.responses import ChatReply, ReplyBuilder, TextReply, sse
from botsmith.serve.schema import APIError, ChatCompletionRequest, CompletionRequest, SamplingRequest, error_body

logger = logging.getLogger("botsmith.serve")


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_body_bytes: int = 1_000_000
    max_tokens_limit: int = 2048
    queue_size: int = 8
    max_prompts: int = 16
    max_messages: int = 512
    max_request_tokens: int = 16384
    body_timeout: float = 30.0
    max_connections: int = 64
    allowed_hosts: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, section: Any, **overrides: Any) -> "ServeSettings":
        import os

        names = [name for name in cls.__dataclass_fields__ if name != "api_key"]
        values = {name: getattr(section, name) for name in names}
        values["allowed_hosts"] = tuple(values["allowed_hosts"])
        values["api_key"] = os.environ.get(section.api_key_env) or None
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


class ClientGone(Exception):
    pass


def create_app(chatbot: Chatbot, settings: ServeSettings) -> FastAPI:
    work_queue = GenerationQueue(settings.queue_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        work_queue.start()
        yield
        work_queue.stop()

    app = FastAPI(title=f"botsmith: {chatbot.name}", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.chatbot, app.state.settings, app.state.queue = chatbot, settings, work_queue
    _add_error_handlers(app)
    _add_info_routes(app, chatbot, settings, work_queue)
    _add_generation_routes(app, chatbot, settings, work_queue)
    # The last added runs first: headers (host, origin, key, content type) are checked before the body is read.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    app.add_middleware(RequestGuard, host=settings.host, allowed_hosts=settings.allowed_hosts, api_key=settings.api_key)
    return app


def _add_error_handlers(app: Any) -> None:
    @app.exception_handler(APIError)
    async def api_error(request: Any, error: APIError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Any, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        # A failed Union lists every member's complaint: ours (a value_error) says more than "not a string".
        first = next((item for item in errors if item["type"] == "value_error"), errors[0])
        if first["type"] in {"json_invalid", "json_type"}:
            reason = first.get("ctx", {}).get("error", "not JSON")
            return JSONResponse(error_body(f"malformed JSON in the request body ({reason})", code="invalid_json"), 400)
        # loc also names the member of a Union that was tried ("list[ContentPart]", "function-after[...]"): not a field
        param = ".".join(str(part) for part in first["loc"] if part != "body" and "[" not in str(part)) or None
        reason = first["msg"].removeprefix("Value error, ")
        message = f"{param or 'body'}: {reason}" + (f" (got {first['input']!r:.60})" if first["type"] != "missing" else "")
        return JSONResponse(error_body(message, param=param, code="invalid_value"), 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Any, error: HTTPException) -> JSONResponse:
        message = "no such route" if error.status_code == 404 else str(error.detail)
        return JSONResponse(error_body(f"{message}: {request.method} {request.url.path}", code=str(error.status_code)),
                            error.status_code)

    @app.exception_handler(Exception)
    async def bug(request: Any, error: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal server error", type="server_error"), 500)


def _add_info_routes(app: Any, chatbot: Chatbot, settings: ServeSettings, work_queue: GenerationQueue) -> None:
    model = {"id": chatbot.name, "object": "model", "created": 0, "owned_by": "botsmith"}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": chatbot.name, "busy": work_queue.busy,
                "queue": {"waiting": work_queue.waiting, "size": work_queue.size},
                "finished": dict(work_queue.finished)}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [model]}

    @app.get("/v1/models/{name}")
    async def one_model(name: str) -> dict[str, Any]:
        _check_model(chatbot, name)
        return model

    page = _chat_page(chatbot, with_system_prompt=not settings.api_key)

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return page


def _chat_page(chatbot: Chatbot, *, with_system_prompt: bool) -> str:
    """The page with the bot's name and defaults filled in. Anyone who can reach the server may load it, so with
    an API key it leaves out the system prompt."""
    template = resources.files("botsmith.serve").joinpath("static/index.html").read_text(encoding="utf-8")
    defaults = chatbot.defaults
    config = {"model": chatbot.name, "temperature": defaults.temperature, "top_p": defaults.top_p,
              "max_tokens": defaults.max_new_tokens, "system": chatbot.system_prompt if with_system_prompt else None}
    values = {"__BOT_NAME__": html.escape(chatbot.name), "__BOT_CONFIG__": _script_json(config)}
    # One pass: a value that contains a placeholder (a bot named "__BOT_CONFIG__") is not filled in again.
    return re.sub("|".join(values), lambda match: values[match.group()], template)


def _script_json(value: Any) -> str:
    """JSON that cannot end or open anything inside a <script> element: <, > and & as \\u escapes."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _check_model(chatbot: Chatbot, name: str) -> None:
    if name != chatbot.name:
        raise APIError(404, f"the model '{name}' does not exist; this server serves '{chatbot.name}' (GET /v1/models)",
                       param="model", code="model_not_found")


def _sampling(body: SamplingRequest, chatbot: Chatbot, settings: ServeSettings, prompts: int = 1) -> dict[str, Any]:
    tokens = body.requested_tokens()
    if tokens is not None and tokens > settings.max_tokens_limit:
        raise APIError(400, f"max_tokens = {tokens} is larger than this server's limit of {settings.max_tokens_limit}",
                       param="max_tokens", code="invalid_value")
    max_new = tokens or min(chatbot.defaults.max_new_tokens, settings.max_tokens_limit)
    _check_total(prompts, body.n, max_new, settings.max_request_tokens)
    return {"temperature": body.temperature, "top_p": body.top_p, "top_k": body.top_k, "min_p": body.min_p,
            "epsilon_cutoff": body.epsilon_cutoff, "repetition_penalty": body.repetition_penalty, "max_new_tokens": max_new,
            "min_new_tokens": min(body.min_tokens, max_new), "seed": body.seed}


def _check_count(what: str, count: int, limit: int, param: str) -> None:
    if count > limit:
        raise APIError(400, f"{param}: {count:,} {what} in one request; this server takes at most {limit:,}",
                       param=param, code="too_many_items")


def _check_total(prompts: int, n: int, max_new: int, limit: int) -> None:
    """Bound the work one request can queue: every prompt is answered n times, each up to max_tokens."""
    total = prompts * n * max_new
    if total > limit:
        raise APIError(400, f"this request asks for up to {total:,} new tokens ({prompts:,} prompt(s) x n={n} x "
                            f"max_tokens={max_new:,}); this server's limit is {limit:,} per request",
                       param="max_tokens", code="too_many_tokens")


def _add_generation_routes(app: Any, chatbot: Chatbot, settings: ServeSettings, work_queue: GenerationQueue) -> None:
    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Any:
        _check_model(chatbot, body.model)
        _check_count("messages", len(body.messages), settings.max_messages, "messages")
        sampling, stops = _sampling(body, chatbot, settings), body.stop_list()
        messages = [message.as_message() for message in body.messages]

        def work(cancel: Any) -> Any:
            each = chatbot.sample_settings(body.n, sampling)
            if not body.stream and body.n > 1:
                choices = [ReplyRequest(messages=messages, sampling=settings, stop=stops) for settings in each]
                yield from _side_by_side(chatbot, choices, cancel)
                return
            for settings in each:
                yield chatbot.stream(messages, stop=stops, cancel=cancel, **settings)

        return await _respond(request, work_queue, work, body, ChatReply(chatbot.name, 1, body.n))

    @app.post("/v1/completions")
    async def completions(body: CompletionRequest, request: Request) -> Any:
        _check_model(chatbot, body.model)
        prompts = body.prompts()
        if not prompts:
            raise APIError(400, "prompt: give at least one prompt", param="prompt")
        _check_count("prompts", len(prompts), settings.max_prompts, "prompt")
        sampling, stops = _sampling(body, chatbot, settings, len(prompts)), body.stop_list()

        def work(cancel: Any) -> Any:
            each = chatbot.sample_settings(body.n, sampling)
            if not body.stream and len(prompts) * body.n > 1:
                choices = [ReplyRequest(text=prompt, sampling=settings, stop=stops) for prompt in prompts for settings in each]
                yield from _side_by_side(chatbot, choices, cancel)
                return
            for prompt in prompts:
                for settings in each:
                    yield chatbot.stream_complete(prompt, stop=stops, cancel=cancel, **settings)

        return await _respond(request, work_queue, work, body, TextReply(chatbot.name, prompts, body.n, body.echo))


def _side_by_side(chatbot: Chatbot, requests: list[Any], cancel: Any) -> Any:
    """A request's several choices (`n`, or several prompts), not streamed: decoded side by side
    (`Chatbot.replies`), then handed to the queue as finished streams, one piece each."""
    for text, stats in chatbot.replies(requests, cancel=cancel):
        yield GenerationStream(_one_piece(text), stats)


def _one_piece(text: str) -> Any:
    # a generator, as a stream's pieces are: the queue closes the stream of a cancelled job
    if text:
        yield text


async def _respond(request: Any, work_queue: GenerationQueue, work: Work, body: SamplingRequest,
                   builder: ReplyBuilder) -> Any:
    try:
        job = work_queue.submit(work)
    except QueueFull:
        raise APIError(429, f"the server is busy ({work_queue.size} requests already waiting); retry shortly",
                       type="rate_limit_error", code="rate_limit_exceeded") from None
    watcher = asyncio.create_task(_cancel_when_gone(request.receive, job))
    streaming = False
    try:
        first = await _next_event(job)
        if first.kind == "error":
            raise _as_api_error(first.error)
        if body.stream:
            streaming = True  # from here the StreamingResponse watches for the disconnect, and ends the job
            return StreamingResponse(_stream(job, first, builder, body.include_usage), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        texts, stats = await _collect(job, first)
        return JSONResponse(builder.full(texts, stats))
    except ClientGone:
        return Response(status_code=499)
    finally:
        watcher.cancel()
        if not streaming:
            job.cancel()


async def _cancel_when_gone(receive: Any, job: Job) -> None:
    """Cancel the job the moment its client disconnects, waiting in the queue or generating.

    The body has been read already, so the next message the server sends is the disconnect."""
    while (await receive())["type"] != "http.disconnect":
        pass
    job.cancel()


async def _next_event(job: Job) -> Event:
    event = await job.events.get()
    if event.kind == "cancelled":
        raise _stopping() if event.text == SHUTDOWN else ClientGone
    return event


def _stopping() -> APIError:
    return APIError(503, "the server is shutting down; retry when it is back", type="server_error",
                    code="server_shutting_down")


async def _collect(job: Job, event: Event) -> tuple[dict[int, str], dict[int, Any]]:
    texts: dict[int, str] = defaultdict(str)
    stats: dict[int, Any] = {}
    while event.kind != "end":
        if event.kind == "error":
            raise _as_api_error(event.error)
        if event.kind == "piece":
            texts[event.index] += event.text
        elif event.kind == "done":
            stats[event.index] = event.stats
        event = await _next_event(job)
    return texts, stats


async def _stream(job: Job, event: Event, builder: Any, include_usage: bool) -> AsyncIterator[str]:
    """Server-sent events in OpenAI's chunk format, ending with `data: [DONE]`."""
    started: set[int] = set()
    stats: dict[int, Any] = {}
    try:
        while event.kind != "end":
            if event.kind == "cancelled":  # the server is stopping (a client that left reads nothing more)
                yield sse(_stopping().body())
                return
            if event.kind == "error":
                yield sse(_as_api_error(event.error).body())
                break
            if event.index not in started:
                started.add(event.index)
                if (head := builder.start_chunk(event.index)) is not None:
                    yield sse(head)
            if event.kind == "piece":
                yield sse(builder.piece_chunk(event.index, event.text))
            elif event.kind == "done":
                stats[event.index] = event.stats
                yield sse(builder.finish_chunk(event.index, event.stats))
            event = await job.events.get()
        else:
            if include_usage:
                yield sse(builder.usage_chunk(stats))
        yield sse("[DONE]")
    finally:
        job.cancel()  # the client went away mid-stream, or we are done: either way stop generating


def _as_api_error(error: BaseException | None) -> APIError:
    if isinstance(error, APIError):
        return error
    if isinstance(error, BotsmithError):
        return APIError(400, str(error), code="invalid_value")
    logger.error("generation failed", exc_info=error)
    return APIError(500, "generation failed on the server", type="server_error")
