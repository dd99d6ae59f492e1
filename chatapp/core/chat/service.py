"""The use cases every front end calls: the window's workers, ``chatapp chat``, the server to come.

None of them assembles store calls itself. A ``ChatService`` is bound to one store, and its
methods run on whichever thread owns that store (the window's store thread, or the CLI's only
thread); generation runs wherever the caller iterates ``reply``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from chatapp.core.chat.conversation import history, reply_to
from chatapp.core.chat.prompts import Prompt, apply
from chatapp.core.chat.summarise import summarise_older
from chatapp.core.config.settings import GenerationSettings, SettingsError
from chatapp.core.inference.backend import ChatBackend, Event
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.kvstate import StateCache
from chatapp.core.inference.metrics import ReplyMetrics
from chatapp.core.storage.store import (
    Conversation,
    Message,
    Store,
    StoreError,
    new_id,
    timestamp_now,
)

if TYPE_CHECKING:  # numpy and the index load with the first conversation that uses documents
    from chatapp.core.docs.service import DocsService, Retrieval
    from chatapp.core.docs.sources import Sources

#: Messages longer than this (bytes of UTF-8) are opened as their first PREVIEW_BYTES only: the
#: window shows that much as plain text (about 30-40 ms to lay out; Markdown of the same size
#: takes 40-800 ms) and reads the rest from the store when asked to show or save it all.
PREVIEW_BYTES: Final = 64_000

log = logging.getLogger(__name__)


def saved_overrides(
    conversation: Conversation | None,
) -> tuple[dict[str, Any], list[SettingsError]]:
    """The conversation's saved overrides that can be used, and why the others cannot.

    The database may hold overrides no current check would let in: written by an older
    chatapp, another tool or by hand. Those are set aside (the defaults apply to them) and
    logged, never raised: opening or continuing the conversation must still work.
    """
    if conversation is None or not conversation.settings:
        return {}, []
    usable, refused = GenerationSettings.usable_part(conversation.settings)
    if refused:
        log.warning(
            "conversation %s: saved settings ignored, the defaults are used for them: %s",
            conversation.id[:8],
            "; ".join(map(str, refused)),
        )
    return usable, refused


def effective(
    defaults: GenerationSettings, conversation: Conversation | None
) -> GenerationSettings:
    """``defaults`` with the conversation's own overrides on top.

    A saved override that is not valid (see ``saved_overrides``) is ignored with a warning;
    this never raises.
    """
    usable, _ = saved_overrides(conversation)
    if not usable:
        return defaults
    return GenerationSettings.from_dict({**defaults.to_dict(), **usable})


@dataclass(frozen=True)
class ThreadView:
    """An open conversation: its visible messages, and each one's versions (oldest first)."""

    conversation: Conversation
    messages: list[Message]
    versions: dict[str, list[str]]  # message id -> ids of it and its siblings


class ChatService:
    """Open, send, regenerate, edit, switch versions; settings as defaults plus overrides.

    Args:
        store: where conversations live.
        defaults: the user's current default sampling settings (Preferences, settings.json);
            asked each time, so a change there reaches every conversation that does not
            override that field.
    """

    def __init__(
        self,
        store: Store,
        defaults: Callable[[], GenerationSettings],
        *,
        states: StateCache | None = None,
        docs: DocsService | None = None,
    ) -> None:
        self.store = store
        self._defaults = defaults
        self.states = states  # the conversations' saved llama.cpp states (instant reopen)
        self.docs = docs  # the user's documents, for conversations that answer from them

    # -- settings -------------------------------------------------------------------------------

    def effective_settings(self, conversation: Conversation | None) -> GenerationSettings:
        """The defaults with the conversation's own overrides on top (see ``effective``)."""
        return effective(self._defaults(), conversation)

    @staticmethod
    def with_overrides(
        conversation: Conversation | None, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The conversation's overrides plus ``changes`` (``None`` values are not changes).

        Only what the user set for this conversation is kept: fields left alone follow the
        defaults, now and after they change. ``changes`` are checked against the settings'
        bounds; saved overrides that are not valid any more are dropped with a warning (see
        ``saved_overrides``), so the result is always valid to save.

        Raises:
            SettingsError: a value in ``changes`` is out of bounds.
        """
        given = {k: v for k, v in changes.items() if v is not None}
        usable, _ = saved_overrides(conversation)
        merged = {**usable, **given}
        checked = GenerationSettings.from_dict(merged).to_dict()  # raises on a bad value
        return {k: checked[k] for k in merged if k in checked}

    # -- conversations ----------------------------------------------------------------------------

    def record_exchange(
        self,
        messages: list[ChatMessage],
        reply: str,
        metrics: ReplyMetrics,
        *,
        thinking: str | None = None,
        model: str | None = None,
        title_prefix: str = "API · ",
    ) -> Conversation | None:
        """Save a conversation that happened elsewhere (an API request) with its reply, as a
        new conversation titled ``title_prefix`` + the first user message. None when the
        messages hold no user turn to start from."""
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        turns = [m for m in messages if m["role"] != "system"]
        if not turns or turns[0]["role"] != "user":
            return None
        store = self.store
        first = turns[0]["content"]
        conv, _msg = store.start_conversation(first, model=model, system_prompt=system)
        for m in turns[1:]:
            store.add_message(conv.id, m["role"], m["content"])
        row = store.begin_reply(conv.id, model=model)
        store.finish_reply(row.id, reply, metrics, thinking=thinking)
        title = title_prefix + " ".join(first.split())[:60]
        return store.update_conversation(conv.id, title=title)

    def apply_prompt(
        self, conversation_id: str | None, prompt: Prompt, *, language: str = "English"
    ) -> Conversation:
        """Give a conversation (``None``: a new, empty one) the prompt's system prompt and
        few-shot examples, its variables filled in now. Raises PromptError for a variable
        the library does not know."""
        applied = apply(prompt, language=language)
        store = self.store
        if conversation_id is None:
            conv = self.start(model=None, system_prompt=applied.system or None)
        else:
            conv = store.update_conversation(conversation_id, system_prompt=applied.system or None)
        return store.set_examples(conv.id, [(e.user, e.assistant) for e in applied.examples])

    def duplicate(self, conversation_id: str) -> Conversation:
        """A copy of the conversation, every branch of it, titled "… (copy)"."""
        return self._copy(conversation_id, None, "copy")

    def fork(self, conversation_id: str, message_id: str) -> Conversation:
        """A new conversation holding the thread from the start down to ``message_id`` (its
        settings, system prompt and collections too), to go on from there apart."""
        return self._copy(conversation_id, message_id, "fork")

    def _copy(self, conversation_id: str, up_to: str | None, word: str) -> Conversation:
        store = self.store
        conv = store.get_conversation(conversation_id)
        if up_to is None:
            messages = store.messages(conv.id)
            leaf = conv.current_leaf_id
        else:
            messages = store.thread(conv.id, store.get_message(up_to).id)
            leaf = messages[-1].id if messages else None
        ids = {m.id: new_id() for m in messages}
        now = timestamp_now()
        copy = replace(
            conv,
            id=new_id(),
            title=f"{conv.title or 'Untitled'} ({word})",
            created_at=now,
            updated_at=now,
            pinned=False,
            current_leaf_id=ids.get(leaf) if leaf else None,
        )
        copied = [
            replace(
                m,
                id=ids[m.id],
                conversation_id=copy.id,
                parent_id=ids.get(m.parent_id) if m.parent_id else None,
            )
            for m in messages
        ]
        store.import_conversation(copy, copied)  # one transaction: all of it or nothing
        if conv.folder_id is not None:  # beside the original
            store.move_conversations([copy.id], conv.folder_id)
        return store.get_conversation(copy.id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation, its messages and its saved model states."""
        self.store.delete_conversation(conversation_id)
        if self.states is not None:
            self.states.forget(conversation_id)

    def open_thread(
        self, conversation_id: str, focus: str | None = None, *, preview: int = PREVIEW_BYTES
    ) -> ThreadView:
        """The conversation as shown: its current thread, or the one through ``focus``.

        A message longer than ``preview`` bytes comes with only its start (``Message.partial``).
        """
        store = self.store
        conv = store.get_conversation(conversation_id)
        thread = store.thread(conv.id, preview=preview)
        if focus is not None and focus not in {m.id for m in thread}:
            thread = store.thread(conv.id, focus, preview=preview)
        return ThreadView(conv, thread, store.versions(conv.id, [m.id for m in thread]))

    def save_message(self, message_id: str, path: Path) -> int:
        """Write a message's whole text to ``path``, byte for byte as stored (UTF-8), a chunk
        at a time; a crash leaves the old file or the new one. Returns the bytes written.

        Raises:
            StoreError: the file cannot be written (the message says why).
        """
        path = Path(path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                size = self.store.write_content(message_id, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

    def start(
        self,
        *,
        model: str | None,
        system_prompt: str | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Conversation:
        """A new conversation; it keeps only ``overrides``, not a copy of the defaults."""
        settings = self.with_overrides(None, overrides or {})
        return self.store.create_conversation(
            model=model, system_prompt=system_prompt, settings=settings
        )

    def send(
        self,
        conversation: Conversation | None,
        text: str,
        *,
        model: str | None,
        system_prompt: str | None = None,
        edit_of: Message | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> tuple[Conversation, Message]:
        """Save the user's message (in a new conversation when there is none yet: both in one
        transaction, so nothing is left half made).

        ``edit_of``: the message being edited; the new one becomes its sibling, a new branch.
        ``overrides``: a new conversation's own settings (see ``start``).
        """
        if conversation is None:
            return self.store.start_conversation(
                text,
                model=model,
                system_prompt=system_prompt,
                settings=self.with_overrides(None, overrides or {}),
            )
        conv = conversation
        parent = edit_of.parent_id if edit_of is not None else None
        if edit_of is not None:
            msg = self.store.add_message(conv.id, "user", text, parent_id=parent)
        else:
            msg = self.store.add_message(conv.id, "user", text)
        return self.store.get_conversation(conv.id), msg

    def switch_version(self, conversation_id: str, message_id: str) -> Conversation:
        """Show the version ``message_id``, following its newest replies down to a leaf."""
        leaf = message_id
        while kids := self.store.children(leaf):
            leaf = kids[-1].id
        return self.store.set_current_leaf(conversation_id, leaf)

    def reply(
        self,
        backend: ChatBackend,
        conversation_id: str,
        parent_id: str,
        settings: GenerationSettings | None = None,
        *,
        cancel: threading.Event | None = None,
        on_begin: Callable[[Message], None] | None = None,
        on_save_delayed: Callable[[str], None] | None = None,
        collections: Sequence[str] | None = None,
        docs_k: int = 5,
        docs_min_similarity: float = 0.0,
        on_retrieved: Callable[[Retrieval], None] | None = None,
        on_summarising: Callable[[int], None] | None = None,
    ) -> Generator[Event, None, None]:
        """Generate and save a reply to the thread ending at ``parent_id``: a user message, or,
        to regenerate, the user message above the reply being replaced.

        Documents: with ``collections`` (default: the conversation's own), the question goes
        to the model with what ``DocsService.retrieve`` found in them, its best ``docs_k``
        passages or one whole document; the saved message stays as the user wrote it, and
        the reply saves what it was given as its sources. ``on_retrieved`` hears what was
        found before the model starts. A collection that no longer exists raises DocsError
        before anything is saved.

        Overflow: with the "summarise" policy, a thread that no longer fits gets a summary of
        its older turns first (``summarise_older``; ``on_summarising`` hears how many
        messages), saved with the reply; the next replies start from it.

        ``backend`` is the local engine or a remote server (``RemoteBackend``); the reply row
        records its model and, for a server, the server's name.

        Args:
            settings: what to sample with; by default the conversation's effective settings.
            cancel: the reply's stop flag (see ``ChatBackend.stream_chat``).
            on_save_delayed: told once, with the reason, when saving waits for another
                program's lock (the reply streams on; see ``reply_to``).
        """
        conv = self.store.get_conversation(conversation_id)
        parent = self.store.get_message(parent_id)
        if settings is None:
            settings = self.effective_settings(conv)
        names = conv.collections if collections is None else tuple(collections)
        prompt_for_last: str | None = None
        sources: Sources | None = None
        if names and parent.role == "user":
            from chatapp.core.docs.service import UNKNOWN_BUDGET, DocsError

            if self.docs is None:
                raise DocsError("the documents index is not open")

            def room() -> int:  # only for a whole document: the thread is read and counted
                budget = backend.prompt_budget(settings) or UNKNOWN_BUDGET
                turns = history(self.store, conv.id, parent.id)
                used = backend.count_tokens(turns[:-1]) if len(turns) > 1 else 0
                return max(0, budget - used)

            def count(text: str) -> int:
                return backend.count_tokens([{"role": "user", "content": text}])

            found = self.docs.retrieve(
                names,
                parent.content,
                k=docs_k,
                min_similarity=docs_min_similarity,
                budget_tokens=room,
                count_tokens=count,
            )
            if on_retrieved is not None:
                on_retrieved(found)
            if found.sources is not None:
                prompt_for_last, sources = found.prompt, found.sources
        # after retrieval: the passages the question goes with count towards what must fit
        summary = summarise_older(
            self.store,
            backend,
            conv.id,
            parent,
            settings,
            cancel=cancel,
            on_summarising=on_summarising,
            question=prompt_for_last,
        )
        return reply_to(
            self.store,
            backend,
            conv.id,
            parent,
            settings,
            cancel=cancel,
            on_begin=on_begin,
            on_save_delayed=on_save_delayed,
            prompt_for_last=prompt_for_last,
            sources=sources,
            summary=summary,
        )


def exchange_saver(
    store: Store,
) -> Callable[[list[ChatMessage], str, str, ReplyMetrics, str], None]:
    """Saves API exchanges in ``store`` as conversations (``ChatService.record_exchange``), one
    at a time: requests finish on threads of their own."""
    chats = ChatService(store, GenerationSettings)
    lock = threading.Lock()

    def save(
        messages: list[ChatMessage], reply: str, thinking: str, metrics: ReplyMetrics, model: str
    ) -> None:
        with lock:
            chats.record_exchange(messages, reply, metrics, thinking=thinking or None, model=model)

    return save


__all__ = [
    "PREVIEW_BYTES",
    "ChatService",
    "ThreadView",
    "effective",
    "exchange_saver",
    "saved_overrides",
]
