"""The conversation view: a scroll area that follows the stream and holds widgets for a window.

A conversation may have thousands of messages; a rich-text widget costs milliseconds to build
and kilobytes to keep. :class:`ChatView` holds every :class:`Message` (cheap) but builds a
:class:`MessageWidget` only for a contiguous window of them around what is visible: the newest
ones when a conversation opens, older ones a page at a time while the user scrolls up (the
message at the top of the viewport stays put), and it drops widgets far from the viewport so
at most :data:`MAX_WIDGETS` exist. Widgets are built a few at a time from a zero-timer so the
window never freezes for long.
"""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QKeyEvent,
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
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.storage.store import Message
from chatapp.ui.main.render import MarkdownStream, StreamUpdate, escape_plain, render_blocks

#: Most message widgets that exist at once, whatever the conversation's length.
MAX_WIDGETS = 150
#: Widgets built around the viewport when a conversation opens or jumps to a message.
INITIAL_WIDGETS = 40
#: Widgets added at a time when the user scrolls near the top or bottom of the window.
PAGE = 20
# GUI time one step of building widgets may take before it yields to the event loop.
_BUDGET_S = 0.008

_SAFE_SCHEMES = ("http", "https", "mailto")


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
        who = "You" if message.role == "user" else f"Assistant · {message.model or 'model'}"
        self.header = QLabel(f"<b>{escape_plain(who)}</b>", self)
        self.header.setObjectName("messageHeader")
        self.header.setWordWrap(True)
        self.header.setMinimumWidth(1)
        layout.addWidget(self.header)
        self.body = MessageBody(self)
        self.body.setObjectName("messageBody")
        self.body.setAccessibleName(f"{'Your message' if message.role == 'user' else 'Reply'}")
        self.body.link_clicked.connect(self._link)
        self.body.setMinimumWidth(1)
        if width is not None:  # lay the text out once, at the width it will have
            self.body.document().setTextWidth(max(1, width - 24))
        layout.addWidget(self.body)
        footer = QHBoxLayout()
        footer.setSpacing(6)
        self.meta = QLabel(self)
        self.meta.setObjectName("messageMeta")
        self.meta.setEnabled(False)  # drawn in the palette's quiet colour
        # a long footer wraps instead of widening the column past the window
        self.meta.setWordWrap(True)
        self.meta.setMinimumWidth(1)
        self.meta.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        footer.addWidget(self.meta, 1)
        self.prev_button = self._button("\u2039", "previousVersion", "Previous version")
        self.branch_label = QLabel(self)
        self.branch_label.setObjectName("versionLabel")
        self.next_button = self._button("\u203a", "nextVersion", "Next version")
        self.prev_button.clicked.connect(lambda: self.branch_requested.emit(message.id, -1))
        self.next_button.clicked.connect(lambda: self.branch_requested.emit(message.id, 1))
        for w in (self.prev_button, self.branch_label, self.next_button):
            w.hide()
            footer.addWidget(w)
        self.copy_button = self._button("Copy", "copyMessage", "Copy the whole message")
        self.copy_button.clicked.connect(self.copy)
        footer.addWidget(self.copy_button)
        self.action_button: QPushButton | None = None
        if message.role == "user":
            self.action_button = self._button("Edit", "editMessage", "Edit and resend")
            self.action_button.clicked.connect(lambda: self.edit_requested.emit(message.id))
        elif message.role == "assistant":
            self.action_button = self._button("Regenerate", "regenerate", "Regenerate this reply")
            self.action_button.clicked.connect(lambda: self.regenerate_requested.emit(message.id))
        if self.action_button is not None:
            self.action_button.hide()  # shown on the last message of its kind only
            footer.addWidget(self.action_button)
        layout.addLayout(footer)
        self.set_text(message.content, streaming=False)
        self.set_meta(message)

    def _button(self, text: str, name: str, accessible: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setObjectName(name)
        b.setAccessibleName(accessible)
        b.setFlat(True)
        b.setCursor(Qt.CursorShape.PointingHandCursor)
        b.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)  # never clipped
        return b

    def set_text(self, text: str, *, streaming: bool) -> None:
        self.text = text
        if self.message.role == "assistant":
            if streaming:
                if self._stream is None:
                    self._stream = MarkdownStream(dark=self.dark)
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
                rendered = render_blocks(text, dark=self.dark)
                self.code_blocks = rendered.code_blocks
                html = rendered.html
            self.body.show_html(html)
        else:
            self.body.show_html(escape_plain(text))

    def set_meta(self, message: Message, *, streaming: bool = False) -> None:
        self.message = message
        if streaming:
            self.meta.setText("generating…")
        elif message.metrics is not None:
            self.meta.setText(message.metrics.footer())
        elif message.role == "assistant":
            self.meta.setText("interrupted")
        else:
            self.meta.setText("")

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

    def _link(self, href: str) -> None:
        if href.startswith("copy-code:"):
            index = int(href.split(":", 1)[1])
            if 0 <= index < len(self.code_blocks):
                QGuiApplication.clipboard().setText(self.code_blocks[index])
            return
        url = QUrl(href)
        if url.scheme() in _SAFE_SCHEMES:
            QDesktopServices.openUrl(url)


class ChatView(QScrollArea):
    """The messages of the open conversation; follows a streaming reply unless scrolled up.

    ``messages`` is the whole thread; ``widgets`` maps the ids of ``messages[lo:hi]`` (the
    window) to their widgets, in order.
    """

    edit_requested = Signal(str)
    regenerate_requested = Signal(str)
    branch_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.dark = False
        self._inner = QWidget(self)
        self._inner.setObjectName("chatViewInner")
        self._inner.setMinimumWidth(1)
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(2)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self.messages: list[Message] = []
        self._index: dict[str, int] = {}
        self.widgets: dict[str, MessageWidget] = {}
        self.lo = self.hi = 0  # the window: messages[lo:hi] have widgets
        self._want_lo = self._want_hi = 0  # the window being built towards
        self._branches: dict[str, tuple[int, int]] = {}
        self._streaming: set[str] = set()
        self._busy = False
        self._follow = True
        self._anchor: tuple[MessageWidget, int] | None = None  # keeps its offset in the viewport
        self._restoring = False
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)

    # -- scrolling -----------------------------------------------------------------------------

    def _scrolled(self, value: int) -> None:
        if self._restoring:
            return
        bar = self.verticalScrollBar()
        # at the bottom of a window that reaches (or is being built to) the end of the thread
        self._follow = value >= bar.maximum() - 4 and self._want_hi >= len(self.messages)
        self._anchor = None if self._follow else self._top_visible(value)
        self._check_edges()

    def _top_visible(self, value: int) -> tuple[MessageWidget, int] | None:
        for w in self.widgets.values():
            if w.y() + w.height() > value:
                return w, w.y() - value
        return None

    def _range_changed(self, _lo: int, hi: int) -> None:
        self._restore(hi)

    def _restore(self, hi: int | None = None) -> None:
        bar = self.verticalScrollBar()
        self._restoring = True
        try:
            if self._follow:
                bar.setValue(bar.maximum() if hi is None else hi)
            elif self._anchor is not None:
                w, offset = self._anchor
                bar.setValue(w.y() - offset)
        finally:
            self._restoring = False
        self._check_edges()

    def _check_edges(self) -> None:
        """Ask for another page of widgets when the viewport nears either end of the window."""
        bar = self.verticalScrollBar()
        reach = self.viewport().height() * 3 // 2
        grow = False
        if self.lo > 0 and bar.value() < reach and self._want_lo >= self.lo:
            self._want_lo = max(0, self.lo - PAGE)
            grow = True
        n = len(self.messages)
        if self.hi < n and bar.maximum() - bar.value() < reach and self._want_hi <= self.hi:
            self._want_hi = min(n, self.hi + PAGE)
            grow = True
        if grow and not self._fill_timer.isActive():
            self._fill_timer.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if ctrl and event.key() == Qt.Key.Key_Home and self.messages:
            self.scroll_to(self.messages[0].id)
        elif ctrl and event.key() == Qt.Key.Key_End and self.messages:
            self.scroll_to_end()
        else:
            super().keyPressEvent(event)

    def scroll_to_end(self) -> None:
        """Show the newest messages and follow the stream again."""
        n = len(self.messages)
        if self.hi < n:
            self._rebuild(n - 1)
        self._follow = True
        self._anchor = None
        self._restore()

    # -- the window ----------------------------------------------------------------------------

    def _column_width(self) -> int:
        m = self._layout.contentsMargins()
        return max(1, self.viewport().width() - m.left() - m.right())

    def _make(self, i: int) -> MessageWidget:
        message = self.messages[i]
        w = MessageWidget(message, dark=self.dark, parent=self._inner, width=self._column_width())
        w.edit_requested.connect(self.edit_requested)
        w.regenerate_requested.connect(self.regenerate_requested)
        w.branch_requested.connect(self.branch_requested)
        if message.id in self._streaming:
            w.set_meta(message, streaming=True)
        branch = self._branches.get(message.id)
        if branch is not None:
            w.set_branch(*branch)
        w.show_action(message.id in self._last_ids())
        if w.action_button is not None:
            w.action_button.setEnabled(not self._busy)
        return w

    def _add(self, i: int) -> None:
        """Build the widget for messages[i], just above lo or just below hi."""
        w = self._make(i)
        if i == self.hi:
            self._layout.insertWidget(self._layout.count() - 1, w)
            self.widgets[self.messages[i].id] = w
            self.hi += 1
        else:
            assert i == self.lo - 1
            self._layout.insertWidget(0, w)
            self.widgets = {self.messages[i].id: w, **self.widgets}
            self.lo -= 1

    def _drop(self, w: MessageWidget) -> None:
        w.hide()
        self._layout.removeWidget(w)
        w.setParent(None)
        w.deleteLater()

    def _fill(self) -> None:
        """Build widgets towards the wanted window for a few milliseconds, then yield."""
        deadline = time.perf_counter() + _BUDGET_S
        while time.perf_counter() < deadline:
            below = self.hi < self._want_hi
            above = self.lo > self._want_lo
            if not (below or above):
                break
            # the side with fewer widgets between it and the anchor first
            self._add(self.hi if below and (not above or self._below_first()) else self.lo - 1)
        else:
            self._fill_timer.start()
        if not self._fill_timer.isActive():
            self._evict()
        self._restore()

    def _below_first(self) -> bool:
        anchor = self._anchor[0].message.id if self._anchor else None
        at = self._index.get(anchor, self.hi) if anchor else self.hi
        return self.hi - at <= at - self.lo

    def _evict(self) -> None:
        """Drop widgets far from the viewport so at most MAX_WIDGETS exist."""
        if len(self.widgets) <= MAX_WIDGETS:
            return
        bar = self.verticalScrollBar()
        top, bottom = bar.value(), bar.value() + self.viewport().height()
        keep = {self._anchor[0]} if self._anchor else set()
        ids = list(self.widgets)
        focus = self.focusWidget()

        def kept(w: MessageWidget) -> bool:
            return (
                w in keep
                or (focus is not None and w.isAncestorOf(focus))
                or w.message.id in self._streaming
            )

        while len(ids) > MAX_WIDGETS:
            first, last = self.widgets[ids[0]], self.widgets[ids[-1]]
            # drop from the end farther from the viewport, or else from the other one
            ends = [(first, 0), (last, -1)]
            if top - (first.y() + first.height()) <= last.y() - bottom:
                ends.reverse()
            choice = next(((w, idx) for w, idx in ends if not kept(w)), None)
            if choice is None:
                break
            w, idx = choice
            del self.widgets[ids.pop(idx)]
            if idx == 0:
                self.lo += 1
            else:
                self.hi -= 1
            self._drop(w)
        self._want_lo = max(self._want_lo, self.lo)
        self._want_hi = min(self._want_hi, self.hi)

    def _rebuild(self, centre: int) -> None:
        """Drop the window and start a new one around messages[centre]."""
        for w in self.widgets.values():
            self._drop(w)
        self.widgets = {}
        self.lo = self.hi = centre
        self._add(centre)
        n = len(self.messages)
        self._want_lo = max(0, centre - INITIAL_WIDGETS // 2)
        self._want_hi = min(n, centre + 1 + INITIAL_WIDGETS // 2)
        # enough to fill the viewport now; the rest from the timer
        deadline = time.perf_counter() + 2 * _BUDGET_S
        while self.hi < self._want_hi and time.perf_counter() < deadline and self.hi - centre < 4:
            self._add(self.hi)
        self._fill_timer.start()

    def _last_ids(self) -> set[str]:
        last: dict[str, str] = {}
        for m in reversed(self.messages):
            last.setdefault(m.role, m.id)
            if len(last) >= 2:
                break
        return set(last.values())

    def _update_actions(self) -> None:
        last = self._last_ids()
        for w in self.widgets.values():
            w.show_action(w.message.id in last)

    # -- the public interface ------------------------------------------------------------------

    def clear(self) -> None:
        self._fill_timer.stop()
        for w in self.widgets.values():
            self._drop(w)
        self.widgets = {}
        self.messages = []
        self._index = {}
        self._branches = {}
        self._streaming = set()
        self.lo = self.hi = self._want_lo = self._want_hi = 0
        self._follow = True
        self._anchor = None

    def show_messages(self, messages: list[Message]) -> None:
        """Show a thread. The same thread again (say, with a new message) keeps its widgets."""
        old = self.messages
        keep = 0
        for a, b in zip(old, messages, strict=False):
            if a.id != b.id:
                break
            keep += 1
        themed = all(w.dark == self.dark for w in self.widgets.values())
        if keep == 0 or keep < self.lo or not themed:
            self.clear()
            self._set_messages(messages)
            n = len(messages)
            if n:
                self.lo = self.hi = n
                # just what fills the viewport now (heights are known once built); the rest
                # from the timer, so the first paint comes quickly
                deadline = time.perf_counter() + 2 * _BUDGET_S
                height = 0
                while self.lo > 0 and height < self.viewport().height():
                    self._add(self.lo - 1)
                    height += next(iter(self.widgets.values())).sizeHint().height()
                    if n - self.lo >= 8 or time.perf_counter() > deadline:
                        break
                self._want_lo = max(0, n - INITIAL_WIDGETS)
                self._want_hi = n
                self._fill_timer.start()
            return
        # the same thread: keep the widgets of the common part, replace the rest
        for m in old[keep : self.hi]:
            self._drop(self.widgets.pop(m.id))
        self.hi = min(self.hi, keep)
        self._set_messages(messages)
        for i in range(self.lo, self.hi):
            m = messages[i]
            w = self.widgets[m.id]
            if m is not w.message and m.id not in self._streaming:
                if m.content != w.text:
                    w.set_text(m.content, streaming=False)
                w.set_meta(m)
        if self.hi == keep:  # the window reached the end of the common part
            self._want_hi = len(messages)
            while self.hi < len(messages) and self.hi - keep < 4:
                self._add(self.hi)
        self._want_lo = min(self._want_lo, self.lo)
        self._update_actions()
        if self.hi < self._want_hi:
            self._fill_timer.start()

    def _set_messages(self, messages: list[Message]) -> None:
        self.messages = list(messages)
        self._index = {m.id: i for i, m in enumerate(self.messages)}
        self._streaming &= self._index.keys()
        self._branches = {k: v for k, v in self._branches.items() if k in self._index}

    def append(self, message: Message, *, streaming: bool = False) -> MessageWidget:
        n = len(self.messages)
        if self.hi < n:  # scrolled far back: the window moves to the end
            self._rebuild(n - 1)
            self._fill_timer.stop()
            while self.hi < n:
                self._add(self.hi)
            self._want_lo, self._want_hi = self.lo, self.hi
        self.messages.append(message)
        self._index[message.id] = n
        if streaming:
            self._streaming.add(message.id)
        self._add(n)
        self._want_hi = self.hi
        self._update_actions()
        self._evict()
        return self.widgets[message.id]

    def set_branch(self, message_id: str, index: int, count: int) -> None:
        """Show "< 2/3 >" on a message, now or whenever its widget is built."""
        self._branches[message_id] = (index, count)
        w = self.widgets.get(message_id)
        if w is not None:
            w.set_branch(index, count)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, Edit and Regenerate are unavailable."""
        self._busy = busy
        for w in self.widgets.values():
            if w.action_button is not None:
                w.action_button.setEnabled(not busy)

    def _replace(self, message_id: str, **changes: object) -> None:
        i = self._index.get(message_id)
        if i is not None:
            self.messages[i] = dataclasses.replace(self.messages[i], **changes)  # type: ignore[arg-type]

    def update_text(self, message_id: str, text: str) -> None:
        self._streaming.add(message_id)
        self._replace(message_id, content=text)
        w = self.widgets.get(message_id)
        if w is not None:
            w.set_text(text, streaming=True)

    def finish(self, message: Message) -> None:
        self._streaming.discard(message.id)
        i = self._index.get(message.id)
        if i is not None:
            self.messages[i] = message
        w = self.widgets.get(message.id)
        if w is not None:
            w.set_text(message.content, streaming=False)
            w.set_meta(message)

    def scroll_to(self, message_id: str) -> None:
        i = self._index.get(message_id)
        if i is None:
            return
        if message_id not in self.widgets:
            self._rebuild(i)
        w = self.widgets[message_id]
        self._follow = False
        self._anchor = (w, 40 if i else self._layout.contentsMargins().top())
        self._restore()
        QTimer.singleShot(0, self._restore)  # again once the layout has placed it
        w.setFocus(Qt.FocusReason.OtherFocusReason)
