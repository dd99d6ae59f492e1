"""Helpers for the model manager's tables and buttons."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

DATA = Qt.ItemDataRole.UserRole


def table(name: str, accessible: str, headers: list[str]) -> QTableWidget:
    """A read-only table of one-line rows: long text is elided (in the middle, where file names
    keep their quantization), the whole of it in the cell's tooltip."""
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setAccessibleName(accessible)
    t.setHorizontalHeaderLabels(headers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.setWordWrap(False)
    t.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    header.setTextElideMode(Qt.TextElideMode.ElideRight)
    return t


def stretch(t: QTableWidget, column: int, widest: int = 260) -> None:
    """``column`` takes the room left; the others are as wide as what they show."""
    header = t.horizontalHeader()
    for c in range(t.columnCount()):
        mode = QHeaderView.ResizeMode.Stretch if c == column else QHeaderView.ResizeMode.Interactive
        header.setSectionResizeMode(c, mode)
    t.resizeColumnsToContents()
    for c in range(t.columnCount()):  # within reason: a long cell is elided, not a wide column
        if c != column and t.columnWidth(c) > widest:
            t.setColumnWidth(c, widest)


class EmptyNote(QLabel):
    """What an empty table says instead of nothing: shown over it whenever it has no rows."""

    def __init__(self, t: QTableWidget, text: str) -> None:
        super().__init__(text, t.viewport())
        self.table = t
        self.setObjectName(f"{t.objectName()}Empty")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setEnabled(False)  # the palette's quieter text
        t.viewport().installEventFilter(self)
        model = t.model()
        model.rowsInserted.connect(self._update)
        model.rowsRemoved.connect(self._update)
        model.modelReset.connect(self._update)
        self._update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.table.viewport().rect().adjusted(24, 24, -24, -24))
        return False

    def _update(self) -> None:
        self.setVisible(self.table.rowCount() == 0)


def button(text: str, name: str, accessible: str, description: str | None = None) -> QPushButton:
    """A button; ``description``: what it does, as its tooltip (a screen reader's description)."""
    b = QPushButton(text)
    b.setObjectName(name)
    b.setAccessibleName(accessible)
    if description is not None:
        b.setToolTip(description)
    return b


def make_cell(text: str, data: object = None, tip: str | None = None) -> QTableWidgetItem:
    """A cell; its tooltip is ``tip``, or the text itself (all of it, where the cell elides)."""
    item = QTableWidgetItem(text)
    item.setToolTip(text if tip is None else tip)
    if data is not None:
        item.setData(DATA, data)
    return item


def row_data(table: QTableWidget, row: int) -> Any:
    """What a table's row holds (its first cell's DATA), or None for an empty row."""
    item = table.item(row, 0)
    return item.data(DATA) if item is not None else None
