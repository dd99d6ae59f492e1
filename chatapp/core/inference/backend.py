"""The one interface every model sits behind, local llama.cpp today and remote servers later.

The local engine (``engine.Engine``) and remote servers (``remote.RemoteBackend``) are the two
kinds. A backend's ``stream_chat`` returns a ``Generation`` at once; iterating its ``events()``
runs it.
Each generation has its own ``cancel()``, safe to call from any thread at any time: before the
first event (the request is still queued), while the prompt is being processed, or mid-reply.
Front ends (the window's worker, ``chatapp chat``, the API server to come) consume the typed
events and never reach into llama.cpp.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.metrics import ReplyMetrics


@dataclass(frozen=True)
class TextDelta:
    """A piece of the reply's visible text."""

    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of a reasoning model's thinking, which comes before its answer and is kept apart
    from it: shown in its own block, saved in its own column, never sent back to the model."""

    text: str


@dataclass(frozen=True)
class PromptProgress:
    """Prompt processing: ``done`` of ``total`` new prompt tokens evaluated so far."""

    done: int
    total: int


@dataclass(frozen=True)
class TokenCount:
    """The reply has ``tokens`` tokens after ``seconds`` of decoding since its first token, and
    the context now holds ``context`` tokens (prompt and reply): for a live speed and meter."""

    tokens: int
    seconds: float
    context: int

    @property
    def speed(self) -> float | None:
        """Tokens per second, once there are two tokens to measure between."""
        if self.tokens < 2 or self.seconds <= 0:
            return None
        return (self.tokens - 1) / self.seconds


@dataclass(frozen=True)
class Finished:
    """The generation ended; the metrics say how and why."""

    metrics: ReplyMetrics


# Tool calls will join this union when a backend produces them.
Event = TextDelta | ThinkingDelta | PromptProgress | TokenCount | Finished


class Generation(Protocol):
    """One reply being generated."""

    text: str
    thinking: str
    metrics: ReplyMetrics | None
    dropped_turns: int

    def events(self) -> Iterator[Event]:
        """Run the generation, yielding its events; the last one is ``Finished``."""
        ...

    def cancel(self) -> None:
        """Stop as soon as possible and keep what was generated. Thread-safe, idempotent."""
        ...

    def close(self) -> None:
        """Stop iterating now (on the consuming thread); ``metrics`` is then set."""
        ...


class ChatBackend(Protocol):
    """A model that can chat."""

    @property
    def model_name(self) -> str | None:
        """The model that answers, as saved with each reply (``None``: none loaded)."""
        ...

    @property
    def backend_name(self) -> str | None:
        """The server it runs on, as saved with each reply; ``None`` for this computer."""
        ...

    def message_limit(self, settings: GenerationSettings) -> int | None:
        """The most bytes one message can have and still fit; ``None`` when not known."""
        ...

    def prompt_budget(self, settings: GenerationSettings) -> int | None:
        """The most tokens a prompt can take, room for the reply kept; ``None``: not known."""
        ...

    def stream_chat(
        self,
        messages: list[ChatMessage],
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        session: str | None = None,
    ) -> Generation:
        """Start a reply to ``messages``; ``cancel``, if given, is the generation's stop flag.

        ``session`` names the conversation, so a backend may keep state for it between
        replies and runs (the local engine saves llama.cpp's cache: instant reopen).
        """
        ...

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        """How many tokens ``messages`` take in this model's prompt."""
        ...


__all__ = [
    "ChatBackend",
    "Event",
    "Finished",
    "Generation",
    "PromptProgress",
    "TextDelta",
    "ThinkingDelta",
    "TokenCount",
]
