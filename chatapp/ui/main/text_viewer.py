"""Show all: a long message's whole text in a plain-text viewer, filled a piece at a time.

A message too long for the conversation view (over ``PREVIEW_BYTES``) opens here, up to
:data:`SHOW_ALL_BYTES`; beyond that only Save to file is offered. Putting several megabytes in a
``QPlainTextEdit`` at once would freeze the window for about 60 ms a megabyte, so the text goes
in :data:`PIECE` characters per event-loop turn; ``loaded`` says when it is all there.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from chatapp.ui.i18n import file_size_label, translate
from chatapp.ui.main.widgets import named

#: The longest text (bytes of UTF-8) Show all opens; a longer one can only be saved.
SHOW_ALL_BYTES: Final = 16_000_000
#: Characters added per event-loop turn: a few milliseconds of work each.
PIECE: Final = 64 * 1024


class TextViewer(QDialog):
    """A read-only, selectable view of one message's whole text."""

    loaded = Signal()

    def __init__(self, title: str, text: str, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("textViewer")
        self.setWindowTitle(f"{title} — {file_size_label(size)}")
        self.resize(900, 640)
        layout = QVBoxLayout(self)
        self.status = named(
            QLabel(self),
            "viewerStatus",
            translate("TextViewer", "Loading the text"),
        )
        self.view = named(
            QPlainTextEdit(self),
            "viewerText",
            translate("TextViewer", "The whole message"),
        )
        self.view.setAccessibleDescription(
            translate("TextViewer", "All of the message's text, to read, select or copy")
        )
        self.view.setReadOnly(True)
        self.view.setUndoRedoEnabled(False)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self._text = text
        self._done = 0
        self._size = size
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._step()
        if self._done < len(text):
            self._timer.start()

    @property
    def complete(self) -> bool:
        return self._done >= len(self._text)

    def _step(self) -> None:
        piece = self._text[self._done : self._done + PIECE]
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(piece)
        self._done += len(piece)
        if self.complete:
            self._timer.stop()
            self.status.setText(
                translate("TextViewer", "The whole message: {size}.").format(
                    size=file_size_label(self._size)
                )
            )
            self.view.moveCursor(QTextCursor.MoveOperation.Start)
            self._text = ""  # the document holds it now
            self._done = 0
            self.loaded.emit()
        else:
            self.status.setText(
                translate("TextViewer", "Loading… {percent} %").format(
                    percent=self._done * 100 // len(self._text)
                )
            )

    def text(self) -> str:
        return self.view.toPlainText()
