"""Remote backends: a model on an OpenAI-compatible server, behind the same ``ChatBackend``.

llama.cpp's ``llama-server`` (also with ``--rpc`` workers), vLLM, Ollama's and LM Studio's
``/v1`` endpoints and hosted OpenAI-compatible APIs all speak the chat-completions API, so one
client, the official ``openai`` package, reaches them all. A reply streams as server-sent events;
its text and (where the server splits it off: llama-server, vLLM with a reasoning parser, Ollama)
its thinking become ``TextDelta``/``ThinkingDelta`` events like the local engine's.

What the server does not say is measured here: time to first token from the request to the
first piece, speed from the pieces' arrival (each streamed piece is one token on llama.cpp and
vLLM), prompt tokens estimated from the text when the stream carries no ``usage``.

Stop shuts the connection's socket down from whichever thread sets the flag, so the server sees
the client go and stops generating (llama-server, vLLM and llama-cpp-python's server all do),
even while the reading thread is blocked on a silent server. Every failure is a ``RemoteError``
in words that name the server; a stream that breaks mid-reply keeps its text, marked ``error``.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import socket
import ssl
import threading
import time
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any, Final

from chatapp.core.config.backends import ServerConfig
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.errors import EngineError
from chatapp.core.inference.backend import Event, Finished, TextDelta, ThinkingDelta, TokenCount
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.metrics import ReplyMetrics, StopReason

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S: Final = 10.0
# A server that sends nothing for this long has gone silent. Generous: a large prompt on a
# loaded server may take a while before its first token, and llama-server sends nothing then.
READ_TIMEOUT_S: Final = 120.0
_TOKEN_COUNT_EVERY_S: Final = 0.25
_WATCH_EVERY_S: Final = 0.05
# a rough rule for English text in BPE vocabularies; used only where the server says nothing
_CHARS_PER_TOKEN: Final = 4


class RemoteError(EngineError):
    """A remote server could not be used, or failed mid-reply; the message says why in words.

    ``retry_after``: seconds the server asked to wait (a 429's ``Retry-After``), when it did.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OfflineRefused(RemoteError):
    """Offline mode is on and the server is not marked local."""


class RemoteReply:
    """One streaming reply from a server: the remote ``Generation`` (see ``core.backend``)."""

    def __init__(
        self,
        backend: RemoteBackend,
        messages: list[dict[str, str]],
        settings: GenerationSettings,
        cancel: threading.Event,
        prompt_estimate: int,
    ) -> None:
        self.text = ""
        self.thinking = ""
        self.metrics: ReplyMetrics | None = None
        self.dropped_turns = 0  # the server fits the context itself
        self._backend = backend
        self._cancel = cancel
        self._prompt_estimate = prompt_estimate
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._stream: Any = None
        self._started = time.perf_counter()
        # The request is sent now, so a refused connection, a bad key or an unknown model is
        # raised before the caller saves anything (as the engine raises a template error).
        if not cancel.is_set():  # Stop pressed before the request went: send none
            self._stream = backend._open_stream(messages, settings, cancel)
            self._socket = _socket_of(self._stream)
        threading.Thread(target=self._watch, name="remote stop", daemon=True).start()
        self._events = self._run(settings)

    def _watch(self) -> None:
        """Shut the socket down once the stop flag is set: a blocked read ends at once."""
        while not self._done.is_set():
            if self._cancel.wait(_WATCH_EVERY_S):
                self._shutdown()
                return

    def _shutdown(self) -> None:
        with self._lock:
            sock = self._socket
            self._socket = None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def events(self) -> Iterator[Event]:
        try:
            yield from self._events
            assert self.metrics is not None
            yield Finished(self.metrics)
        finally:
            self._end()

    def cancel(self) -> None:
        """Stop (from any thread): the connection is closed; what came is kept."""
        self._cancel.set()
        self._shutdown()

    def close(self) -> None:
        self._events.close()
        self._end()

    def _end(self) -> None:
        self._done.set()
        if self.metrics is None:  # closed before it began
            self.metrics = self._metrics(StopReason.CANCELLED, 0, 0.0, 0.0, None, {})
        self._shutdown()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception as exc:  # closing a broken connection may fail; nothing to keep
                log.debug("closing the stream: %s", exc)

    def _run(self, settings: GenerationSettings) -> Generator[Event, None, None]:
        import openai

        server = self._backend.server
        reason: StopReason | None = None
        pieces = 0
        first_at = last_at = 0.0
        reported = 0.0
        usage: Any = None
        timings: dict[str, Any] = {}
        try:
            for chunk in self._stream if self._stream is not None else ():
                if self._cancel.is_set():
                    reason = StopReason.CANCELLED
                    return
                extra = chunk.model_extra or {}
                if isinstance(extra.get("timings"), dict):  # llama-server's own numbers
                    timings = extra["timings"]
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    delta = choice.delta
                    more = delta.model_extra or {}
                    thought = more.get("reasoning_content") or more.get("reasoning")
                    got = False
                    if isinstance(thought, str) and thought:
                        self.thinking += thought
                        got = True
                        yield ThinkingDelta(thought)
                    if delta.content:
                        self.text += delta.content
                        got = True
                        yield TextDelta(delta.content)
                    if got:
                        now = time.perf_counter()
                        pieces += 1
                        first_at = first_at or now
                        last_at = now
                        if now - reported >= _TOKEN_COUNT_EVERY_S:
                            reported = now
                            yield TokenCount(pieces, now - first_at, self._prompt_estimate + pieces)
                    if choice.finish_reason is not None:
                        reason = _stop_reason(choice.finish_reason)
            if self._cancel.is_set():
                reason = StopReason.CANCELLED
            elif reason is None:
                reason = StopReason.ERROR
                raise RemoteError(
                    f"{server.name} ended the reply's stream before the reply was finished; "
                    "what came is kept"
                )
        except GeneratorExit:
            reason = StopReason.CANCELLED
            raise
        except openai.OpenAIError as exc:
            if self._cancel.is_set():  # our own shutdown broke the read: that is Stop
                reason = StopReason.CANCELLED
                return
            reason = StopReason.ERROR
            raise _in_words(
                exc,
                server,
                self._backend.model,
                mid_reply=True,
                read_timeout=self._backend.read_timeout,
            ) from exc
        finally:
            self.metrics = self._metrics(
                reason or StopReason.CANCELLED, pieces, first_at, last_at, usage, timings
            )

    def _metrics(
        self,
        reason: StopReason,
        pieces: int,
        first_at: float,
        last_at: float,
        usage: Any,
        timings: dict[str, Any],
    ) -> ReplyMetrics:
        completion = pieces
        prompt = self._prompt_estimate
        evaluated = prompt
        if usage is not None:
            completion = int(usage.completion_tokens or completion)
            prompt = int(usage.prompt_tokens or prompt)
            details = getattr(usage, "prompt_tokens_details", None)
            cached = int(getattr(details, "cached_tokens", 0) or 0)
            evaluated = max(prompt - cached, 0)
        if isinstance(timings.get("prompt_n"), int):
            evaluated = timings["prompt_n"]
        if isinstance(timings.get("predicted_n"), int) and usage is None:
            completion = timings["predicted_n"]
        speed = timings.get("predicted_per_second")
        if not isinstance(speed, int | float) or speed <= 0:
            decode = last_at - first_at
            speed = (completion - 1) / decode if completion > 1 and decode > 0 else 0.0
        return ReplyMetrics(
            prompt_tokens=prompt,
            prompt_eval_tokens=evaluated,
            completion_tokens=completion,
            ttft_ms=(first_at - self._started) * 1000.0 if pieces else None,
            decode_tps=float(speed),
            stop_reason=reason,
        )


class RemoteBackend:
    """A model on an OpenAI-compatible server; a ``ChatBackend``.

    Args:
        server: where it is (see ``core.config.backends``).
        model: the model's id on that server, as its ``/v1/models`` lists it.
        api_key: the key, read by the caller from the keyring or its variable; ``None`` sends
            no ``Authorization`` header.
        offline: offline mode: every request is refused unless the server counts as local.
        read_timeout: seconds without a byte before the server counts as gone silent.
    """

    def __init__(
        self,
        server: ServerConfig,
        model: str,
        api_key: str | None,
        *,
        offline: bool = False,
        read_timeout: float = READ_TIMEOUT_S,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        import openai

        self.server = server
        self.model = model
        self.offline = offline
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self._auth: dict[str, Any] = {} if api_key else {"Authorization": openai.omit}
        self._client = openai.OpenAI(
            base_url=server.base_url,
            # without a key none is sent (see _auth); the client insists on being given one
            api_key=api_key or "no-key",
            default_headers=server.headers or None,
            timeout=openai.Timeout(read_timeout, connect=connect_timeout),
            max_retries=0,  # a failure is told at once, in words; the user decides to retry
        )

    # -- ChatBackend ----------------------------------------------------------------------------

    @property
    def model_name(self) -> str | None:
        return self.model

    @property
    def backend_name(self) -> str | None:
        return self.server.name

    def message_limit(self, settings: GenerationSettings) -> int | None:
        """No bound is known here: the server fits (or refuses) the prompt itself."""
        return None

    def prompt_budget(self, settings: GenerationSettings) -> int | None:
        """Not known: the API does not say the model's context."""
        return None

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        """An estimate (about four characters a token): the API has no tokenizer endpoint."""
        return sum(4 + len(m["content"]) // _CHARS_PER_TOKEN for m in messages)

    def stream_chat(
        self,
        messages: list[ChatMessage],
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        session: str | None = None,
    ) -> RemoteReply:
        """Send the conversation and start streaming the reply.

        Raises (at once, before any text):
            RemoteError: offline mode refuses the server, or it cannot be reached, refuses the
                key or the model, is rate limiting or failing; the message says which.
        """
        settings = settings or GenerationSettings()
        turns = [{"role": m["role"], "content": m["content"]} for m in messages]
        flag = cancel if cancel is not None else threading.Event()
        return RemoteReply(self, turns, settings, flag, self.count_tokens(messages))

    def close(self) -> None:
        self._client.close()

    # -- the server -----------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        """The ids of the server's models (``/v1/models``), sorted.

        Raises:
            RemoteError: as for ``stream_chat``.
        """
        import openai

        self._check_offline()
        try:
            page = self._client.models.list(extra_headers=self._auth)
            return sorted(m.id for m in page.data)
        except openai.OpenAIError as exc:
            raise _in_words(exc, self.server, None, read_timeout=self.read_timeout) from exc

    def _check_offline(self) -> None:
        if self.offline and not self.server.allowed_offline:
            raise OfflineRefused(
                f"offline mode is on: chatapp does not talk to {self.server.name} "
                f"({self.server.host}); turn offline mode off, or add the server with --local "
                "if it is on your own network"
            )

    def _open_stream(
        self, messages: list[dict[str, str]], settings: GenerationSettings, cancel: threading.Event
    ) -> Any:
        import openai

        self._check_offline()
        body: dict[str, Any] = {}
        if not self.server.standard_sampling:
            # llama-server, llama-cpp-python and LM Studio read these names; vLLM reads
            # repetition_penalty; servers ignore the fields they do not know
            body.update(
                top_k=settings.top_k,
                min_p=settings.min_p,
                repeat_penalty=settings.repeat_penalty,
                repetition_penalty=settings.repeat_penalty,
            )
            if settings.thinking is not None:  # the template's thinking switch (vLLM, llama.cpp)
                body["chat_template_kwargs"] = {"enable_thinking": settings.thinking}
        effort = settings.reasoning_effort  # sent only when the user set one
        sent: Any = messages  # plain role/content dicts, as the API's typed dicts are
        reasoning: Any = str(effort) if effort is not None else openai.omit
        try:
            return self._client.chat.completions.create(
                model=self.model,
                messages=sent,
                stream=True,
                stream_options={"include_usage": True},
                temperature=settings.temperature,
                top_p=settings.top_p,
                max_tokens=settings.max_tokens,
                seed=settings.seed if settings.seed >= 0 else openai.omit,
                stop=list(settings.stop) if settings.stop else openai.omit,
                reasoning_effort=reasoning,
                extra_body=body or None,
                extra_headers=self._auth,
            )
        except openai.OpenAIError as exc:
            raise _in_words(exc, self.server, self.model, read_timeout=self.read_timeout) from exc


def _socket_of(stream: Any) -> socket.socket | None:
    """The response's socket, to shut down from another thread (closing the response does not
    wake a thread blocked reading it)."""
    try:
        sock = stream.response.extensions["network_stream"].get_extra_info("socket")
    except (AttributeError, KeyError):
        return None
    return sock if isinstance(sock, socket.socket) else None


def _stop_reason(finish: str) -> StopReason:
    if finish == "length":
        return StopReason.MAX_TOKENS
    # "stop": an end of turn or one of the stop strings; the API does not say which
    return StopReason.END_OF_TURN


def _in_words(
    exc: Exception,
    server: ServerConfig,
    model: str | None,
    *,
    mid_reply: bool = False,
    read_timeout: float | None = None,
) -> RemoteError:
    """An ``openai`` exception as one sentence naming the server."""
    import openai

    where = f"{server.name} ({server.base_url})"
    kept = "; what came is kept" if mid_reply else ""
    if isinstance(exc, openai.APITimeoutError):
        if _cause(exc, "ConnectTimeout"):
            return RemoteError(f"{where} did not accept a connection within the time allowed")
        waited = f" in {read_timeout:.0f} s" if read_timeout is not None else ""
        return RemoteError(f"{server.name} went silent: nothing came{waited} (read timeout){kept}")
    if isinstance(exc, openai.APIConnectionError):
        return RemoteError(_connection_failure(exc, server, where, mid_reply) + kept)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        said = _server_message(exc)
        if isinstance(exc, openai.AuthenticationError):
            return RemoteError(
                f"{server.name} refused the API key (401{said}); add the server again with the "
                "right key"
            )
        if isinstance(exc, openai.PermissionDeniedError):
            return RemoteError(
                f"{server.name} does not let this API key use {model or 'it'} (403{said})"
            )
        if isinstance(exc, openai.NotFoundError):
            if model is None:
                return RemoteError(
                    f"{where} has no model list there (404{said}): does the URL end in /v1?"
                )
            return RemoteError(
                f"{server.name} has no model {model!r} (404{said}); `chatapp backends list` "
                "shows its models"
            )
        if isinstance(exc, openai.RateLimitError):
            wait = _retry_after(exc.response.headers.get("retry-after"))
            when = f"try again in {wait:.0f} s" if wait is not None else "try again later"
            return RemoteError(
                f"{server.name} is limiting requests (429{said}): {when}", retry_after=wait
            )
        if status >= 500:
            return RemoteError(f"{server.name} failed with a server error ({status}{said})")
        return RemoteError(f"{server.name} refused the request ({status}{said})")
    return RemoteError(f"{server.name} failed: {exc}{kept}")


def _connection_failure(exc: Exception, server: ServerConfig, where: str, mid_reply: bool) -> str:
    chain = _chain(exc)
    host = server.host
    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            why = err.verify_message or err.reason or str(err)
            return (
                f"the TLS certificate of {host} could not be verified ({why}); verification "
                "stays on: if the server uses its own certificate authority, point "
                "SSL_CERT_FILE at that CA's certificate"
            )
        if isinstance(err, ssl.SSLError):
            return f"the TLS handshake with {host} failed ({err.reason or err})"
        if isinstance(err, socket.gaierror):
            return f"the name {host} does not resolve (DNS): is it spelled right, are you online?"
        if isinstance(err, ConnectionRefusedError):
            return f"{where} refused the connection: is the server running, on that port?"
    for err in chain:
        if type(err).__name__ in ("RemoteProtocolError", "ReadError") and mid_reply:
            return f"the connection to {server.name} was cut mid-reply"
        if type(err).__name__ in ("RemoteProtocolError", "ReadError"):
            return f"{where} closed the connection before answering"
    last = chain[-1]
    return f"cannot reach {where}: {last}"


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in out:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _cause(exc: BaseException, name: str) -> bool:
    return any(type(e).__name__ == name for e in _chain(exc))


def _server_message(exc: Any) -> str:
    """``": what the server said"``, short, or nothing."""
    body = exc.body
    text = None
    if isinstance(body, dict):
        text = body.get("message") or body.get("detail") or body.get("error")
    elif isinstance(body, str):
        text = body
    if not isinstance(text, str) or not text.strip():
        return ""
    text = " ".join(text.split())
    return f": {text[:200]}"


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


__all__ = ["CONNECT_TIMEOUT_S", "READ_TIMEOUT_S", "OfflineRefused", "RemoteBackend", "RemoteError"]
