"""Small helpers the window's parts share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from chatapp.ui.i18n import translate

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str, description: str | None = None) -> W:
    """``widget`` with an object name (for style sheets and tests), an accessible name and, if
    given, a ``description``: one sentence on what it does, shown as its tooltip (which a screen
    reader reads as its accessible description)."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    if description is not None:
        widget.setToolTip(description)
    return widget


class Announcements(QObject):
    """Every announcement made, as it is made (for tests and logs: screen readers get Qt's
    event)."""

    said = Signal(str, bool)  # the text, whether assertive


announcements = Announcements()


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> None:
    """Have a screen reader say ``text`` (Qt's accessibility announcement): politely, after
    what it is reading, or ``assertive``: at once (an error)."""
    event = QAccessibleAnnouncementEvent(widget, text)
    politeness = QAccessible.AnnouncementPoliteness
    event.setPoliteness(politeness.Assertive if assertive else politeness.Polite)
    QAccessible.updateAccessibility(event)
    announcements.said.emit(text, assertive)


def clip(text: str, n: int) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class ErrorBanner(QWidget):
    """A red strip above the conversation that says what went wrong, until dismissed.

    ``kind="notice"`` makes a neutral (blue-grey) one for what the user should know that is
    not an error, e.g. which chat template a file without one gets."""

    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, kind: str = "error") -> None:
        super().__init__(parent)
        notice = kind == "notice"
        self.kind = kind
        word, cap = ("notice", "Notice") if notice else ("error", "Error")
        self.setObjectName(f"{word}BannerBox")
        bl = QHBoxLayout(self)
        bl.setContentsMargins(8, 4, 4, 4)
        shown = translate("Banner", "Notice") if notice else translate("Banner", "Error")
        self.label = named(QLabel(self), f"{word}Banner", shown)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = named(
            QToolButton(self),
            f"dismiss{cap}",
            translate("Banner", "Dismiss the notice")
            if notice
            else translate("Banner", "Dismiss the error"),
            translate("Banner", "Hide this notice")
            if notice
            else translate("Banner", "Hide this error message"),
        )
        dismiss.setText("✕")
        dismiss.clicked.connect(self.hide)
        # An optional way out, e.g. "Save what can be read…" for a damaged database.
        self.action = named(
            QPushButton(self),
            f"{word}Action",
            translate("Banner", "What to do about the notice")
            if notice
            else translate("Banner", "What to do about the error"),
            translate("Banner", "Do what the notice suggests")
            if notice
            else translate("Banner", "Do what the error message suggests"),
        )
        self.action.clicked.connect(self._act)
        self.action.hide()
        self._on_action: Callable[[], None] | None = None
        bl.addWidget(self.label, 1)
        bl.addWidget(self.action)
        bl.addWidget(dismiss)
        colour = "rgba(90, 130, 200, 40)" if notice else "rgba(220, 60, 60, 40)"
        self.setStyleSheet(f"#{word}BannerBox {{ background: {colour}; border-radius: 4px; }}")
        # a plain QWidget paints no style-sheet background without this
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.hide()

    def show_error(
        self, message: str, action: tuple[str, Callable[[], None]] | None = None
    ) -> None:
        """Show ``message``; ``action``: a button's text and what it does (hidden if None)."""
        self.label.setText(message)
        self._on_action = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setVisible(action is not None)
        self.show()
        announce(self, message, assertive=self.kind == "error")
        self.shown.emit(message)

    def _act(self) -> None:
        if self._on_action is not None:
            self._on_action()
