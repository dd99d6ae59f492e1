"""Help → Keyboard shortcuts…: every command that has a shortcut, read from the window's menus
and actions when the dialog opens (so the list cannot go stale), and the keys that work in
one place (the message box, the search box, the conversation list)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShortcutsDialog", text)


def local_keys() -> list[tuple[str, str, str]]:
    """(where, what, keys) for the keys that belong to one widget, not to a menu command."""
    return [
        (_tr("Message box"), _tr("Send the message"), _tr("Enter")),
        (_tr("Message box"), _tr("New line"), _tr("Shift+Enter")),
        (_tr("Search box"), _tr("Clear the search"), _tr("Esc")),
        (_tr("Search box"), _tr("Go to the messages found"), _tr("Down")),
        (_tr("Conversation list"), _tr("Delete the conversation"), _tr("Delete")),
        (_tr("Conversation"), _tr("First and last message"), _tr("Ctrl+Home, Ctrl+End")),
        (_tr("Message"), _tr("Open the ⋯ menu of a message"), _tr("Space, on ⋯")),
        (_tr("Everywhere"), _tr("Next and previous control"), _tr("Tab, Shift+Tab")),
    ]


def _plain(text: str) -> str:
    """A menu text without its mnemonic: "&Open model…" → "Open model…"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def menu_shortcuts(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, command, shortcut) for every action of the window's menus that has a shortcut,
    then those of the window's actions in no menu."""
    rows: list[tuple[str, str, str]] = []
    listed: set[QAction] = set()

    def visit(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                visit(sub, f"{where} → {_plain(action.text())}")
                continue
            keys = action.shortcuts()
            if keys and not action.isSeparator():
                native = QKeySequence.SequenceFormat.NativeText
                shown = ", ".join(k.toString(native) for k in keys)
                rows.append((where, _plain(action.text()), shown))
                listed.add(action)

    for top in window.menuBar().actions():
        sub = top.menu()
        if isinstance(sub, QMenu):
            visit(sub, _plain(top.text()))
    for action in window.actions():
        if action not in listed and action.shortcuts() and action.text():
            native = QKeySequence.SequenceFormat.NativeText
            shown = ", ".join(k.toString(native) for k in action.shortcuts())
            rows.append(("", _plain(action.text()), shown))
    return rows


class ShortcutsDialog(QDialog):
    """A table: where, what, which keys."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.resize(620, 560)
        self.rows = menu_shortcuts(window) + local_keys()
        intro = QLabel(self.tr("Every command, and the keys that do it."), self)
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Where"), self.tr("Command"), self.tr("Keys")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        # rows as tall as their text, whatever the font size
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for row, (where, what, keys) in enumerate(self.rows):
            for col, text in enumerate((where, what, keys)):
                item = QTableWidgetItem(text)
                if not text:  # a screen reader says "blank" for an empty cell
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, self.tr("any window"))
                self.table.setItem(row, col, item)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.table.setFocus()
