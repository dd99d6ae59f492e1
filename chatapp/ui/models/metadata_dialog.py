"""A model file's metadata, searchable: a filter line, a table of keys and values (keys sorted,
long arrays summarized) and the whole of the chosen value below it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.models.metadata import Metadata
from chatapp.ui.i18n import translate
from chatapp.ui.models.tables import EmptyNote, make_cell, stretch, table


class MetadataDialog(QDialog):
    def __init__(self, name: str, metadata: Metadata, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metadataDialog")
        self.setWindowTitle(translate("MetadataDialog", "Metadata of {name}").format(name=name))
        self.resize(900, 600)
        self.metadata = metadata
        self.summary = QLabel(self)
        self.summary.setObjectName("metadataSummary")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("metadataFilter")
        self.filter.setAccessibleName(translate("MetadataDialog", "Filter the metadata"))
        self.filter.setPlaceholderText(
            translate("MetadataDialog", "Filter keys and values, e.g. context or rope")
        )
        self.filter.setClearButtonEnabled(True)
        for clear in self.filter.findChildren(QToolButton):  # Qt's own ✕ in the box
            clear.setAccessibleName(self.tr("Clear the filter"))
            clear.setAccessibleDescription(self.tr("Empty the filter and show every key again"))
        self.filter.textChanged.connect(self._filter)
        self.table = table(
            "metadataTable",
            translate("MetadataDialog", "Metadata keys and values"),
            [
                translate("MetadataDialog", "Key"),
                translate("MetadataDialog", "Type"),
                translate("MetadataDialog", "Value"),
            ],
        )
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        for row, f in enumerate(metadata.fields):
            self.table.insertRow(row)
            self.table.setItem(row, 0, make_cell(f.key, f))
            self.table.setItem(row, 1, make_cell(f.kind))
            self.table.setItem(row, 2, make_cell(f.summary, tip=f.full[:2000]))
        stretch(self.table, 2, widest=420)  # keys in full: they are what is searched
        self.empty = EmptyNote(self.table, "")
        self.value = QPlainTextEdit(self)
        self.value.setObjectName("metadataValue")
        self.value.setAccessibleName(translate("MetadataDialog", "The chosen value, in full"))
        self.value.setAccessibleDescription(
            translate("MetadataDialog", "All of the chosen key's value, to read or copy")
        )
        self.value.setReadOnly(True)
        self.value.setPlaceholderText(
            translate("MetadataDialog", "Choose a key to see all of its value.")
        )
        self.table.itemSelectionChanged.connect(self._chosen)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.value)
        split.setSizes([420, 140])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        v = QVBoxLayout(self)
        v.addWidget(self.summary)
        v.addWidget(self.filter)
        v.addWidget(split, 1)
        v.addWidget(close)
        self._filter("")
        self.filter.setFocus()

    def shown_keys(self) -> list[str]:
        """The keys the table shows now, in order."""
        return [f.key for r, f in enumerate(self.metadata.fields) if not self.table.isRowHidden(r)]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        shown = 0
        for row, f in enumerate(self.metadata.fields):
            hay = f"{f.key} {f.kind} {f.summary}".lower()
            hide = not all(w in hay for w in words)
            self.table.setRowHidden(row, hide)
            shown += not hide
        total = len(self.metadata.fields)
        keys = (
            translate("MetadataDialog", "%n key(s)", None, total)
            if shown == total
            else translate("MetadataDialog", "{shown} of %n key(s)", None, total).format(
                shown=shown
            )
        )
        n_tensors = self.metadata.tensors  # lupdate reads a count only as a plain name
        tensors = translate("MetadataDialog", "%Ln tensor(s)", None, n_tensors)
        self.summary.setText(f"{tensors} · {keys}")
        self.empty.setText(
            translate("MetadataDialog", "No key or value contains “{text}”.").format(
                text=text.strip()
            )
        )
        self.empty.setVisible(shown == 0)

    def _chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        f = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        self.value.setPlainText(f"{f.key}\n\n{f.full}" if f is not None else "")
