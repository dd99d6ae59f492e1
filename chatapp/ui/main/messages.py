"""The conversation view: a scroll area that follows the stream and holds widgets for a window.

A conversation may have thousands of messages; a rich-text widget (message_widget.py) costs
milliseconds to build and kilobytes to keep. :class:`ChatView` holds every :class:`Message`
(cheap) but builds a :class:`MessageWidget` only for a contiguous window of them around what is
visible: the newest ones when a conversation opens, older ones a page at a time while the user
scrolls up (the message at the top of the viewport stays put), and it drops widgets far from the
viewport so at most :data:`MAX_WIDGETS` exist. Widgets are built a few at a time from a
zero-timer so the window never freezes for long.
"""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QKeyEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QLayout,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.chat.conversation import latest_summary
from chatapp.core.storage.store import Message
from chatapp.ui.i18n import translate
from chatapp.ui.main.message_widget import MessageWidget

#: Most message widgets that exist at once, whatever the conversation's length.
MAX_WIDGETS = 150
#: Widgets built around the viewport when a conversation opens or jumps to a message.
INITIAL_WIDGETS = 40
#: Widgets added at a time when the user scrolls near the top or bottom of the window.
PAGE = 20
# GUI time one step of building widgets may take before it yields to the event loop.
_BUDGET_S = 0.008


class ChatView(QScrollArea):
    """The messages of the open conversation; follows a streaming reply unless scrolled up.

    ``messages`` is the whole thread; ``widgets`` maps the ids of ``messages[lo:hi]`` (the
    window) to their widgets, in order.
    """

    edit_requested = Signal(str)
    regenerate_requested = Signal(str)
    branch_requested = Signal(str, int)
    show_all_requested = Signal(str)
    save_requested = Signal(str)
    open_source_requested = Signal(str, object)  # a source's path, page or None
    fork_requested = Signal(str)  # message id
    delete_requested = Signal(str)  # message id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName(translate("Messages", "Conversation"))
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
        self.left_out: set[str] = set()  # messages the last reply's model did not read
        self.summarised: set[str] = set()  # ... because a summary stands in their place
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
        w.show_all_requested.connect(self.show_all_requested)
        w.save_requested.connect(self.save_requested)
        w.open_source_requested.connect(self.open_source_requested)
        w.fork_requested.connect(self.fork_requested)
        w.delete_requested.connect(self.delete_requested)
        if message.id in self._streaming:
            w.set_meta(message, streaming=True)
        w.set_left_out(message.id in self.left_out, summarised=message.id in self.summarised)
        branch = self._branches.get(message.id)
        if branch is not None:
            w.set_branch(*branch)
        w.show_action(True)  # any message can be edited, any reply regenerated: a new branch
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
        self._link_focus(w)

    def _link_focus(self, w: MessageWidget) -> None:
        """Tab goes from the conversation into its messages, in order, then to the message box:
        ``w``'s buttons follow the message above it (a widget built later goes to the end of
        the window's Tab order, after the status bar, unless told)."""
        ids = list(self.widgets)
        at = ids.index(w.message.id)
        anchor: QWidget = self
        if at > 0:
            above = _focusable(self.widgets[ids[at - 1]])
            anchor = above[-1] if above else anchor
        for f in _focusable(w):
            QWidget.setTabOrder(anchor, f)
            anchor = f

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

    def _update_actions(self) -> None:
        for w in self.widgets.values():
            w.show_action(True)

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

    def mark_left_out(self, messages: list[Message], examples: int = 0) -> None:
        """Say on the messages of this thread that the model did not read them: the context was
        full (``left_out_ids``), or a summary stands in their place (``summarised_ids``)."""
        self.left_out = left_out_ids(messages, examples)
        self.summarised = summarised_ids(messages)
        for w in self.widgets.values():
            w.set_left_out(
                w.message.id in self.left_out, summarised=w.message.id in self.summarised
            )

    def finish(self, message: Message) -> None:
        self._streaming.discard(message.id)
        i = self._index.get(message.id)
        if i is not None:
            self.messages[i] = message
        w = self.widgets.get(message.id)
        if w is not None:
            w.set_text(message.content, streaming=False)
            w.set_meta(message)
            w.show_summary(message)
            self._link_focus(w)  # its sources, if it has them now, are Tab stops too
            block = w.thinking
            if message.thinking and (
                not block.isVisibleTo(w)
                or block.toggle.text() == translate("Thinking", "Thinking…")
            ):  # no answer came after it (cancelled while thinking), or it was never shown
                block.show_thinking(message.thinking, streaming=False)

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


def _focusable(w: QWidget) -> list[QWidget]:
    """The widgets inside ``w`` that Tab stops at, in the order its layouts show them."""
    found: list[QWidget] = []

    def visit(layout: QLayout | None) -> None:
        if layout is None:
            return
        for i in range(layout.count()):
            item = layout.itemAt(i)
            child = item.widget() if item is not None else None
            if child is None and item is not None:
                visit(item.layout())
            elif child is None:
                continue
            elif child.focusPolicy() & Qt.FocusPolicy.TabFocus:
                found.append(child)
            else:
                visit(child.layout())

    visit(w.layout())
    return found


def left_out_ids(messages: list[Message], examples: int = 0) -> set[str]:
    """The messages of a thread that its last reply's model did not read: the engine drops
    the oldest turns (few-shot examples first, ``examples`` pairs) to fit the context, and the
    reply's metrics count them."""
    last = next(
        (
            i
            for i in range(len(messages) - 1, -1, -1)
            if messages[i].metrics is not None and messages[i].metrics.dropped_turns  # type: ignore[union-attr]
        ),
        None,
    )
    if last is None:
        return set()
    metrics = messages[last].metrics
    assert metrics is not None
    n = metrics.dropped_turns - 2 * examples
    sent = [
        m
        for m in messages[:last]
        if m.role != "system" and not (m.role == "assistant" and not m.content)
    ]
    return {m.id for m in sent[: max(0, n)]}


def summarised_ids(messages: list[Message]) -> set[str]:
    """The messages of a thread that a summary stands for (``latest_summary``)."""
    summary = latest_summary(messages)
    return {m.id for m in messages[: summary.covers]} if summary is not None else set()
