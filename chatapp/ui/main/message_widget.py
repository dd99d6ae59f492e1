"""One message on screen: who wrote it, its text as rich text (streamed in block by block), its
footer (speed, tokens, why it stopped) and its buttons (Copy, Edit, Regenerate, versions).

A message longer than ``PREVIEW_BYTES`` shows only its start, as plain text, with a note
("Showing the first 64.0 KB of 200.0 MB") and Show all / Save to file… beside it.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QLocale, QSizeF, Qt, QTime, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.chat.service import PREVIEW_BYTES
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Message
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, file_size_label, format_number, translate
from chatapp.ui.main.render import escape_plain
from chatapp.ui.main.render_stream import MarkdownStream, StreamUpdate, render_blocks
from chatapp.ui.main.sources_view import SourcesView
from chatapp.ui.main.text_viewer import SHOW_ALL_BYTES
from chatapp.ui.main.thinking import SummaryBlock, ThinkingBlock
from chatapp.ui.main.widgets import clip

_SAFE_SCHEMES = ("http", "https", "mailto")
COPIED_MS = 1500  # how long Copy says "Copied"
SPOKEN_NAME = 120  # characters of a message's text in its accessible name
SPOKEN_TEXT = 20_000  # ... and in its accessible description (the whole text, most often)


def _separator_format() -> QTextCharFormat:
    # The block between the finished blocks and the open one: as thin as a line can be, so the
    # growing reply shows (almost) no gap there; the open block's text brings its own format.
    f = QTextCharFormat()
    f.setFontPointSize(1)
    return f


_SEPARATOR = _separator_format()


class MessageBody(QTextBrowser):
    """Rich text that sizes itself to its content and wraps long words anywhere.

    The surrounding ``ChatView`` scrolls; a body never shows scroll bars of its own.
    """

    link_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        # transparent without a style sheet (one per widget makes every widget cost more)
        self.viewport().setAutoFillBackground(False)
        self.setAutoFillBackground(False)
        self.document().setDocumentMargin(0)
        self.document().setUndoRedoEnabled(False)  # read-only; edits must not pile up
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._tail: int | None = None  # where the open block of a streaming reply starts
        self.anchorClicked.connect(lambda url: self.link_clicked.emit(url.toString()))

    def show_html(self, html: str) -> None:
        self._tail = None
        self.setHtml(html)

    def show_stream(self, update: StreamUpdate) -> None:
        """Show a streaming reply, replacing only what follows the finished blocks.

        Only the open block's HTML is parsed and laid out again; the finished blocks before it
        stay in the document untouched.
        """
        doc = self.document()
        if update.reset or self._tail is None:
            self.setHtml("".join(update.finished))
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()  # one layout pass for the whole change
        if update.reset or self._tail is None:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            if update.finished:
                cursor.insertBlock(QTextBlockFormat(), _SEPARATOR)
        else:
            cursor.setPosition(self._tail)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            if update.finished:
                cursor.insertHtml("".join(update.finished).rstrip())
                cursor.insertBlock(QTextBlockFormat(), _SEPARATOR)
        self._tail = cursor.position()
        if update.tail:
            cursor.insertHtml(update.tail.rstrip())
        cursor.endEditBlock()

    def _fit(self, size: QSizeF) -> None:
        self.setFixedHeight(int(size.height()) + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        self._fit(self.document().size())

    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt's name
        event.ignore()  # let the conversation scroll


class MessageWidget(QFrame):
    """A message: who, the text (Markdown for replies), quiet metrics and actions."""

    edit_requested = Signal(str)  # message id
    regenerate_requested = Signal(str)
    branch_requested = Signal(str, int)  # message id, -1 for the previous version, +1 next
    show_all_requested = Signal(str)  # message id: open the whole of a long message
    save_requested = Signal(str)  # message id: save its whole text to a file
    open_source_requested = Signal(str, object)  # a source's file path, page or None
    fork_requested = Signal(str)  # message id: a new conversation from the start to here
    delete_requested = Signal(str)  # message id: delete it and what is below it (undoable)

    def __init__(
        self,
        message: Message,
        *,
        dark: bool,
        parent: QWidget | None = None,
        width: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.message = message
        self.dark = dark
        self.code_blocks: tuple[str, ...] = ()
        self._stream: MarkdownStream | None = None
        self.setObjectName(f"message-{message.role}")
        self.setFrameShape(QFrame.Shape.NoFrame)
        if message.role == "user":  # the user's turns sit on a quiet band
            self.setAutoFillBackground(True)
            self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        who = (
            translate("MessageWidget", "You")
            if message.role == "user"
            else translate("MessageWidget", "Assistant · {model}").format(
                model=message.model or translate("MessageWidget", "model")
            )
        )
        if message.role == "assistant" and message.backend:  # written on another machine
            who += translate("MessageWidget", " · via {server}").format(server=message.backend)
        self.header = QLabel(f"<b>{escape_plain(who)}</b>", self)
        self.header.setObjectName("messageHeader")
        if message.role == "assistant" and message.backend:
            self.header.setToolTip(
                translate("MessageWidget", "from the server {server}").format(
                    server=message.backend
                )
            )
        self.header.setWordWrap(True)
        self.header.setMinimumWidth(1)
        self.time_label = QLabel(message_time(message.created_at), self)
        self.time_label.setObjectName("messageTime")
        self.time_label.setEnabled(False)  # the quiet colour
        self.time_label.setToolTip(message.created_at)
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.header, 1)
        top.addWidget(self.time_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.left_out_note = QLabel(
            translate(
                "MessageWidget",
                "Left out of what the model read for the last reply: the context was full",
            ),
            self,
        )
        self.left_out_note.setObjectName("leftOutNote")
        self.left_out_note.setEnabled(False)  # the quiet colour
        self.left_out_note.setWordWrap(True)
        self.left_out_note.hide()
        layout.addWidget(self.left_out_note)
        self.summary: SummaryBlock | None = None
        self.thinking = ThinkingBlock(self)
        layout.addWidget(self.thinking)
        if message.thinking:
            self.thinking.show_thinking(message.thinking, streaming=False)
        self.body = MessageBody(self)
        self.body.setObjectName("messageBody")
        self.body.setAccessibleName(
            translate("MessageWidget", "Your message")
            if message.role == "user"
            else translate("MessageWidget", "Reply")
        )
        self.body.link_clicked.connect(self._link)
        self.body.setMinimumWidth(1)
        if width is not None:  # lay the text out once, at the width it will have
            self.body.document().setTextWidth(max(1, width - 24))
        layout.addWidget(self.body)
        self.sources_view: SourcesView | None = None
        self._layout = layout
        self.show_summary(message)
        self._build_note(layout)
        footer = QHBoxLayout()
        footer.setSpacing(6)
        self.meta = QLabel(self)
        self.meta.setObjectName("messageMeta")
        self.meta.setEnabled(False)  # drawn in the palette's quiet colour
        # a long footer wraps instead of widening the column past the window
        self.meta.setWordWrap(True)
        self.meta.setMinimumWidth(1)
        self.meta.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if message.role == "assistant":
            # a reply's metrics get a line of their own: beside versions, Copy, ⋯ and
            # Regenerate, an 800 px window left them a word a line
            layout.addWidget(self.meta)
            footer.addStretch(1)
        else:
            footer.addWidget(self.meta, 1)
        self.prev_button = self._button(
            "\u2039",
            "previousVersion",
            translate("MessageWidget", "Previous version"),
            translate("MessageWidget", "Show the previous version of this message and its replies"),
        )
        self.branch_label = QLabel(self)
        self.branch_label.setObjectName("versionLabel")
        self.next_button = self._button(
            "\u203a",
            "nextVersion",
            translate("MessageWidget", "Next version"),
            translate("MessageWidget", "Show the next version of this message and its replies"),
        )
        self.prev_button.clicked.connect(lambda: self.branch_requested.emit(message.id, -1))
        self.next_button.clicked.connect(lambda: self.branch_requested.emit(message.id, 1))
        for w in (self.prev_button, self.branch_label, self.next_button):
            w.hide()
            footer.addWidget(w)
        self.copy_button = self._button(
            translate("MessageWidget", "Copy"),
            "copyMessage",
            translate("MessageWidget", "Copy the whole message"),
            translate("MessageWidget", "Copy this message's text to the clipboard"),
        )
        self.copy_button.clicked.connect(self.copy)
        footer.addWidget(self.copy_button)
        # the rarer actions wait in a menu: the footer stays narrow enough for an 800 px window
        self.more_button = QToolButton(self)
        self.more_button.setObjectName("messageMore")
        self.more_button.setAccessibleName(
            translate("MessageWidget", "More actions on this message")
        )
        self.more_button.setToolTip(
            translate("MessageWidget", "Fork a new chat from here, or delete this message")
        )
        self.more_button.setText("\u22ef")
        self.more_button.setAutoRaise(True)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        self.fork_action = more.addAction(translate("MessageWidget", "Fork: a new chat from here"))
        self.fork_action.triggered.connect(lambda: self.fork_requested.emit(self.message.id))
        self.delete_action = more.addAction(
            translate("MessageWidget", "Delete (with the replies below it)")
        )
        self.delete_action.triggered.connect(lambda: self.delete_requested.emit(self.message.id))
        self.more_button.setMenu(more)
        footer.addWidget(self.more_button)
        self.action_button: QPushButton | None = None
        if message.role == "user":
            self.action_button = self._button(
                translate("MessageWidget", "Edit"),
                "editMessage",
                translate("MessageWidget", "Edit and resend"),
                translate(
                    "MessageWidget",
                    "Change this message and send it again; the old one stays as a version",
                ),
            )
            self.action_button.clicked.connect(lambda: self.edit_requested.emit(message.id))
        elif message.role == "assistant":
            self.action_button = self._button(
                translate("MessageWidget", "Regenerate"),
                "regenerate",
                translate("MessageWidget", "Regenerate this reply"),
                translate(
                    "MessageWidget",
                    "Ask the model again for this reply; the current one stays as a version",
                ),
            )
            self.action_button.clicked.connect(lambda: self.regenerate_requested.emit(message.id))
        if self.action_button is not None:
            self.action_button.hide()  # shown on the last message of its kind only
            footer.addWidget(self.action_button)
        layout.addLayout(footer)
        self._show_sources(message)
        self.set_text(message.content, streaming=False)
        self.set_meta(message)

    @property
    def citations(self) -> int:
        sources = self.message.sources
        return len(sources.items) if sources is not None else 0

    def _show_sources(self, message: Message) -> None:
        """The sources under the reply (once it has them: a streamed reply's row is read
        back when it ends)."""
        if message.sources is None or self.sources_view is not None:
            return
        self.sources_view = SourcesView(message.sources, self)
        self.sources_view.open_requested.connect(self.open_source_requested)
        self._layout.insertWidget(self._layout.indexOf(self.body) + 1, self.sources_view)

    def _build_note(self, layout: QVBoxLayout) -> None:
        """The row under a long message's start: what is shown, and how to get the rest."""
        self.note_box = QWidget(self)
        self.note_box.setObjectName("truncationBox")
        row = QHBoxLayout(self.note_box)
        row.setContentsMargins(0, 2, 0, 2)
        row.setSpacing(6)
        self.note = QLabel(self.note_box)
        self.note.setObjectName("truncationNote")
        self.note.setAccessibleName(
            translate("MessageWidget", "Only the start of this message is shown")
        )
        self.note.setWordWrap(True)
        self.note.setMinimumWidth(1)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.note, 1)
        self.show_all_button = self._button(
            translate("MessageWidget", "Show all"),
            "showAll",
            translate("MessageWidget", "Show the whole message"),
            translate("MessageWidget", "Show all of this long message, not only its start"),
        )
        self.show_all_button.clicked.connect(lambda: self.show_all_requested.emit(self.message.id))
        self.save_button = self._button(
            translate("MessageWidget", "Save to file…"),
            "saveMessage",
            translate("MessageWidget", "Save it to a file"),
            translate("MessageWidget", "Save the whole message to a text file"),
        )
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.message.id))
        for b in (self.show_all_button, self.save_button):
            b.setParent(self.note_box)
            b.setFlat(False)
            row.addWidget(b)
        self.note_box.hide()
        layout.addWidget(self.note_box)

    @property
    def truncated(self) -> bool:
        """Whether only the start of the text is shown (see the note under it)."""
        return self.note_box.isVisibleTo(self)

    def _show_start(self, text: str) -> bool:
        """For a message over PREVIEW_BYTES: show its start as plain text, and the note.

        Returns whether it was one (otherwise the caller shows the text as usual).
        """
        size = self.message.full_size
        if size is None and len(text) > PREVIEW_BYTES:  # a character is at least a byte
            size = _utf8_size(text)
        if size is None or size <= PREVIEW_BYTES:
            self.note_box.hide()
            self.copy_button.show()
            return False
        start = text[:PREVIEW_BYTES].encode("utf-8", "surrogatepass")[:PREVIEW_BYTES]
        shown = start.decode("utf-8", "ignore")
        self.code_blocks = ()
        self.body.show_html(escape_plain(shown))
        note = translate(
            "MessageWidget", "Showing the first {shown} of {size}, as plain text."
        ).format(
            shown=file_size_label(len(shown.encode("utf-8", "surrogatepass"))),
            size=file_size_label(size),
        )
        fits = size <= SHOW_ALL_BYTES
        if not fits:
            note += translate(
                "MessageWidget", " Too long to show here (over {size}): save it."
            ).format(size=file_size_label(SHOW_ALL_BYTES))
        self.note.setText(note)
        self.show_all_button.setVisible(fits)
        self.copy_button.hide()  # the whole text is in Show all, or in the saved file
        self.note_box.show()
        return True

    def saved(self, path: str, size: int) -> None:
        """Say where Save to file put the whole text."""
        said = translate("MessageWidget", " Saved {size} to {path}.")
        base = self.note.text().split(said.split("{", 1)[0], 1)[0]
        self.note.setText(base + said.format(size=file_size_label(size), path=path))

    def _button(self, text: str, name: str, accessible: str, description: str) -> QPushButton:
        """A flat footer button; ``description``: what it does, as its tooltip."""
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setAccessibleName(accessible)
        b.setToolTip(description)
        b.setFlat(True)
        b.setCursor(Qt.CursorShape.PointingHandCursor)
        b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)  # never clipped
        return b

    def set_text(self, text: str, *, streaming: bool) -> None:
        self.text = text
        self._speak(text, streaming=streaming)
        if not streaming and self._show_start(text):
            self._stream = None
            return
        if self.message.role == "assistant":
            if streaming:
                if self._stream is None:
                    self._stream = MarkdownStream(dark=self.dark, citations=self.citations)
                update = self._stream.update(text or "…")
                self.code_blocks = update.code_blocks
                self.body.show_stream(update)
                return
            if self._stream is not None:  # the reply is complete: one clean document
                update = self._stream.update(text, final=True)
                self.code_blocks = update.code_blocks
                html = self._stream.html
                self._stream = None
            else:
                rendered = render_blocks(text, dark=self.dark, citations=self.citations)
                self.code_blocks = rendered.code_blocks
                html = rendered.html
            self.body.show_html(html)
        else:
            self.body.show_html(escape_plain(text))

    def _speak(self, text: str, *, streaming: bool) -> None:
        """What a screen reader says of the message: who wrote it (the model, for a reply) and
        its text; a streaming reply says only that it is being written, not every token."""
        if self.message.role == "user":
            who = self.tr("You")
        else:
            who = self.tr("Assistant, {model}").format(model=self.message.model or "model")
        if streaming:
            self.setAccessibleName(self.tr("{who}: writing…").format(who=who))
            self.setAccessibleDescription("")
            return
        self.setAccessibleName(f"{who}: {clip(text, SPOKEN_NAME)}")
        self.setAccessibleDescription(text[:SPOKEN_TEXT])

    def set_meta(self, message: Message, *, streaming: bool = False) -> None:
        had = self.citations
        self.message = message
        self._show_sources(message)
        if self.citations != had and not streaming:  # its [n] now link to the sources
            self.set_text(self.text, streaming=False)
        mode = ""
        if message.sources is not None and message.sources.mode == "document":
            mode = translate("MessageWidget", " · answered from the whole document")
        if streaming:
            self._speak(self.text, streaming=True)
            self.meta.setText(translate("MessageWidget", "generating…"))
        elif message.metrics is not None:
            self.meta.setText(metrics_footer(message.metrics) + mode)
        elif message.role == "assistant" and message.origin:
            self.meta.setText(
                translate("MessageWidget", "imported ({origin})").format(origin=message.origin)
            )
        elif message.role == "assistant":
            self.meta.setText(translate("MessageWidget", "interrupted"))
        else:
            self.meta.setText("")

    def show_summary(self, message: Message) -> None:
        """The summary of older turns this reply was given, above its thinking and text."""
        if message.summary is None or self.summary is not None:
            return
        self.summary = SummaryBlock(self)
        self.summary.show_summary(message.summary.text, message.summary.covers)
        self._layout.insertWidget(self._layout.indexOf(self.thinking), self.summary)

    def set_left_out(self, left_out: bool, *, summarised: bool = False) -> None:
        """Say that the model did not read this message: the context was full and it was left
        out, or it was summarised (the summary sits above a later reply)."""
        self.left_out_note.setText(
            translate(
                "MessageWidget",
                "Summarised: the model reads the summary above a later reply in its place",
            )
            if summarised
            else translate(
                "MessageWidget",
                "Left out of what the model read for the last reply: the context was full",
            )
        )
        self.left_out_note.setVisible(left_out or summarised)

    def set_branch(self, index: int, count: int) -> None:
        """Show "< 2/3 >" when this message has other versions (edits or regenerations)."""
        self.branch_label.setText(f"{index + 1}/{count}")
        for w in (self.prev_button, self.branch_label, self.next_button):
            w.show()
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)

    def show_action(self, visible: bool) -> None:
        if self.action_button is not None:
            self.action_button.setVisible(visible)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)
        self.copy_button.setText(translate("MessageWidget", "Copied"))
        # tied to the button: a conversation closed within COPIED_MS takes the timer with it
        QTimer.singleShot(
            COPIED_MS,
            self.copy_button,
            lambda: self.copy_button.setText(translate("MessageWidget", "Copy")),
        )

    def _link(self, href: str) -> None:
        if href.startswith("cite:"):
            if self.sources_view is not None:
                self.sources_view.mark(int(href.split(":", 1)[1]))
            return
        if href.startswith("copy-code:"):
            index = int(href.split(":", 1)[1])
            if 0 <= index < len(self.code_blocks):
                QGuiApplication.clipboard().setText(self.code_blocks[index])
            return
        url = QUrl(href)
        if url.scheme() in _SAFE_SCHEMES:
            QDesktopServices.openUrl(url)


def message_time(created_at: str, now: datetime | None = None) -> str:
    """When a message was written, in local time: "14:32" today, "3 Dec, 14:32" this year,
    else "3 Dec 2025, 14:32"."""
    try:
        when = datetime.fromisoformat(created_at).astimezone()
    except ValueError:
        return ""
    now = now or datetime.now().astimezone()
    # the locale's month names, in the order the window's language writes a date
    locale = QLocale()
    clock = locale.toString(QTime(when.hour, when.minute), "HH:mm")
    if when.date() == now.date():
        return clock
    date = QDate(when.year, when.month, when.day)
    if when.year == now.year:
        day = locale.toString(date, translate("MessageWidget", "d MMM"))
    else:
        day = locale.toString(date, translate("MessageWidget", "d MMM yyyy"))
    return translate("MessageWidget", "{day}, {clock}").format(day=day, clock=clock)


# why a reply stopped (core's StopReason values), in the reply's footer
_STOPPED = {
    StopReason.STOP_STRING: QT_TRANSLATE_NOOP("MessageWidget", "stop string"),
    StopReason.MAX_TOKENS: QT_TRANSLATE_NOOP("MessageWidget", "max tokens"),
    StopReason.CONTEXT_FULL: QT_TRANSLATE_NOOP("MessageWidget", "context full"),
    StopReason.CANCELLED: QT_TRANSLATE_NOOP("MessageWidget", "cancelled"),
    StopReason.ERROR: QT_TRANSLATE_NOOP("MessageWidget", "error"),
}


def metrics_footer(m: ReplyMetrics) -> str:
    """``Metrics.footer`` in the window's language and number format: the quiet line under a
    reply; speeds only where they mean something."""
    parts = []
    if m.speed_known:
        parts.append(
            translate("MessageWidget", "{speed} tok/s").format(speed=format_number(m.decode_tps, 1))
        )
    if m.ttft_ms is not None:
        parts.append(
            translate("MessageWidget", "first token {seconds} s").format(
                seconds=format_number(m.ttft_ms / 1000, 2)
            )
        )
    tokens = m.completion_tokens
    parts.append(translate("MessageWidget", "%Ln token(s)", None, tokens))
    if m.stop_reason != StopReason.END_OF_TURN:
        why = _STOPPED.get(m.stop_reason, str(m.stop_reason).replace("_", " "))
        parts.append(
            translate("MessageWidget", "stopped: {why}").format(why=translate("MessageWidget", why))
        )
    dropped = m.dropped_turns
    if dropped:
        parts.append(translate("MessageWidget", "%n old message(s) left out to fit", None, dropped))
    if m.restored_tokens:
        parts.append(translate("MessageWidget", "reopened from disk"))
    return " · ".join(parts)


def _utf8_size(text: str) -> int:
    if text.isascii():
        return len(text)
    step = 1 << 20  # a piece at a time: no second copy of a long text
    return sum(
        len(text[i : i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step)
    )
