"""Compare: one question answered by two (or more) backends or settings, each reply saved as a
version of the answer, so the user keeps the better one on screen and loses neither.

Replies from this computer run one after the other on the calling thread: it runs one
generation at a time. A reply from a remote server runs on a thread of its own at the same
time, since it costs this computer nothing but the wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chatapp.core.chat.service import ChatService
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.backend import ChatBackend, TextDelta
from chatapp.core.storage.store import Message


@dataclass(frozen=True)
class Side:
    """One of the replies compared: who answers, with which settings."""

    backend: ChatBackend
    settings: GenerationSettings
    remote: bool = False  # runs beside the others, on a thread of its own


def compare_replies(
    chats: ChatService,
    conversation_id: str,
    parent_id: str,
    sides: Sequence[Side],
    *,
    cancel: threading.Event,
    on_text: Callable[[int, str], None],
    on_done: Callable[[int, str, Exception | None], None],
) -> None:
    """Answer ``parent_id`` once for each side, each saved as a version of the reply.

    ``on_text(side, text so far)`` as each reply streams; ``on_done(side, message id or "",
    error or None)`` once for every side, whatever happened (a side that fails leaves the
    others running). Returns when every side is done; ``cancel`` stops them all, and a side
    not begun by then never begins (it saves nothing).
    """

    def run(index: int, side: Side) -> None:
        rows: list[Message] = []
        text = ""
        error: Exception | None = None
        if cancel.is_set():  # stopped (or one kept) before this side began: no empty version
            on_done(index, "", None)
            return
        try:
            events = chats.reply(
                side.backend,
                conversation_id,
                parent_id,
                side.settings,
                cancel=cancel,
                on_begin=rows.append,
            )
            for event in events:
                if isinstance(event, TextDelta):
                    text += event.text
                    on_text(index, text)
        except Exception as exc:  # told to the caller, the other sides go on
            error = exc
        on_done(index, rows[0].id if rows else "", error)

    beside = [
        threading.Thread(target=run, args=(i, s), name=f"compare-{i}", daemon=True)
        for i, s in enumerate(sides)
        if s.remote
    ]
    for thread in beside:
        thread.start()
    for i, side in enumerate(sides):
        if not side.remote:
            run(i, side)
    for thread in beside:
        thread.join()


__all__ = ["Side", "compare_replies"]
