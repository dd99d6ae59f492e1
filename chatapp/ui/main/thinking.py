"""A reply's thinking (reasoning models): its own block above the answer, open while the model
thinks, collapsed once the answer starts ("Thought for 12 s"), opened again with a click."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QToolButton, QVBoxLayout, QWidget

from chatapp.ui.i18n import translate
from chatapp.ui.main.widgets import named


class ThinkingBlock(QWidget):
    """Hidden for replies without thinking."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        name: str = "thinking",
        what: str | None = None,
        description: str | None = None,
    ) -> None:
        """``what``: the block's content in words, for its accessible names; ``description``:
        what it holds, for the button's tooltip (both translated)."""
        super().__init__(parent)
        what = what or translate("Thinking", "the thinking")
        description = description or translate(
            "Thinking", "Opens or folds what the model reasoned before its answer"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(2)
        self.toggle = named(
            QToolButton(self),
            f"{name}Toggle",
            translate("Thinking", "Show or hide {what}").format(what=what),
            description,
        )
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._opened)
        self.text = named(QLabel(self), f"{name}Text", what[:1].upper() + what[1:])
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(1)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.text)
        self.hide()

    def _opened(self, is_open: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if is_open else Qt.ArrowType.RightArrow)
        self.text.setVisible(is_open)

    def show_thinking(self, text: str, *, streaming: bool, seconds: float | None = None) -> None:
        """``streaming``: the model is thinking now (open); else collapsed, with how long it took
        where that is known."""
        self.setVisible(bool(text.strip()))
        self.text.setText(text.strip())
        if streaming:
            self.toggle.setText(translate("Thinking", "Thinking…"))
            self.toggle.setChecked(True)
        else:
            self.toggle.setText(
                translate("Thinking", "Thought for {seconds} s").format(seconds=f"{seconds:.0f}")
                if seconds
                else translate("Thinking", "Thought")
            )
            self.toggle.setChecked(False)
        self._opened(self.toggle.isChecked())


class SummaryBlock(ThinkingBlock):
    """Above a reply that was the first given a summary of the older turns (the "summarise"
    overflow policy): the summary the model read in their place, folded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            name="summary",
            what=translate("Thinking", "the summary of the earlier messages"),
            description=translate(
                "Thinking", "Opens or folds the summary the model read in place of older messages"
            ),
        )

    def show_summary(self, text: str, covers: int) -> None:
        self.setVisible(bool(text.strip()))
        self.text.setText(text.strip())
        self.toggle.setText(
            translate(
                "Thinking",
                "Summary of the earlier %n message(s), read in their place",
                None,
                covers,
            )
        )
        self.toggle.setChecked(False)
        self._opened(False)
