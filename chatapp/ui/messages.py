"""The conversation view: one widget per message in a scroll area that follows the stream."""

from __future__ import annotations

from PySide6.QtCore import QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QPalette,
    QResizeEvent,
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

from chatapp.core.store import Message
from chatapp.ui.render import escape_plain, render_markdown

_SAFE_SCHEMES = ("http", "https", "mailto")


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
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.anchorClicked.connect(lambda url: self.link_clicked.emit(url.toString()))

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

    def __init__(self, message: Message, *, dark: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.dark = dark
        self.code_blocks: tuple[str, ...] = ()
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
        layout.addWidget(self.header)
        self.body = MessageBody(self)
        self.body.setObjectName("messageBody")
        self.body.setAccessibleName(f"{'Your message' if message.role == 'user' else 'Reply'}")
        self.body.link_clicked.connect(self._link)
        layout.addWidget(self.body)
        footer = QHBoxLayout()
        footer.setSpacing(6)
        self.meta = QLabel(self)
        self.meta.setObjectName("messageMeta")
        self.meta.setEnabled(False)  # drawn in the palette's quiet colour
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
        return b

    def set_text(self, text: str, *, streaming: bool) -> None:
        self.text = text
        if self.message.role == "assistant":
            rendered = render_markdown(text or ("…" if streaming else ""), dark=self.dark)
            self.code_blocks = rendered.code_blocks
            self.body.setHtml(rendered.html)
        else:
            self.body.setHtml(escape_plain(text))

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
    """The messages of the open conversation; follows a streaming reply unless scrolled up."""

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
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self._layout.setSpacing(2)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        self.widgets: dict[str, MessageWidget] = {}
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._range_changed)

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4

    def _range_changed(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)

    def clear(self) -> None:
        for w in self.widgets.values():
            w.setParent(None)
            w.deleteLater()
        self.widgets.clear()
        self._follow = True

    def show_messages(self, messages: list[Message]) -> None:
        self.clear()
        for m in messages:
            self.append(m)
        self._update_actions()

    def append(self, message: Message, *, streaming: bool = False) -> MessageWidget:
        w = MessageWidget(message, dark=self.dark, parent=self._inner)
        w.edit_requested.connect(self.edit_requested)
        w.regenerate_requested.connect(self.regenerate_requested)
        w.branch_requested.connect(self.branch_requested)
        if streaming:
            w.set_meta(message, streaming=True)
        self._layout.insertWidget(self._layout.count() - 1, w)
        self.widgets[message.id] = w
        self._update_actions()
        return w

    def _update_actions(self) -> None:
        last: dict[str, MessageWidget] = {}
        for w in self.widgets.values():
            w.show_action(False)
            last[w.message.role] = w
        for w in last.values():
            w.show_action(True)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, Edit and Regenerate are unavailable."""
        for w in self.widgets.values():
            if w.action_button is not None:
                w.action_button.setEnabled(not busy)

    def update_text(self, message_id: str, text: str) -> None:
        w = self.widgets.get(message_id)
        if w is not None:
            w.set_text(text, streaming=True)

    def finish(self, message: Message) -> None:
        w = self.widgets.get(message.id)
        if w is not None:
            w.set_text(message.content, streaming=False)
            w.set_meta(message)

    def scroll_to(self, message_id: str) -> None:
        w = self.widgets.get(message_id)
        if w is None:
            return
        self._follow = False
        # after the layout has placed it
        QTimer.singleShot(0, lambda: self.ensureWidgetVisible(w, 0, 40))
        w.setFocus(Qt.FocusReason.OtherFocusReason)
