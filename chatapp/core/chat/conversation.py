"""One turn of a saved conversation: the user's message in, the streamed reply saved as it comes.

Shared by ``chatapp chat`` and the window's chat worker, so both save the same way: the user
message is committed when sent, the reply is checkpointed at most every ``checkpoint_s`` while it
streams and finalised with its metrics at the end, whatever ended it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator

from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.backend import Event, TextDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine, Reply
from chatapp.core.inference.metrics import ReplyMetrics
from chatapp.core.storage.store import Message, Store

CHECKPOINT_SECONDS = 0.5


def history(
    store: Store, conversation_id: str, leaf_id: str | None = None, *, limit: int | None = None
) -> list[ChatMessage]:
    """The messages the model sees: the system prompt, then the current thread's turns.

    Replies that were interrupted before producing any text are left out.

    Args:
        limit: the most bytes a message can take and still fit (``Engine.message_limit``): a
            longer one is not read whole but passed with its ``size``, for the engine to drop
            or refuse without reading 200 MB first.
    """
    conv = store.get_conversation(conversation_id)
    out: list[ChatMessage] = []
    if conv.system_prompt:
        out.append({"role": "system", "content": conv.system_prompt})
    for msg in store.thread(conv.id, leaf_id, preview=limit):
        if msg.role == "system" or (msg.role == "assistant" and not msg.content):
            continue
        turn: ChatMessage = {
            "role": "user" if msg.role == "user" else "assistant",
            "content": msg.content,
        }
        if msg.full_size is not None:
            turn["size"] = msg.full_size
        out.append(turn)
    return out


def reply_to(
    store: Store,
    engine: Engine,
    conversation_id: str,
    parent: Message,
    settings: GenerationSettings,
    *,
    cancel: threading.Event | None = None,
    checkpoint_s: float = CHECKPOINT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    on_begin: Callable[[Message], None] | None = None,
) -> Generator[Event, None, None]:
    """Generate a reply to the thread ending at ``parent``, saving it as it streams.

    Yields the generation's events (text, prompt progress, token counts, then ``Finished``).
    The reply row is created only once the prompt is accepted (so a template or context error
    leaves nothing behind) and is always finalised: on normal end, on cancel, on an error, or
    when the caller stops iterating.

    Args:
        cancel: the reply's stop flag; set it from any thread to stop, even before it starts.
        on_begin: called with the new reply row once it exists, before the first token.

    Raises:
        EngineError and its subclasses, before any row is written.
    """
    turns = history(store, conversation_id, parent.id, limit=engine.message_limit(settings))
    reply: Reply = engine.stream_chat(turns, settings, cancel=cancel)
    model = engine.model.info.name if engine.model else None
    row = store.begin_reply(conversation_id, parent_id=parent.id, model=model)
    if on_begin is not None:
        on_begin(row)
    last = clock()
    try:
        for event in reply.events():
            yield event
            if isinstance(event, TextDelta):
                now = clock()
                if now - last >= checkpoint_s:
                    store.checkpoint_reply(row.id, reply.text)
                    last = now
    finally:
        reply.close()
        metrics: ReplyMetrics | None = reply.metrics
        if metrics is not None:
            store.finish_reply(row.id, reply.text, metrics)
        else:
            store.checkpoint_reply(row.id, reply.text)
