"""The chat panel: error banner, conversation header, the messages (or the empty state) and the
composer; sending, streaming the reply in, Stop, Regenerate and Edit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QTextDocumentFragment
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.chat.prompts import Prompt, PromptError
from chatapp.core.chat.service import (
    PREVIEW_BYTES,
    ChatService,
    ThreadView,
    effective,
    saved_overrides,
)
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.docs.index import Collection, IndexResult
from chatapp.core.docs.service import Retrieval
from chatapp.core.inference.backend import TokenCount
from chatapp.core.storage.store import Conversation, Message, Store, StoreError, timestamp_now
from chatapp.ui.i18n import file_size_label, format_number, translate
from chatapp.ui.main.compare_dialog import CompareDialog
from chatapp.ui.main.composer import Composer
from chatapp.ui.main.conversation_settings import ConversationSettingsDialog
from chatapp.ui.main.docs_bar import DocsBar
from chatapp.ui.main.docs_worker import DocsClient, IndexStatus
from chatapp.ui.main.first_run import EmptyState
from chatapp.ui.main.messages import ChatView
from chatapp.ui.main.render import escape_plain
from chatapp.ui.main.servers import RemoteModel
from chatapp.ui.main.state import Stream, WindowState
from chatapp.ui.main.text_viewer import TextViewer
from chatapp.ui.main.theme import is_dark
from chatapp.ui.main.widgets import ErrorBanner, announce, clip, named
from chatapp.ui.main.workers import DocsOptions, EngineClient, StoreClient

REPAINT_MS = 33  # ~30 repaints a second, however fast the model is
ANNOUNCED_CHARS = 200  # of a finished reply, said by a screen reader


class ChatPanel(QWidget):
    """Shows ``state.current``'s thread and talks to the store and engine threads for it."""

    conversation_shown = Signal(str)
    reply_done = Signal(str, str)  # conversation id, message id
    reply_piece = Signal(str)  # the text piece, received on the GUI thread
    error_shown = Signal(str)
    conversations_stale = Signal(object)  # the list needs refreshing; the id to select or None
    conversation_updated = Signal(object)  # Conversation: its settings were saved
    message_saved = Signal(str, int)  # path, bytes: Save to file… finished
    documents_requested = Signal()  # Manage documents…

    def __init__(
        self,
        state: WindowState,
        db: StoreClient,
        chats: ChatService,
        engine: EngineClient,
        empty: EmptyState,
        parent: QWidget | None = None,
        *,
        docs: DocsClient | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.docs = docs
        self.db = db
        self.chats = chats
        self.engine = engine
        self.empty = empty
        self.closing = False
        self.conversation_dialog: ConversationSettingsDialog | None = None
        self.viewer: TextViewer | None = None  # Show all, for the last message asked
        self.compare_dialog: CompareDialog | None = None
        self._extends_view = False  # whether the coming reply goes below the last message shown
        self._replying = False  # Send or Regenerate asked for a reply that has not ended
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(REPAINT_MS)
        self._repaint.timeout.connect(self._flush)
        self._build()
        state.conversation_changed.connect(self._update_header)
        state.settings_changed.connect(self._update_header)
        state.editing_changed.connect(self._editing_changed)
        w = engine.worker
        w.reply_started.connect(self._reply_started)
        w.piece.connect(self._piece)
        w.thinking.connect(self._thinking)
        # the streaming reply's thinking so far, and when it began (for "Thought for N s")
        self._thought: dict[str, tuple[str, float]] = {}
        self._summary_note = ""  # the notice shown while older turns are summarised
        # who else can answer in Compare: the window knows the recent models and the servers
        self.compare_choices: Callable[[], list[tuple[str, Path | RemoteModel]]] = list
        w.prompt_progress.connect(self._prompt_progress)
        w.token_count.connect(self._token_count)
        w.reply_finished.connect(self._reply_finished)
        w.reply_failed.connect(self._reply_failed)
        w.save_delayed.connect(self._save_delayed)
        w.retrieved.connect(self._retrieved)
        w.summarising.connect(self._summarising)
        if docs is not None:
            dw = docs.worker
            dw.collections_listed.connect(self._collections_listed)
            dw.status.connect(self._index_status)
            dw.idle.connect(self._index_idle)  # methods, not lambdas: run on this thread
            dw.failed.connect(self._docs_failed)
            dw.open_checked.connect(self._open_checked)
            dw.indexed.connect(self._indexed)
        self.update_stack()

    def _build(self) -> None:
        cv = QVBoxLayout(self)
        cv.setContentsMargins(0, 6, 6, 6)
        self.banner = ErrorBanner(self)
        self.banner.shown.connect(self.error_shown)
        self.error_label = self.banner.label
        self.notice = ErrorBanner(self, kind="notice")  # e.g. the chat template a file gets
        self.header = named(
            QLabel(self), "conversationHeader", translate("ChatPanel", "Conversation details")
        )
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.linkActivated.connect(lambda _h: self.edit_system_prompt())
        self.header.setOpenExternalLinks(False)
        # its "change" link is a Tab stop too (Enter follows it), not for the mouse only
        self.header.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.chat_view = ChatView(self)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.regenerate_requested.connect(self.regenerate)
        self.chat_view.branch_requested.connect(self.switch_branch)
        self.chat_view.show_all_requested.connect(self.show_all)
        self.chat_view.save_requested.connect(self.save_message)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.chat_view)
        composer_row = QHBoxLayout()
        self.composer = Composer(self)
        self.composer.submitted.connect(self.send)
        self.send_button = named(
            QPushButton(translate("ChatPanel", "Send"), self),
            "sendButton",
            translate("ChatPanel", "Send"),
            translate(
                "ChatPanel", "Send the message to the model (Enter); Shift+Enter starts a new line"
            ),
        )
        self.send_button.clicked.connect(lambda: self.send(self.composer.toPlainText()))
        self.stop_button = named(
            QPushButton(translate("ChatPanel", "Stop"), self),
            "stopButton",
            translate("ChatPanel", "Stop the reply"),
            translate("ChatPanel", "Stop the model writing this reply (Esc)"),
        )
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        composer_row.addWidget(self.composer, 1)
        composer_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        composer_row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.edit_note = named(
            QLabel(self), "editNote", translate("ChatPanel", "Editing a message")
        )
        self.edit_note.hide()
        self.docs_bar = DocsBar(self.state, self)
        self.docs_bar.chosen.connect(self.choose_collections)
        self.docs_bar.manage_requested.connect(self.documents_requested)
        self.chat_view.open_source_requested.connect(self.open_source)
        self.chat_view.fork_requested.connect(self.fork)
        self.chat_view.delete_requested.connect(self.delete_message)
        cv.addWidget(self.banner)
        cv.addWidget(self.notice)
        cv.addWidget(self.header)
        cv.addWidget(self.stack, 1)
        cv.addWidget(self.edit_note)
        cv.addWidget(self.docs_bar)
        cv.addLayout(composer_row)

    def show_error(self, message: str) -> None:
        self.banner.show_error(message)

    def update_stack(self) -> None:
        """The messages, or the empty state while there are none."""
        has_messages = bool(self.chat_view.widgets)
        self.stack.setCurrentWidget(self.chat_view if has_messages else self.empty)
        self.empty.update_state()

    # -- conversations --------------------------------------------------------------------------

    def open_conversation(self, conv_id: str, focus_message: str | None = None) -> None:
        chats = self.chats

        def fetch(_store: Store) -> ThreadView:
            return chats.open_thread(conv_id, focus_message)

        self.db.call(fetch, lambda view: self._show_conversation(view, focus_message))

    def switch_branch(self, message_id: str, step: int) -> None:
        """Show the previous/next version of a message (from an edit or a regenerate)."""
        current = self.state.current
        if current is None or self.state.stream is not None:
            return
        conv_id = current.id
        options = self.state.versions.get(message_id, [message_id])
        index = options.index(message_id) + step
        if not 0 <= index < len(options):
            return
        target = options[index]
        chats = self.chats

        def switch(_store: Store) -> None:
            chats.switch_version(conv_id, target)

        self.db.call(switch, lambda _r: self.open_conversation(conv_id))

    def show_version(self, message_id: str) -> None:
        """Show the branch through ``message_id`` (a node of the versions tree), down to its
        newest reply, and scroll to it."""
        current = self.state.current
        if current is None or self.state.stream is not None:
            return
        conv_id = current.id
        chats = self.chats

        def switch(_store: Store) -> None:
            chats.switch_version(conv_id, message_id)

        self.db.call(switch, lambda _r: self.open_conversation(conv_id, message_id))

    def _show_conversation(self, view: ThreadView, focus: str | None) -> None:
        conv, messages, versions = view.conversation, view.messages, view.versions
        opened = not self.state.is_current(conv.id)  # not just another branch of it
        self.state.current = conv
        if opened:
            self._point_out_unusable_settings(conv)
        self.state.set_thread(messages, versions)
        self.chat_view.dark = is_dark(self)
        self.chat_view.show_messages(messages)
        self.chat_view.mark_left_out(messages, len(conv.examples))
        for m in messages:
            options = versions.get(m.id, [m.id])
            if len(options) > 1 and m.id in options:
                self.chat_view.set_branch(m.id, options.index(m.id), len(options))
        s = self.state.stream
        if s is not None and s.conversation_id == conv.id:
            if s.message_id not in self.chat_view.widgets:
                self.chat_view.append(self._placeholder(s), streaming=True)
            self.chat_view.update_text(s.message_id, s.text)
            w = self.chat_view.widgets[s.message_id]
            w.set_meta(w.message, streaming=True)
        self.chat_view.set_busy(s is not None)
        self.update_stack()
        if focus:
            self.chat_view.scroll_to(focus)
        self.state.settings = self.state.settings.updated(last_conversation=conv.id)
        self.conversation_shown.emit(conv.id)

    def _point_out_unusable_settings(self, conv: Conversation) -> None:
        """Saved overrides that no longer pass (an old chatapp, an edited database) are ignored;
        say so once, when the conversation opens, so a missing setting is not a mystery."""
        _, refused = saved_overrides(conv)
        if refused:
            self.show_error(
                translate(
                    "ChatPanel",
                    "Some of this conversation's saved settings cannot be used, so the defaults "
                    "are used for them: {refused}. Choose new ones with "
                    "“change” above the conversation.",
                ).format(refused="; ".join(map(str, refused)))
            )

    def _update_header(self) -> None:
        conv = self.state.current
        if conv is None:
            self.header.setText("")
            return
        prompt = conv.system_prompt or translate("ChatPanel", "none")
        gen = self.generation_settings()
        n = len(conv.examples)
        examples = translate("ChatPanel", "%n example(s) · ", None, n) if n else ""
        title = conv.title or translate("ChatPanel", "New chat")
        max_tokens = gen.max_tokens
        self.header.setText(
            f"<b>{escape_plain(title)}</b><br><small>"
            + translate(
                "ChatPanel",
                "System prompt: {prompt} · {examples}temperature {temperature} · "
                "max %Ln token(s) (<a href='edit'>change</a>)",
                None,
                max_tokens,
            ).format(
                prompt=escape_plain(clip(prompt, 120)),
                examples=examples,
                temperature=QLocale().toString(gen.temperature, "g", 6),
            )
            + "</small>"
        )
        # what a screen reader says after "Conversation details": the text itself
        self.header.setAccessibleDescription(
            QTextDocumentFragment.fromHtml(self.header.text()).toPlainText()
        )

    def new_chat(self) -> None:
        self.state.current = None
        self.state.set_thread([], {})
        self.chat_view.clear()
        self.state.editing = None
        self.update_stack()
        self.composer.setFocus()

    def edit_system_prompt(self) -> None:
        """This conversation's system prompt and sampling settings (they override the defaults)."""
        conv, settings = self.state.current, self.state.settings
        if conv is None:
            self.show_error(
                translate(
                    "ChatPanel",
                    "Start a conversation first: new chats use the default system "
                    "prompt and settings from Preferences (Ctrl+,).",
                )
            )
            return
        shown = settings.updated(
            generation=self.generation_settings(), system_prompt=conv.system_prompt or ""
        )
        dialog = ConversationSettingsDialog(shown, conv, self, model=self.state.model)
        self.conversation_dialog = dialog
        if not dialog.exec():
            return
        edited = dialog.result_settings()
        overrides = dialog.overrides(self.state.settings.generation)
        self.db.call(
            lambda s: s.update_conversation(
                conv.id, system_prompt=edited.system_prompt or None, settings=overrides
            ),
            self.conversation_updated.emit,
        )

    # -- sending and streaming ------------------------------------------------------------------

    def generation_settings(self) -> GenerationSettings:
        return effective(self.state.settings.generation, self.state.current)

    def send(self, text: str) -> None:
        state = self.state
        if not text.strip():
            return
        if self.busy:
            self.show_error(
                translate(
                    "ChatPanel",
                    "A reply is still streaming: stop it (Esc) or wait for it to finish.",
                )
            )
            return
        if not state.has_model:
            self.show_error(
                translate(
                    "ChatPanel",
                    "No model is loaded: open a GGUF model file first (File → Open model).",
                )
            )
            return
        conv, editing = state.current, state.editing
        system_prompt = state.settings.system_prompt or None
        model_name = state.model_name
        chats = self.chats
        pending = state.pending_collections if conv is None else ()

        def save(store: Store) -> tuple[Conversation, Message]:
            made, msg = chats.send(
                conv, text, model=model_name, system_prompt=system_prompt, edit_of=editing
            )
            if pending:  # chosen before the chat began: it begins with them
                made = store.set_collections(made.id, pending)
            return made, msg

        cancel = self.engine.new_reply()  # Stop from now on stops this reply
        self.composer.clear()
        self.composer.setFocus()
        state.editing = None
        self._set_streaming_ui(True)

        def not_saved(_message: str) -> None:  # the banner says why (StoreClient.error)
            self._set_streaming_ui(False)
            if not self.composer.toPlainText().strip():
                self.composer.setPlainText(text)  # nothing typed is lost
            state.editing = editing

        self.db.call(save, lambda result: self._sent(result[0], result[1], cancel), not_saved)

    def _sent(self, conv: Conversation, user: Message, cancel: threading.Event) -> None:
        created = not self.state.is_current(conv.id)
        self.state.current = conv
        if created:
            self.state.pending_collections = ()
            self.conversations_stale.emit(conv.id)
        self._searching(conv)
        self.engine.chat(conv.id, user.id, self.generation_settings(), cancel, self._docs_options())
        self._extends_view = self._ends_view(user.parent_id)
        if self._extends_view:  # sending appends; only an edit (a new branch) rebuilds
            self.state.append_message(user)
            self.chat_view.append(user)
            self.update_stack()
        else:
            self.open_conversation(conv.id)

    def _ends_view(self, parent_id: str | None) -> bool:
        """Whether a message under ``parent_id`` goes at the end of the thread on screen."""
        thread = self.state.thread_messages
        last = thread[-1].id if thread else None
        return self.state.current is not None and parent_id == last

    def _placeholder(self, s: Stream) -> Message:
        remote = self.state.remote
        return Message(
            id=s.message_id,
            conversation_id=s.conversation_id,
            parent_id=None,
            role="assistant",
            content=s.text,
            created_at=timestamp_now(),
            model=self.state.model_name,
            backend=remote.server.name if remote is not None else None,
        )

    def _reply_started(self, conv_id: str, message_id: str) -> None:
        s = self.state.stream = Stream(conv_id, message_id)
        self._summarised()  # the reply itself begins
        if not self.state.is_current(conv_id):
            return
        if self._extends_view:  # a reply to the message just sent: add it below
            placeholder = self._placeholder(s)
            self.state.append_message(placeholder)
            self.chat_view.append(placeholder, streaming=True)
            self.chat_view.set_busy(True)
        else:  # a regenerated reply replaces the one shown: the thread changed
            self.open_conversation(conv_id)

    def _thinking(self, _conv_id: str, message_id: str, text: str) -> None:
        s = self.state.stream
        if s is None or s.message_id != message_id:
            return
        so_far, began = self._thought.get(message_id, ("", time.monotonic()))
        self._thought[message_id] = (so_far + text, began)
        if w := self.chat_view.widgets.get(message_id):
            w.thinking.show_thinking(so_far + text, streaming=True)

    def _piece(self, conv_id: str, message_id: str, text: str) -> None:
        s = self.state.stream
        if s is None or s.message_id != message_id:
            return
        thought = self._thought.pop(message_id, None)  # the answer begins: fold it away
        if thought and (w := self.chat_view.widgets.get(message_id)):
            w.thinking.show_thinking(
                thought[0], streaming=False, seconds=time.monotonic() - thought[1]
            )
        s.text += text
        self.reply_piece.emit(text)
        if not self._repaint.isActive():
            self._repaint.start()

    def _stream_meta(self, message_id: str, text: str) -> None:
        s = self.state.stream
        if s is None or s.message_id != message_id or not self.state.is_current(s.conversation_id):
            return
        if w := self.chat_view.widgets.get(message_id):
            w.meta.setText(text)

    def _prompt_progress(self, message_id: str, done: int, total: int) -> None:
        """A long prompt (more than one batch) shows how far llama.cpp has read it."""
        model = self.state.model
        if model is not None and total > model.n_batch:
            self._stream_meta(
                message_id,
                translate(
                    "ChatPanel", "reading the prompt: {done} of %Ln token(s)…", None, total
                ).format(done=format_number(done)),
            )

    def _token_count(self, message_id: str, count: TokenCount) -> None:
        speed = (
            translate("ChatPanel", " · {speed} tok/s").format(speed=format_number(count.speed, 1))
            if count.speed is not None
            else ""
        )
        tokens = count.tokens
        self._stream_meta(
            message_id, translate("ChatPanel", "generating… %Ln token(s)", None, tokens) + speed
        )

    def _flush(self) -> None:
        s = self.state.stream
        if s is not None and self.state.is_current(s.conversation_id):
            self.chat_view.update_text(s.message_id, s.text)

    def _reply_finished(self, conv_id: str, message_id: str) -> None:
        self._repaint.stop()
        self.state.stream = None
        self._set_streaming_ui(False)
        if self.closing:
            return

        def fetch(store: Store) -> Message:
            return store.get_message(message_id)

        self.db.call(fetch, lambda m: self._finished_message(conv_id, m))
        self.conversations_stale.emit(None)

    def _finished_message(self, conv_id: str, message: Message) -> None:
        if self.state.is_current(conv_id):
            self.state.put_message(message)
            self.chat_view.finish(message)
            conv = self.state.current
            self.chat_view.mark_left_out(
                self.state.thread_messages, len(conv.examples) if conv else 0
            )
            self.chat_view.set_busy(False)
        self.announce_reply(message)
        self.reply_done.emit(conv_id, message.id)

    def announce_reply(self, message: Message) -> None:
        """Tell screen readers that a reply is complete, once, with its start (not while it
        streams: a token at a time would drown out everything else)."""
        text = " ".join(message.content.split())
        if not text:
            return
        said = self.tr("Reply finished: {start}").format(start=clip(text, ANNOUNCED_CHARS))
        announce(self, said)

    def _save_delayed(self, _conv_id: str, reason: str) -> None:
        self.show_error(
            translate(
                "ChatPanel",
                "Saving the reply waits: {reason}. It goes on, and is saved once the lock is "
                "released.",
            ).format(reason=reason)
        )

    def _reply_failed(self, conv_id: str, message: str) -> None:
        self.docs_bar.set_searching("")
        self._summarised()
        self.show_error(translate("ChatPanel", "The reply failed: {error}").format(error=message))
        if self.state.stream is None:
            self._set_streaming_ui(False)

    @property
    def busy(self) -> bool:
        """A reply is streaming, or was asked for and has not begun (no second one until then:
        it would take the first one's stop flag)."""
        return self.state.stream is not None or self._replying

    def _set_streaming_ui(self, streaming: bool) -> None:
        self._replying = streaming
        self.stop_button.setVisible(streaming)
        self.send_button.setVisible(not streaming)
        self.chat_view.set_busy(streaming)

    def stop(self) -> None:
        """Esc: stop the streaming reply, or else leave editing a message."""
        if self.busy:
            self.engine.cancel()
        elif self.state.editing is not None:
            self.state.editing = None
            self.composer.clear()

    def regenerate(self, message_id: str | None) -> None:
        state = self.state
        if self.busy or not state.has_model or state.current is None:
            if not state.has_model:
                self.show_error(
                    translate("ChatPanel", "No model is loaded: open a GGUF model file first.")
                )
            return
        replies = [m for m in state.thread_messages if m.role == "assistant"]
        target = next((m for m in replies if m.id == message_id), replies[-1] if replies else None)
        if target is None or target.parent_id is None:
            return
        self._set_streaming_ui(True)
        self._extends_view = self._ends_view(target.parent_id)
        cancel = self.engine.new_reply()
        self._searching(state.current)
        self.engine.chat(
            state.current.id,
            target.parent_id,
            self.generation_settings(),
            cancel,
            self._docs_options(),
        )

    def compare(self) -> CompareDialog | None:
        """Chat → Compare…: the last question answered with this chat's settings and with
        others, side by side; Keep shows the chosen reply (both stay as versions)."""
        state = self.state
        conv = state.current
        questions = [m for m in state.thread_messages if m.role == "user"]
        if conv is None or not questions:
            self.show_error(
                translate(
                    "ChatPanel", "Ask something first: Compare answers the last question twice."
                )
            )
            return None
        if not state.has_model or self.busy:
            self.show_error(
                translate("ChatPanel", "A reply is still streaming: stop it first.")
                if self.busy
                else translate("ChatPanel", "No model is loaded: open a GGUF model file first.")
            )
            return None
        dialog = CompareDialog(
            self.engine,
            self.db,
            conv.id,
            questions[-1],
            self.generation_settings(),
            model_a=(
                state.remote.label
                if state.remote is not None
                else state.model.info.name
                if state.model is not None
                else translate("ChatPanel", "this model")
            ),
            others=self.compare_choices(),
            dark=is_dark(self),
            parent=self,
        )
        dialog.setModal(True)
        dialog.kept.connect(self.show_version)
        dialog.finished.connect(lambda _r: self.open_conversation(conv.id))
        dialog.finished.connect(self._compare_closed)
        self.compare_dialog = dialog
        dialog.show()
        return dialog

    def use_prompt(self, prompt: Prompt, new_chat: bool) -> None:
        """A prompt of the library in the chat on screen, or in a new one (its variables
        filled in now; {{language}} is the system's language)."""
        conv = None if new_chat else self.state.current
        conv_id = conv.id if conv is not None else None
        language = QLocale.languageToString(QLocale.system().language())
        chats = self.chats

        def job(_store: Store) -> Conversation | str:
            try:
                return chats.apply_prompt(conv_id, prompt, language=language)
            except PromptError as exc:
                return str(exc)

        def done(result: Conversation | str) -> None:
            if isinstance(result, str):
                self.show_error(
                    translate("ChatPanel", "The prompt cannot be used: {error}").format(
                        error=result
                    )
                )
            elif conv_id is None:
                self.conversations_stale.emit(result.id)  # listed, then opened
            else:
                self.state.current = result
                self.conversation_updated.emit(result)

        self.db.call(job, done)

    def delete_message(self, message_id: str) -> None:
        """Delete a message and what is below it; the notice offers Undo, which puts every
        one of them back (same ids, texts, metrics) and shows them again."""
        conv = self.state.current
        if conv is None or self.busy:
            if self.busy:
                self.show_error(
                    translate(
                        "ChatPanel", "A reply is streaming: stop it (Esc) before deleting messages."
                    )
                )
            return
        conv_id, leaf = conv.id, conv.current_leaf_id

        def deleted(result: tuple[Conversation, list[Message]]) -> None:
            updated, gone = result
            n = len(gone)
            self.notice.show_error(
                translate("ChatPanel", "Deleted %n message(s).", None, n),
                (translate("ChatPanel", "Undo"), lambda: undo(gone)),
            )
            self.open_conversation(updated.id)

        def undo(gone: list[Message]) -> None:
            self.notice.hide()
            self.db.call(
                lambda s: s.restore_messages(conv_id, gone, leaf),
                lambda _c: self.open_conversation(conv_id),
            )

        self.db.call(lambda s: s.delete_message(message_id), deleted)

    def fork(self, message_id: str) -> None:
        """A new conversation from the start down to this message, opened."""
        conv = self.state.current
        if conv is None:
            return
        chats = self.chats
        self.db.call(
            lambda _s: chats.fork(conv.id, message_id),
            lambda made: self.conversations_stale.emit(made.id),
        )

    # -- documents ------------------------------------------------------------------------------

    def _docs_options(self) -> DocsOptions:
        settings = self.state.settings
        return DocsOptions(settings.docs_k, settings.docs_min_similarity)

    def _searching(self, conv: Conversation) -> None:
        if conv.collections:
            self.docs_bar.set_searching(
                translate("ChatPanel", "Searching {names}…").format(
                    names=", ".join(conv.collections)
                )
            )

    def _compare_closed(self) -> None:
        """Each Compare is a new dialog: the one closed goes, with its connections."""
        if self.compare_dialog is not None:
            self.compare_dialog.deleteLater()
            self.compare_dialog = None

    def _summarising(self, conv_id: str, count: int) -> None:
        if self.state.is_current(conv_id):
            self._summary_note = translate(
                "ChatPanel",
                "The conversation no longer fits the context: the model is summarising the "
                "earlier %n message(s) first (its conversation settings say so)…",
                None,
                count,
            )
            self.notice.show_error(self._summary_note)

    def _summarised(self) -> None:
        """The summarising is over: its notice goes (not another notice shown since)."""
        if self._summary_note and self.notice.label.text() == self._summary_note:
            self.notice.hide()
        self._summary_note = ""

    def _retrieved(self, conv_id: str, found: Retrieval) -> None:
        if not self.state.is_current(conv_id):
            return
        if found.sources is None:
            names = ", ".join(self.state.chosen_collections) or translate(
                "ChatPanel", "the documents"
            )
            self.docs_bar.set_searching(
                translate("ChatPanel", "Nothing in {names} matched: answered without them").format(
                    names=names
                )
            )
        elif found.notes:
            self.docs_bar.set_searching("; ".join(found.notes))
        else:
            self.docs_bar.set_searching("")

    def choose_collections(self, names: tuple[str, ...]) -> None:
        """The collections this conversation answers from (a chat not begun: it will)."""
        conv = self.state.current
        if conv is None:
            self.state.pending_collections = names
            return

        def saved(updated: Conversation) -> None:
            if self.state.is_current(updated.id):
                self.state.current = updated
            self.conversation_updated.emit(updated)

        self.db.call(lambda s: s.set_collections(conv.id, names), saved)

    def _collections_listed(self, collections: list[Collection]) -> None:
        self.state.collections = collections

    def _index_status(self, status: IndexStatus) -> None:
        self.state.index_status = status

    def _index_idle(self) -> None:
        self.state.index_status = None

    def _docs_failed(self, why: str) -> None:
        self.show_error(translate("ChatPanel", "Documents: {error}").format(error=why))

    def _indexed(self, collection: str, result: IndexResult) -> None:
        if result.skipped:
            skipped = len(result.skipped)
            self.notice.show_error(
                translate(
                    "ChatPanel",
                    "{collection}: %n file(s) skipped, e.g. {name}: {reason} "
                    "(Settings → Documents… lists them all)",
                    None,
                    skipped,
                ).format(
                    collection=collection,
                    name=Path(result.skipped[0][0]).name,
                    reason=result.skipped[0][1],
                )
            )

    def open_source(self, path: str, page: int | None) -> None:
        """A click on a source: its file is checked on the documents thread, then opened."""
        if self.docs is None:
            self.show_error(
                translate(
                    "ChatPanel", "{path} cannot be opened: documents are not available"
                ).format(path=path)
            )
            return
        self.docs.check_open(path, page)

    def _open_checked(self, path: str, page: int | None, problem: str) -> None:
        if problem == "folder":  # not a document: its folder is shown, the file never run
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))
            return
        if problem:
            self.show_error(
                translate("ChatPanel", "The source cannot be opened: {error}").format(error=problem)
            )
            return
        url = QUrl.fromLocalFile(path)
        if page is not None and path.lower().endswith(".pdf"):
            url.setFragment(f"page={page}")  # PDF viewers that read it open at the page
        QDesktopServices.openUrl(url)

    # -- long messages ----------------------------------------------------------------------------

    def show_all(self, message_id: str) -> None:
        """Show all: read the whole text on the store thread, then open it in a viewer."""

        def fetch(store: Store) -> Message:
            return store.get_message(message_id)

        def opened(message: Message) -> None:
            if self.closing:
                return
            if self.viewer is not None:
                self.viewer.close()
            who = (
                translate("ChatPanel", "Your message")
                if message.role == "user"
                else translate("ChatPanel", "Reply")
            )
            size = len(message.content.encode("utf-8", "surrogatepass"))
            self.viewer = TextViewer(who, message.content, size, self)
            self.viewer.show()

        self.db.call(fetch, opened)

    def save_message(self, message_id: str) -> None:
        """Save to file…: ask where, then the store thread writes the whole text there."""
        suggested = str(Path.home() / f"message-{message_id[:8]}.txt")
        path, _ = QFileDialog.getSaveFileName(
            self,
            translate("ChatPanel", "Save the whole message"),
            suggested,
            translate("ChatPanel", "Text files (*.txt);;All files (*)"),
        )
        if not path:
            return
        chats = self.chats

        def save(_store: Store) -> int | str:
            try:
                return chats.save_message(message_id, Path(path))
            except StoreError as exc:  # said here: it is the user's file, not the store
                return str(exc)

        def done(size: int | str) -> None:
            if isinstance(size, str):
                self.show_error(
                    translate("ChatPanel", "Could not save the message: {error}").format(error=size)
                )
                return
            if w := self.chat_view.widgets.get(message_id):
                w.saved(path, size)
            self.message_saved.emit(path, size)

        self.db.call(save, done)

    def edit_message(self, message_id: str | None) -> None:
        users = [m for m in self.state.thread_messages if m.role == "user"]
        target = next((m for m in users if m.id == message_id), users[-1] if users else None)
        if target is None or self.state.stream is not None:
            return
        if target.partial or len(target.content) > PREVIEW_BYTES:
            size = target.full_size or len(target.content.encode("utf-8", "surrogatepass"))
            self.show_error(
                translate(
                    "ChatPanel",
                    "This message is too long to edit here ({size}): save it to a "
                    "file, shorten it there, and send the part that matters.",
                ).format(size=file_size_label(size))
            )
            return
        self.state.editing = target
        self.composer.setPlainText(target.content)
        self.composer.setFocus()

    def _editing_changed(self) -> None:
        if self.state.editing is not None:
            self.edit_note.setText(
                translate(
                    "ChatPanel",
                    "Editing your message: sending it starts a new branch from here. "
                    "Esc or an empty box cancels.",
                )
            )
        self.edit_note.setVisible(self.state.editing is not None)
