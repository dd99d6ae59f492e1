"""Chat → Versions: every version of every message of the conversation, as a tree in a side
panel. Edits and regenerations are siblings; the path on screen is in bold and expanded. A click
or Enter on a node shows that branch (down to its newest reply). The arrow keys walk the tree.

The messages are read on the store thread when the panel is shown and whenever the thread on
screen changes; a conversation larger than ``MAX_NODES`` shows its first ``MAX_NODES``.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from chatapp.core.storage.store import Message, Store
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, translate
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import clip, named
from chatapp.ui.main.workers import StoreClient

MAX_NODES: Final = 5000
ROLE_ID: Final = Qt.ItemDataRole.UserRole
_WHO: Final = {
    "user": QT_TRANSLATE_NOOP("VersionsTree", "You"),
    "assistant": QT_TRANSLATE_NOOP("VersionsTree", "Assistant"),
    "system": QT_TRANSLATE_NOOP("VersionsTree", "System"),
}


class VersionsTree(QWidget):
    branch_chosen = Signal(str)  # message id: show the branch through it
    built = Signal()  # for tests: the tree shows the latest read

    def __init__(self, state: WindowState, db: StoreClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.db = db
        self.setObjectName("versionsPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.tree = named(
            QTreeWidget(self),
            "versionsTree",
            translate("VersionsTree", "Versions of the messages"),
        )
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleDescription(
            translate(
                "VersionsTree",
                "Every version of every message; Enter shows the branch through the chosen one",
            )
        )
        self.tree.itemActivated.connect(self._chosen)
        self.tree.itemClicked.connect(self._chosen)
        self.note = named(
            QLabel(self),
            "versionsNote",
            translate("VersionsTree", "About the versions tree"),
        )
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.note)
        self.items: dict[str, QTreeWidgetItem] = {}
        state.thread_changed.connect(self.reload)
        state.conversation_changed.connect(self.reload)

    def reload(self) -> None:
        if not self.isVisible():
            return
        conv = self.state.current
        if conv is None:
            self._show([], set())
            return
        path = {m.id for m in self.state.thread_messages}
        conv_id = conv.id

        def read(store: Store) -> list[Message]:
            return store.messages(conv_id)[:MAX_NODES]

        def shown(messages: list[Message]) -> None:
            if self.state.is_current(conv_id):
                self._show(messages, path)

        self.db.call(read, shown)

    def showEvent(self, event: QShowEvent) -> None:  # Qt's name
        super().showEvent(event)
        self.reload()

    def _show(self, messages: list[Message], path: set[str]) -> None:
        self.tree.clear()
        self.items = {}
        pending = list(messages)  # parents come before children: oldest first
        current: QTreeWidgetItem | None = None
        for msg in pending:
            parent = self.items.get(msg.parent_id) if msg.parent_id else None
            who = translate("VersionsTree", _WHO.get(msg.role, msg.role))
            content = clip(msg.content, 60) or translate("VersionsTree", "(empty)")
            text = translate("VersionsTree", "{who}: {content}").format(who=who, content=content)
            item = QTreeWidgetItem([text])
            item.setData(0, ROLE_ID, msg.id)
            item.setToolTip(0, clip(msg.content, 400))
            if msg.id in path:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
                current = item
            if parent is not None:
                parent.addChild(item)
            else:
                self.tree.addTopLevelItem(item)
            self.items[msg.id] = item
        for msg_id in path:  # the path on screen is open down to its leaf
            node = self.items.get(msg_id)
            while node is not None:
                node.setExpanded(True)
                node = node.parent()
        if current is not None:
            self.tree.setCurrentItem(current)
        self.note.setVisible(len(messages) >= MAX_NODES)
        self.note.setText(
            translate("VersionsTree", "Showing the first %n messages.", None, MAX_NODES)
        )
        self.built.emit()

    def _chosen(self, item: QTreeWidgetItem) -> None:
        message_id = item.data(0, ROLE_ID)
        if message_id:
            self.branch_chosen.emit(str(message_id))


__all__ = ["VersionsTree"]
