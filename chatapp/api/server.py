"""An OpenAI-compatible HTTP API over the loaded model (FastAPI on uvicorn, in-process).

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` and ``POST /v1/completions``
(streamed as server-sent events or not, with ``stop``, ``max_tokens``, ``temperature``,
``top_p``, ``seed`` and, for chat, ``response_format`` JSON through llama.cpp grammars), and
``POST /v1/embeddings``, which says in OpenAI's error shape that no embedding model is loaded.

Safe by default: it binds 127.0.0.1; a bearer key is required (``api_key=None`` only on a
loopback address); CORS is off unless origins are listed; request bodies are limited; a client
that disconnects stops its generation within a token; requests take turns through the
``Scheduler``, whose bounded line answers 429 with Retry-After when full.

Requests go to the same ``Engine`` the window uses. A request carries no conversation id, so
the engine forgets which conversation its cache holds; the window's next turn then loads that
conversation's saved state (instant reopen) instead of evaluating it again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatapp.api import DEFAULT_HOST, DEFAULT_PORT
from chatapp.core.chat.scheduler import QueueFull, Scheduler, Ticket
from chatapp.core.config.settings import GenerationSettings, SettingsError
from chatapp.core.errors import EngineError
from chatapp.core.inference.backend import Event, Finished, TextDelta, ThinkingDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.embeddings import Embedder
from chatapp.core.inference.engine import (
    ContextOverflowError,
    Engine,
    NoModelError,
    TemplateError,
    json_grammar,
)
from chatapp.core.inference.metrics import ReplyMetrics, StopReason

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 4 * 1024 * 1024  # a long conversation in JSON; a request over it gets 413


@dataclass
class ServerOptions:
    """How the server runs. ``api_key`` None: no key (allowed on loopback only)."""

    api_key: str | None
    cors_origins: tuple[str, ...] = ()
    max_body: int = DEFAULT_MAX_BODY
    defaults: Callable[[], GenerationSettings] = GenerationSettings
    # saves each finished chat request and its reply (a setting, off by default); called on
    # the request's generation thread with (messages, reply, thinking, metrics, model name)
    save: Callable[[list[ChatMessage], str, str, ReplyMetrics, str], None] | None = None
    embedder: Embedder | None = None  # serves /v1/embeddings when given


class APIError(Exception):
    """An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind
        self.code, self.param, self.headers = code, param, headers

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


# -- requests ---------------------------------------------------------------------------------


class _Request(BaseModel):
    # clients send fields we do not use (user, logprobs: false, ...): accepted and ignored
    model_config = ConfigDict(extra="allow")

    model: str | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    n: int = 1


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[_Part] | None = None


class _ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class ChatRequest(_Request):
    messages: list[_Message] = Field(min_length=1)
    response_format: _ResponseFormat | None = None


class CompletionRequest(_Request):
    prompt: str


class EmbeddingRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    input: str | list[str]
    model: str | None = None


def _settings(req: _Request, defaults: GenerationSettings) -> GenerationSettings:
    if req.n != 1:
        raise APIError(400, "only n=1 is supported: one reply per request", param="n")
    stop = [req.stop] if isinstance(req.stop, str) else req.stop
    changes: dict[str, Any] = {
        "temperature": None if req.temperature is None else float(req.temperature),
        "top_p": None if req.top_p is None else float(req.top_p),
        "seed": req.seed,
        "max_tokens": req.max_completion_tokens or req.max_tokens,
        "stop": tuple(stop) if stop is not None else None,
    }
    try:
        return defaults.updated(**changes)
    except SettingsError as exc:
        raise APIError(400, str(exc), param=exc.setting) from exc


def _messages(req: ChatRequest) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for i, m in enumerate(req.messages):
        if isinstance(m.content, list):
            if any(p.type != "text" for p in m.content):
                raise APIError(
                    400, "only text content is supported", param=f"messages[{i}].content"
                )
            text = "".join(p.text or "" for p in m.content)
        else:
            text = m.content or ""
        role = "system" if m.role == "developer" else m.role
        out.append({"role": role, "content": text})  # type: ignore[typeddict-item]
    return out


def _grammar(req: ChatRequest) -> str | None:
    fmt = req.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return json_grammar()
    schema = (fmt.json_schema or {}).get("schema")
    if not isinstance(schema, dict):
        raise APIError(
            400,
            "response_format json_schema needs json_schema.schema, an object",
            param="response_format",
        )
    try:
        return json_grammar(schema)
    except ValueError as exc:
        raise APIError(400, str(exc), param="response_format") from exc


# -- responses --------------------------------------------------------------------------------

_FINISH = {
    StopReason.END_OF_TURN: "stop",
    StopReason.STOP_STRING: "stop",
    StopReason.CANCELLED: "stop",
    StopReason.MAX_TOKENS: "length",
    StopReason.CONTEXT_FULL: "length",
    StopReason.ERROR: "error",
}


def _usage(m: ReplyMetrics) -> dict[str, int]:
    return {
        "prompt_tokens": m.prompt_tokens,
        "completion_tokens": m.completion_tokens,
        "total_tokens": m.prompt_tokens + m.completion_tokens,
    }


def _sse(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


# -- the app ----------------------------------------------------------------------------------


class _BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, by Content-Length or as it
    arrives (a chunked body has none), before the endpoint parses any of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        too_big = APIError(413, f"the request body is over {self.limit} bytes", code="too_large")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await too_big.response()(scope, receive, send)
            return
        # read the body here, up to the limit, then hand it on whole
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.limit:
                await too_big.response()(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # from now on: the disconnect, for streaming responses

        await self.app(scope, replay, send)


def create_app(engine: Engine, scheduler: Scheduler, options: ServerOptions) -> FastAPI:
    """The API as an ASGI app (uvicorn runs it; tests may too)."""
    app = FastAPI(title="chatapp", docs_url=None, redoc_url=None, openapi_url=None)
    if options.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(options.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(_BodyLimit, limit=options.max_body)

    @app.exception_handler(APIError)
    async def api_error(_request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where or 'body'}: {first.get('msg', 'invalid')}"
        return APIError(400, message, param=where or None).response()

    @app.middleware("http")
    async def auth(request: Request, call_next: Callable[[Request], Any]) -> Any:
        if options.api_key is not None and request.method != "OPTIONS":
            given = request.headers.get("authorization", "")
            scheme, _, key = given.partition(" ")
            if scheme.lower() != "bearer" or not secrets.compare_digest(
                key.strip().encode(), options.api_key.encode()
            ):
                return APIError(
                    401,
                    "a valid API key is required: send 'Authorization: Bearer KEY' "
                    "(chatapp serve prints the key)",
                    code="invalid_api_key",
                ).response()
        return await call_next(request)

    def model_id() -> str:
        model = engine.model
        if model is None:
            raise APIError(503, "no model is loaded in chatapp", kind="server_error")
        return model.info.path.stem

    def check_model(asked: str | None) -> str:
        loaded = model_id()
        assert engine.model is not None
        if asked and asked not in (loaded, engine.model.info.name, engine.model.info.path.name):
            raise APIError(
                404,
                f"the model {asked!r} is not loaded; this server has {loaded!r} (GET /v1/models)",
                code="model_not_found",
                param="model",
            )
        return loaded

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        infos = [engine.model.info] if engine.model is not None else []
        if options.embedder is not None:
            infos.append(options.embedder.info)
        data = [
            {
                "id": info.path.stem,
                "object": "model",
                "created": int(info.path.stat().st_mtime),
                "owned_by": "chatapp",
            }
            for info in infos
        ]
        return {"object": "list", "data": data}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(req: ChatRequest, request: Request) -> Any:
        name = check_model(req.model)
        settings = _settings(req, options.defaults())
        messages = _messages(req)
        grammar = _grammar(req)
        save = options.save

        def start(cancel: threading.Event) -> Any:
            reply = engine.stream_chat(messages, settings, cancel=cancel, grammar=grammar)
            return _Saved(reply, messages, save, name) if save is not None else reply

        return await _answer(request, req, name, "chat.completion", start)

    @app.post("/v1/completions", response_model=None)
    async def completions(req: CompletionRequest, request: Request) -> Any:
        name = check_model(req.model)
        settings = _settings(req, options.defaults())
        return await _answer(
            request,
            req,
            name,
            "text_completion",
            lambda cancel: engine.stream_completion(req.prompt, settings, cancel=cancel),
        )

    @app.post("/v1/embeddings")
    async def embeddings(req: EmbeddingRequest) -> Any:
        embedder = options.embedder
        if embedder is None:
            raise APIError(
                400,
                "no embedding model is loaded: start chatapp serve with --embedding-model FILE",
                code="model_not_embedding",
                param="model",
            )
        if req.model and req.model not in (embedder.name, embedder.info.name):
            raise APIError(
                404,
                f"the embedding model {req.model!r} is not loaded; this server has "
                f"{embedder.name!r}",
                code="model_not_found",
                param="model",
            )
        texts = [req.input] if isinstance(req.input, str) else list(req.input)
        try:
            done = await asyncio.to_thread(embedder.embed, texts)
        except EngineError as exc:
            raise APIError(400, str(exc), param="input") from exc
        return {
            "object": "list",
            "model": embedder.name,
            "data": [
                {"object": "embedding", "index": i, "embedding": v}
                for i, v in enumerate(done.vectors)
            ],
            "usage": {"prompt_tokens": done.tokens, "total_tokens": done.tokens},
        }

    async def _answer(
        request: Request,
        req: _Request,
        name: str,
        kind: str,
        start: Callable[[threading.Event], Any],
    ) -> Any:
        try:
            ticket = scheduler.admit()
        except QueueFull as exc:
            raise APIError(
                429,
                str(exc),
                kind="rate_limit_error",
                code="queue_full",
                headers={"Retry-After": str(exc.retry_after)},
            ) from exc
        stop_flag = ticket.cancelled
        events = _Pump(scheduler.run(ticket, lambda: start(stop_flag)))
        rid = f"{'chatcmpl' if kind == 'chat.completion' else 'cmpl'}-{uuid.uuid4().hex}"
        created = int(time.time())
        try:
            first = await events.next()
        except BaseException:
            ticket.cancel()
            raise
        if not req.stream:
            return await _whole(request, ticket, events, first, rid, created, name, kind)
        usage = bool((req.stream_options or {}).get("include_usage"))
        return StreamingResponse(
            _stream(ticket, events, first, rid, created, name, kind, usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return app


_END = object()


class _Saved:
    """A chat generation that is saved as a conversation once it has finished."""

    def __init__(
        self,
        reply: Any,
        messages: list[ChatMessage],
        save: Callable[[list[ChatMessage], str, str, ReplyMetrics, str], None],
        model: str,
    ) -> None:
        self._reply, self._messages, self._save, self._model = reply, messages, save, model

    def events(self) -> Iterator[Event]:
        for event in self._reply.events():
            yield event
            if isinstance(event, Finished):
                try:
                    self._save(
                        self._messages,
                        self._reply.text,
                        self._reply.thinking,
                        event.metrics,
                        self._model,
                    )
                except Exception:
                    log.exception("the API conversation could not be saved")

    def cancel(self) -> None:
        self._reply.cancel()

    def close(self) -> None:
        self._reply.close()


class _Pump:
    """Runs one request's generation on a thread of its own and hands its events to the
    event loop.

    A generation must be iterated, and closed, on one thread: the engine's lock is held by the
    thread that started it (a thread pool would resume it on others). The stop flag ends it
    within a token; the thread then closes it, and the line moves on.
    """

    def __init__(self, events: Iterator[Event]) -> None:
        self._events = events
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._thread = threading.Thread(target=self._run, name="api generation", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
            return True
        except RuntimeError:  # the server's loop has closed: nobody is listening
            return False

    def _run(self) -> None:
        try:
            for event in self._events:
                if not self._put(event):
                    return
            self._put(_END)
        except ContextOverflowError as exc:
            self._put(APIError(400, str(exc), code="context_length_exceeded", param="messages"))
        except (NoModelError, TemplateError) as exc:
            self._put(APIError(503, str(exc), kind="server_error"))
        except EngineError as exc:
            self._put(APIError(500, str(exc), kind="server_error"))
        except Exception as exc:
            log.exception("the API's generation failed")
            self._put(APIError(500, f"generation failed: {exc}", kind="server_error"))
        finally:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()

    async def next(self) -> Any:
        """The next event, ``_END`` after the last; raises the APIError the thread met."""
        item = await self._queue.get()
        if isinstance(item, APIError):
            raise item
        return item


async def _whole(
    request: Request,
    ticket: Ticket,
    events: _Pump,
    first: Any,
    rid: str,
    created: int,
    name: str,
    kind: str,
) -> dict[str, Any]:
    text, thinking = [], []
    metrics: ReplyMetrics | None = None
    event = first
    try:
        while event is not _END:
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ThinkingDelta):
                thinking.append(event.text)
            elif isinstance(event, Finished):
                metrics = event.metrics
            if await request.is_disconnected():
                break
            event = await events.next()
    finally:
        ticket.cancel()  # stop within a token, or leave the line; its thread closes it
    if metrics is None:
        raise APIError(499, "the client closed the request", code="client_closed")
    finish = _FINISH[metrics.stop_reason]
    body: dict[str, Any] = {
        "id": rid,
        "object": kind,
        "created": created,
        "model": name,
        "usage": _usage(metrics),
    }
    if kind == "chat.completion":
        message: dict[str, Any] = {"role": "assistant", "content": "".join(text)}
        if thinking:
            message["reasoning_content"] = "".join(thinking)
        body["choices"] = [{"index": 0, "message": message, "finish_reason": finish}]
    else:
        body["choices"] = [{"index": 0, "text": "".join(text), "finish_reason": finish}]
    return body


async def _stream(
    ticket: Ticket,
    events: _Pump,
    first: Any,
    rid: str,
    created: int,
    name: str,
    kind: str,
    usage: bool,
) -> AsyncIterator[bytes]:
    chat = kind == "chat.completion"
    obj = "chat.completion.chunk" if chat else "text_completion"

    def chunk(choice: dict[str, Any], **extra: Any) -> bytes:
        return _sse(
            {"id": rid, "object": obj, "created": created, "model": name, "choices": [choice]}
            | extra
        )

    event = first
    try:
        if chat:
            yield chunk({"index": 0, "delta": {"role": "assistant"}, "finish_reason": None})
        while event is not _END:
            if isinstance(event, TextDelta | ThinkingDelta) and event.text:
                key = "content" if isinstance(event, TextDelta) else "reasoning_content"
                piece: dict[str, Any] = (
                    {"delta": {key: event.text}} if chat else {"text": event.text}
                )
                yield chunk({"index": 0, **piece, "finish_reason": None})
            elif isinstance(event, Finished):
                finish = _FINISH[event.metrics.stop_reason]
                last: dict[str, Any] = {"delta": {}} if chat else {"text": ""}
                yield chunk({"index": 0, **last, "finish_reason": finish})
                if usage:
                    yield _sse(
                        {
                            "id": rid,
                            "object": obj,
                            "created": created,
                            "model": name,
                            "choices": [],
                            "usage": _usage(event.metrics),
                        }
                    )
            try:
                event = await events.next()
            except APIError as exc:  # after the first event: the status is sent already
                yield _sse({"error": {"message": exc.message, "type": exc.kind}})
                break
        yield _sse("[DONE]")
    finally:
        # the client went away (or the stream ended): stop within a token, free the line
        ticket.cancel()  # stop within a token, or leave the line; its thread closes it


def new_key() -> str:
    """A fresh API key, as OpenAI-style clients expect one to look."""
    return "sk-chatapp-" + secrets.token_urlsafe(24)


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "APIError",
    "ServerOptions",
    "create_app",
    "new_key",
]
