"""Small helpers the window's parts share."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str) -> W:
    """``widget`` with an object name (for style sheets and tests) and an accessible name."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def clip(text: str, n: int) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class ErrorBanner(QWidget):
    """A red strip above the conversation that says what went wrong, until dismissed."""

    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBannerBox")
        bl = QHBoxLayout(self)
        bl.setContentsMargins(8, 4, 4, 4)
        self.label = named(QLabel(self), "errorBanner", "Error")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = named(QToolButton(self), "dismissError", "Dismiss the error")
        dismiss.setText("✕")
        dismiss.clicked.connect(self.hide)
        bl.addWidget(self.label, 1)
        bl.addWidget(dismiss)
        self.setStyleSheet(
            "#errorBannerBox { background: rgba(220, 60, 60, 40); border-radius: 4px; }"
        )
        self.hide()

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()
        self.shown.emit(message)
