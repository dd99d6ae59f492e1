"""The "summarise" overflow policy: when a conversation outgrows the context, the model writes a
summary of its oldest turns, and the reply is generated from that summary and the newer turns.

The newest turns that fill up to half of the prompt budget are kept as they are (the question
being answered always is); everything older, with any earlier summary, is summarised. Turns
too long to summarise in one go are summarised a part at a time, each part's summary carried
into the next. The summary is saved with the reply (``core.storage.summary``), so the next
reply on the branch starts from it and no turn is summarised twice.

A backend that cannot say how long its context is (a remote server) is never summarised for:
the server keeps the conversation as it is, and the engine's own drop-oldest rule is the
fallback when a summary and the newest turns still do not fit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Final

from chatapp.core.chat.conversation import head, latest_summary, reads, turn
from chatapp.core.config.settings import GenerationSettings, OverflowPolicy
from chatapp.core.inference.backend import ChatBackend
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.storage.store import Message, Store
from chatapp.core.storage.summary import Summary

log = logging.getLogger(__name__)

#: The most tokens a summary may take (and at most an eighth of the prompt budget).
SUMMARY_TOKENS: Final = 400
#: The part of the prompt budget the newest turns, kept as they are, may fill.
KEEP_SHARE: Final = 0.5
#: The most parts, each about a prompt long, summarised for one reply (see summarise_older).
MAX_PARTS: Final = 4
#: The fewest tokens of conversation one summary request must have room for.
MIN_ROOM: Final = 64

_SYSTEM: Final = "You summarise conversations accurately and briefly."
_ASK: Final = (
    "Summarise the conversation above in a few short sentences, for the assistant to continue "
    "from. Keep every name, number, fact, preference, decision and open question the user "
    "gave; leave out greetings. Write only the summary, in the conversation's language."
)


def _line(msg: Message, most: int) -> str:
    """A turn for the summarising request; a turn is summarised from its start, its first
    ``most`` characters at most."""
    who = "User" if msg.role == "user" else "Assistant"
    return f"{who}: {msg.content[:most].strip()}"


def _prompt(previous: str | None, lines: Sequence[str]) -> list[ChatMessage]:
    """The request: the turns, then what to do with them (small models heed the last words)."""
    text = ""
    if previous:
        text += f"What came before, in short:\n{previous}\n\n"
    text += "The conversation:\n<conversation>\n" + "\n\n".join(lines) + "\n</conversation>"
    return [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": f"{text}\n\n{_ASK}"},
    ]


def summarise_older(
    store: Store,
    backend: ChatBackend,
    conversation_id: str,
    parent: Message,
    settings: GenerationSettings,
    *,
    cancel: threading.Event | None = None,
    on_summarising: Callable[[int], None] | None = None,
    question: str | None = None,
) -> Summary | None:
    """A new summary for the reply to ``parent``, or None when none is needed: the policy is
    not "summarise", the thread fits, the backend's context is not known, or there is nothing
    old enough to summarise. ``on_summarising`` hears how many messages are being summarised,
    before the model starts; ``cancel`` stops the summary (None is returned: the reply then
    starts with its stop flag set, as any reply stopped before its first token).

    ``question``: what the model reads in place of the last message (it with the passages
    found in the user's documents), where that differs from the message as saved.

    Raises what the backend raises when it cannot generate at all (EngineError…).
    """
    if settings.overflow != OverflowPolicy.SUMMARISE:
        return None
    budget = backend.prompt_budget(settings)
    if not budget:
        return None
    conv = store.get_conversation(conversation_id)
    thread = store.thread(conversation_id, parent.id, preview=backend.message_limit(settings))
    previous = latest_summary(thread)
    start = previous.covers if previous is not None else 0

    def tail(i: int) -> list[ChatMessage]:
        """The turns from ``i`` on as the model reads them, with the question as it goes."""
        turns = [turn(m) for m in thread[i:] if reads(m)]
        if question is not None and turns:
            turns[-1] = {**turns[-1], "content": question}
        return turns

    if backend.count_tokens(head(conv, previous) + tail(start)) <= budget:
        return None
    # Regenerating: an earlier reply to the same message was given a summary of the same
    # turns; it stands for them again, and the model is not asked twice.
    for sibling in reversed(store.children(parent.id)):
        if sibling.summary is not None and sibling.summary.covers < len(thread):
            return sibling.summary
    limit = max(32, min(SUMMARY_TOKENS, budget // 8))
    # What the reply's prompt holds besides the turns: the system prompt and the examples,
    # then the summary (at most ``limit`` tokens, and its heading).
    before = head(conv)
    for_turns = budget - (backend.count_tokens(before) if before else 0) - limit - 16

    def tail_tokens(i: int) -> int:
        return backend.count_tokens(tail(i))

    if tail_tokens(len(thread) - 1) > for_turns:
        return None  # the question cannot fit even beside a summary: the engine says so at once
    # The newest turns that fill up to KEEP_SHARE of what is left stay; the question always
    # does. The tail only grows going back, so the cut is found by halving.
    lo, hi = start, len(thread) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if tail_tokens(mid) <= for_turns * KEEP_SHARE:
            hi = mid
        else:
            lo = mid + 1
    keep_from = lo
    # The kept part starts with a question, as the templates expect after the system prompt.
    while keep_from < len(thread) - 1 and thread[keep_from].role != "user":
        keep_from += 1
    older = [m for m in thread[start:keep_from] if reads(m) and m.content.strip()]
    room = budget - limit - backend.count_tokens(_prompt(None, [])) - 16
    if room < MIN_ROOM:  # a context too short to summarise in: the oldest turns are dropped
        return None
    # Each turn as a line of the request, and what it costs there (counted once; a line longer
    # than half a request is cut to its start)
    single = backend.count_tokens([{"role": "user", "content": ""}])  # a message's own cost
    lines: list[tuple[str, int]] = []
    for msg in older:
        line = _line(msg, budget * 4)
        cost = backend.count_tokens([{"role": "user", "content": line}]) - single
        if cost > room // 2:
            line, cost = _shorten(backend, line, room // 2), room // 2
        lines.append((line, cost))
    # At most MAX_PARTS parts, the newest: a first summary of a chat of thousands of turns
    # (an import) must not take an hour; the turns before them are left out unsummarised.
    total = 0
    for i in range(len(lines) - 1, -1, -1):
        total += lines[i][1] + single
        if total > MAX_PARTS * room:
            older, lines = older[i + 1 :], lines[i + 1 :]
            break
    if not older:
        return None
    if on_summarising is not None:
        on_summarising(len(older))
    quiet = GenerationSettings.from_dict(
        {
            **settings.to_dict(),
            "temperature": 0.0,
            "max_tokens": limit,
            "stop": [],
            "overflow": str(OverflowPolicy.REFUSE),
            "thinking": False,
        }
    )
    text = previous.text if previous is not None else None
    part: list[str] = []
    used = 0  # the part's lines, in tokens
    carried = backend.count_tokens([{"role": "user", "content": text}]) - single if text else 0
    for line, cost in lines:
        if part and used + cost + carried > room:
            text = _generate(backend, _prompt(text, part), quiet, cancel)
            if text is None:
                return None
            part, used = [], 0
            carried = backend.count_tokens([{"role": "user", "content": text}]) - single
        part.append(line)
        used += cost + 2  # and the blank line between turns
    text = _generate(backend, _prompt(text, part), quiet, cancel)
    if text is None:
        return None
    return Summary(text, keep_from, backend.model_name)


def _shorten(backend: ChatBackend, line: str, tokens: int) -> str:
    """The start of ``line`` that takes at most ``tokens`` tokens (a turn too long to
    summarise whole: its beginning stands for it)."""
    lo, hi = 0, len(line)
    while lo < hi:  # the longest prefix that fits, by halving
        mid = (lo + hi + 1) // 2
        if backend.count_tokens([{"role": "user", "content": line[:mid]}]) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    return line[:lo] + " …"


def _generate(
    backend: ChatBackend,
    messages: list[ChatMessage],
    settings: GenerationSettings,
    cancel: threading.Event | None,
) -> str | None:
    """The summary the model writes for ``messages``; None when it was stopped or wrote none."""
    reply = backend.stream_chat(messages, settings, cancel=cancel)
    try:
        for _ in reply.events():
            pass
    finally:
        reply.close()
    if cancel is not None and cancel.is_set():
        return None
    text = reply.text.strip()
    if not text:
        log.warning("the model wrote an empty summary; older turns are dropped instead")
        return None
    return text


__all__ = ["KEEP_SHARE", "MAX_PARTS", "SUMMARY_TOKENS", "summarise_older"]
