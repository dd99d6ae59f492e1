"""The message box: grows with its text; Enter sends, Shift+Enter starts a new line."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent, QTextLayout, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QWidget

from chatapp.ui.i18n import translate

MAX_LINES = 10


class Composer(QPlainTextEdit):
    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAccessibleName(translate("Composer", "Message"))
        self.setAccessibleDescription(
            translate(
                "Composer",
                "Your message to the model: Enter sends it, Shift+Enter starts a new line",
            )
        )
        self.setPlaceholderText(
            translate("Composer", "Message the model — Enter to send, Shift+Enter for a new line")
        )
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        lines = max(1, min(MAX_LINES, int(self.document().size().height())))
        line_h = self.fontMetrics().lineSpacing()
        if self.document().isEmpty():  # room for all of the hint, at any font size
            lines = max(lines, min(MAX_LINES, self._placeholder_lines()))
        margins = self.contentsMargins()
        doc_margin = int(self.document().documentMargin() * 2)
        self.setFixedHeight(lines * line_h + doc_margin + margins.top() + margins.bottom() + 4)

    def _placeholder_lines(self) -> int:
        width = self.viewport().width() - int(self.document().documentMargin() * 2)
        if width <= 1 or not self.placeholderText():
            return 1
        # count the lines the hint wraps to (its pixel height would count a fallback font's
        # taller glyph, "—" or a Chinese character, as a second line)
        layout = QTextLayout(self.placeholderText(), self.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        layout.setTextOption(option)
        layout.beginLayout()
        lines = 0
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            lines += 1
        layout.endLayout()
        return max(1, lines)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        if self.document().isEmpty():  # the hint wraps to the new width
            self._fit()

    def changeEvent(self, event: QEvent) -> None:  # Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    @property
    def composing(self) -> bool:
        """An input method (pinyin, say) is showing text it has not committed yet: read from
        the text's layout, so a program clearing the box or a lost focus cannot leave it set."""
        layout = self.textCursor().block().layout()
        return layout is not None and bool(layout.preeditAreaText())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt's name
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.composing:  # it picks the input method's candidate: no send, no line
            event.accept()
            return
        if enter and not (event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            text = self.toPlainText()
            if text.strip():
                self.submitted.emit(text)
            event.accept()
            return
        super().keyPressEvent(event)
