"""One turn of a saved conversation: the user's message in, the streamed reply saved as it comes.

Shared by ``chatapp chat`` and the window's chat worker, so both save the same way: the user
message is committed when sent, the reply is checkpointed at most every ``checkpoint_s`` while it
streams and finalised with its metrics at the end, whatever ended it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Final

from chatapp.core.config.settings import GenerationSettings
from chatapp.core.docs.sources import Sources
from chatapp.core.inference.backend import ChatBackend, Event, Generation, TextDelta, ThinkingDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.metrics import ReplyMetrics
from chatapp.core.storage.store import Conversation, Message, Store, StoreBusy, StoreError
from chatapp.core.storage.summary import Summary

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 0.5
# While a reply streams, a checkpoint waits this long for another program's lock, then tries
# again at the next checkpoint: the reply keeps streaming and nothing shown is lost.
CHECKPOINT_BUSY_MS = 50
# The final save waits this long in all for the lock before it gives up.
FINAL_SAVE_WAIT_S = 120.0


#: How a summary of older turns is put to the model: after the system prompt, in its message.
SUMMARY_HEADING: Final = "Summary of the earlier part of this conversation:"


def latest_summary(thread: Sequence[Message]) -> Summary | None:
    """The summary the thread's next reply starts from: the newest one saved on the thread
    (one covering messages above the reply that holds it; any other is ignored)."""
    for i in range(len(thread) - 1, -1, -1):
        summary = thread[i].summary
        if summary is not None and summary.covers <= i:
            return summary
    return None


def reads(msg: Message) -> bool:
    """Whether the model reads this message of a thread: system-role notes are not turns, and
    a reply interrupted before producing any text is left out."""
    return msg.role != "system" and not (msg.role == "assistant" and not msg.content)


def turn(msg: Message) -> ChatMessage:
    """A message of a thread as the model reads it (a preview with its whole ``size``)."""
    out: ChatMessage = {
        "role": "user" if msg.role == "user" else "assistant",
        "content": msg.content,
    }
    if msg.full_size is not None:
        out["size"] = msg.full_size
    return out


def head(conv: Conversation, summary: Summary | None = None) -> list[ChatMessage]:
    """What the model reads before the thread: the system prompt (and after it, in the same
    message, ``summary``, standing for the turns it covers), then the few-shot examples."""
    out: list[ChatMessage] = []
    system = conv.system_prompt or ""
    if summary is not None:
        system = f"{system}\n\n" if system else ""
        system += f"{SUMMARY_HEADING}\n{summary.text}"
    if system:
        out.append({"role": "system", "content": system})
    for user, assistant in conv.examples:  # few-shot: how to answer, before the conversation
        out.append({"role": "user", "content": user})
        out.append({"role": "assistant", "content": assistant})
    return out


def history(
    store: Store,
    conversation_id: str,
    leaf_id: str | None = None,
    *,
    limit: int | None = None,
    summary: Summary | None = None,
    prompt_for_last: str | None = None,
) -> list[ChatMessage]:
    """The messages the model sees: the system prompt, then the current thread's turns.

    Replies that were interrupted before producing any text are left out. Where the thread
    holds a summary of its older turns (``latest_summary``), or ``summary`` is given (one just
    written for the reply to come), the turns it covers are left out and the summary follows
    the system prompt instead.

    Args:
        limit: the most bytes a message can take and still fit (``message_limit``): a
            longer one is not read whole but passed with its ``size``, for the engine to drop
            or refuse without reading 200 MB first.
        prompt_for_last: what the model reads in place of the last message (the saved one
            stays as typed).
    """
    conv = store.get_conversation(conversation_id)
    thread = store.thread(conv.id, leaf_id, preview=limit)
    if summary is None or summary.covers > len(thread):
        summary = latest_summary(thread)
    if summary is not None:
        thread = thread[summary.covers :]
    out = head(conv, summary) + [turn(m) for m in thread if reads(m)]
    if prompt_for_last is not None and out:
        out[-1] = {**out[-1], "content": prompt_for_last}  # for the model only
    return out


def reply_to(
    store: Store,
    backend: ChatBackend,
    conversation_id: str,
    parent: Message,
    settings: GenerationSettings,
    *,
    cancel: threading.Event | None = None,
    checkpoint_s: float = CHECKPOINT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    on_begin: Callable[[Message], None] | None = None,
    on_save_delayed: Callable[[str], None] | None = None,
    final_wait_s: float = FINAL_SAVE_WAIT_S,
    prompt_for_last: str | None = None,
    sources: Sources | None = None,
    summary: Summary | None = None,
) -> Generator[Event, None, None]:
    """Generate a reply to the thread ending at ``parent``, saving it as it streams.

    Yields the generation's events (text, prompt progress, token counts, then ``Finished``).
    The reply row is created only once the prompt is accepted (so a template or context error,
    or a server that refuses the request, leaves nothing behind); it records which model and
    backend answered and is always finalised: on normal end, on cancel, on an error, or
    when the caller stops iterating.

    Saving, when the database misbehaves:
    - another program holds its lock: the reply streams on, each checkpoint tries again, and
      the final save waits up to ``final_wait_s`` for the lock, so everything shown is saved
      once the lock is released; ``on_save_delayed`` hears of it once, with the reason;
    - any other write failure (disk full, read-only, damaged): generation stops there, the
      reply keeps what the last checkpoint that fitted saved, and the StoreError propagates.

    Args:
        cancel: the reply's stop flag; set it from any thread to stop, even before it starts.
        on_begin: called with the new reply row once it exists, before the first token.
        prompt_for_last: what the model reads in place of the last message (the saved one
            stays as typed); ``sources``: what that prompt holds from the user's documents,
            saved with the reply. ``summary``: a summary of older turns just written for this
            reply (see ``history``), saved with it.

    Raises:
        EngineError and its subclasses, before any row is written; StoreError as above.
    """
    turns = history(
        store,
        conversation_id,
        parent.id,
        limit=backend.message_limit(settings),
        summary=summary,
        prompt_for_last=prompt_for_last,
    )
    reply = backend.stream_chat(turns, settings, cancel=cancel, session=conversation_id)
    try:
        row = store.begin_reply(
            conversation_id,
            parent_id=parent.id,
            model=backend.model_name,
            backend=backend.backend_name,
            sources=sources,
            summary=summary,
        )
    except BaseException:
        reply.close()  # a remote reply's connection is open already
        raise
    if on_begin is not None:
        on_begin(row)
    told = False

    def delayed(exc: StoreBusy) -> None:
        nonlocal told
        if not told and on_save_delayed is not None:
            on_save_delayed(str(exc))
        told = True

    last = clock()
    error: BaseException | None = None
    try:
        for event in reply.events():
            yield event
            if isinstance(event, TextDelta | ThinkingDelta):
                now = clock()
                if now - last >= checkpoint_s:
                    last = now
                    try:
                        store.checkpoint_reply(
                            row.id,
                            reply.text,
                            thinking=reply.thinking or None,
                            busy_ms=CHECKPOINT_BUSY_MS,
                        )
                    except StoreBusy as exc:
                        delayed(exc)
    except BaseException as exc:
        error = exc
        raise
    finally:
        reply.close()
        try:
            _save(store, row.id, reply, clock() + final_wait_s, clock, delayed)
        except StoreError as exc:
            if not isinstance(error, StoreError):
                raise
            # The first failure is the one the user hears of; the reply keeps its last checkpoint.
            log.warning("the reply could not be saved at its end either: %s", exc)


def _save(
    store: Store,
    row_id: str,
    reply: Generation,
    deadline: float,
    clock: Callable[[], float],
    delayed: Callable[[StoreBusy], None],
) -> None:
    """The reply's final save: with its metrics when it finished, else the text as it stands."""
    metrics: ReplyMetrics | None = reply.metrics
    thinking = reply.thinking or None
    while True:
        try:
            if metrics is not None:
                store.finish_reply(row_id, reply.text, metrics, thinking=thinking)
            else:
                store.checkpoint_reply(row_id, reply.text, thinking=thinking)
            return
        except StoreBusy as exc:  # each try waits the store's busy timeout (5 s)
            delayed(exc)
            if clock() >= deadline:
                raise
