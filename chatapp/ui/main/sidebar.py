"""The sidebar: New chat, the search box and its results, the conversation list and its menu."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QDropEvent, QKeyEvent, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.chat.service import ChatService
from chatapp.core.storage.store import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Conversation,
    Folder,
    SearchHit,
    Store,
)
from chatapp.ui.i18n import translate
from chatapp.ui.main.render import escape_plain, highlight_snippet
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import announce, clip, named
from chatapp.ui.main.workers import StoreClient

ROLE_ID = Qt.ItemDataRole.UserRole
ROLE_FOLDER = Qt.ItemDataRole.UserRole + 1
INDENT = "    "  # a folder's contents, one step in
PIN = "★ "  # in every common font, unlike the pin emoji
SEARCH_DELAY_MS = 150
UNDO_MS = 10_000  # how long a deleted conversation can be brought back


def date_group(conv: Conversation, today: date) -> str:
    """The sidebar heading a conversation goes under, by its last activity in local time:
    Pinned, Today, Yesterday, Previous 7 days, Previous 30 days, then month and year."""
    if conv.pinned:
        return translate("Sidebar", "Pinned")
    try:
        when = datetime.fromisoformat(conv.updated_at).astimezone().date()
    except ValueError:
        return translate("Sidebar", "Older")
    days = (today - when).days
    if days <= 0:
        return translate("Sidebar", "Today")
    if days == 1:
        return translate("Sidebar", "Yesterday")
    if days < 7:
        return translate("Sidebar", "Previous 7 days")
    if days < 30:
        return translate("Sidebar", "Previous 30 days")
    # the month in the window's language ("December 2026", "2026年12月")
    return QLocale().toString(
        QDate(when.year, when.month, when.day), translate("Sidebar", "MMMM yyyy")
    )


class ConversationList(QListWidget):
    """The conversations, with folders: chats and folders are dragged onto a folder (or out
    to the top level); the list itself is rebuilt from the store, Qt moves no rows."""

    dropped = Signal(object, object)  # the dragged items, the item dropped on (or None)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt's name
        self._pressed = self.itemAt(event.position().toPoint())  # what a drag carries
        super().mousePressEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # Qt's name
        if event.source() is not self:
            event.ignore()
            return
        pressed = getattr(self, "_pressed", None)
        dragged = [pressed] if pressed is not None else self.selectedItems()
        self.dropped.emit(dragged, self.itemAt(event.position().toPoint()))
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()


class Sidebar(QWidget):
    """Lists the conversations (store thread) and asks the window to open the one chosen."""

    open_requested = Signal(str, object)  # conversation id, message id to show or None
    new_chat_requested = Signal()
    error = Signal(str)
    listed = Signal()  # the list on screen is up to date
    search_done = Signal()
    export_folder_requested = Signal(str)  # a folder's id

    def __init__(
        self,
        state: WindowState,
        db: StoreClient,
        chats: ChatService,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.state = state
        self.db = db
        self.chats = chats  # used on the store thread, inside db.call
        self._first_listing = True
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)

        lv = QVBoxLayout(self)
        lv.setContentsMargins(6, 6, 0, 6)
        self.new_button = named(
            QPushButton(translate("Sidebar", "New chat"), self),
            "newChat",
            translate("Sidebar", "New chat"),
            translate("Sidebar", "Start a new, empty conversation"),
        )
        self.new_button.clicked.connect(self.new_chat_requested.emit)
        self.search_box = named(
            QLineEdit(self), "searchBox", translate("Sidebar", "Search conversations")
        )
        self.search_box.setPlaceholderText(translate("Sidebar", "Search (Ctrl+F)"))
        self.search_box.setClearButtonEnabled(True)
        for clear in self.search_box.findChildren(QToolButton):  # Qt's own ✕ in the box
            clear.setAccessibleName(self.tr("Clear the search"))
            clear.setAccessibleDescription(
                self.tr("Empty the search box and show all conversations again")
            )
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.installEventFilter(self)  # Esc clears it, Down goes to the results
        self.folders: list[Folder] = []
        self.folded: set[str] = set()  # folders shown closed
        self.conv_list = named(
            ConversationList(self), "conversationList", translate("Sidebar", "Conversations")
        )
        self.conv_list.dropped.connect(self._dropped)
        self.conv_list.itemClicked.connect(self._item_clicked)
        self.conv_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conv_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conv_list.setUniformItemSizes(True)
        self.conv_list.itemSelectionChanged.connect(self._selection_changed)
        self.conv_list.itemChanged.connect(self._item_renamed)
        self.conv_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conv_list.customContextMenuRequested.connect(self._conversation_menu)
        self.results = named(
            QListWidget(self), "searchResults", translate("Sidebar", "Messages found")
        )
        self.results.itemActivated.connect(self._open_result)
        self.results.itemClicked.connect(self._open_result)
        self.results.hide()
        self.results.installEventFilter(self)  # Esc goes back to the search box
        # each row as tall as its wrapped text at the list's width, whatever the font size
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.viewport().installEventFilter(self)
        # a deleted conversation stays in the store for UNDO_MS, hidden, until this bar goes
        self._doomed: dict[str, str] = {}  # conversation id -> title, oldest first
        self._delete_timer = QTimer(self)
        self._delete_timer.setSingleShot(True)
        self._delete_timer.setInterval(UNDO_MS)
        self._delete_timer.timeout.connect(self.flush_deletes)
        self.undo_bar = QWidget(self)
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(0, 0, 0, 0)
        self.undo_label = named(QLabel(self.undo_bar), "undoLabel", translate("Sidebar", "Deleted"))
        self.undo_label.setWordWrap(True)
        self.undo_label.setMinimumWidth(1)
        self.undo_button = named(
            QPushButton(translate("Sidebar", "Undo"), self.undo_bar),
            "undoDelete",
            translate("Sidebar", "Undo delete"),
            translate("Sidebar", "Bring back the conversation just deleted"),
        )
        self.undo_button.clicked.connect(self.undo_delete)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        delete_key = QShortcut(QKeySequence(Qt.Key.Key_Delete), self.conv_list)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(lambda: self.delete_current(self._selected_id()))
        lv.addWidget(self.new_button)
        lv.addWidget(self.search_box)
        lv.addWidget(self.conv_list, 1)
        lv.addWidget(self.results, 1)
        lv.addWidget(self.undo_bar)
        state.conversation_changed.connect(self._current_changed)

    # -- the list -------------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        current = self.state.current
        keep = select or (current.id if current else None)
        self.db.call(
            lambda s: (s.list_conversations(), s.folders()),
            lambda found: self._listed(found[0], keep, found[1]),
        )

    def _listed(
        self,
        conversations: list[Conversation],
        select: str | None,
        folders: list[Folder] | None = None,
    ) -> None:
        if self._first_listing:
            # on start: the conversation open last time, else the newest
            self._first_listing = False
            ids = {c.id for c in conversations}
            if select not in ids:
                newest = max(conversations, key=lambda c: c.updated_at, default=None)
                select = newest.id if newest else None
        conversations = [c for c in conversations if c.id not in self._doomed]
        self.state.conversations = conversations
        self.folders = folders if folders is not None else self.folders
        known = {f.id for f in self.folders}
        self.conv_list.blockSignals(True)
        self.conv_list.clear()
        filed: dict[str, list[Conversation]] = {}
        for conv in conversations:
            if conv.folder_id in known:
                filed.setdefault(str(conv.folder_id), []).append(conv)
        self._add_folders(None, 0, filed, select)
        today = datetime.now().astimezone().date()
        group = None
        for conv in conversations:
            if conv.folder_id in known:
                continue
            label = date_group(conv, today)
            if label != group:  # a heading: not selectable, skipped by the keyboard
                group = label
                heading = QListWidgetItem(label)
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                font = heading.font()
                font.setBold(True)
                heading.setFont(font)
                self.conv_list.addItem(heading)
            self._add_conversation(conv, 0, select)
        self.conv_list.blockSignals(False)
        if select and not self.state.is_current(select):
            self.open_requested.emit(select, None)
        self.listed.emit()

    def _add_conversation(self, conv: Conversation, depth: int, select: str | None) -> None:
        title = (PIN if conv.pinned else "") + (conv.title or translate("Sidebar", "New chat"))
        item = QListWidgetItem(INDENT * depth + title)
        item.setData(ROLE_ID, conv.id)
        item.setToolTip(conv.title)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled)
        self.conv_list.addItem(item)
        if conv.id == select:
            item.setSelected(True)
            self.conv_list.setCurrentItem(item)

    def _add_folders(
        self,
        parent: str | None,
        depth: int,
        filed: dict[str, list[Conversation]],
        select: str | None,
    ) -> None:
        """The folders under ``parent``, each followed by what it holds (unless folded)."""
        for folder in (f for f in self.folders if f.parent_id == parent):
            folded = folder.id in self.folded
            row = QListWidgetItem(f"{INDENT * depth}{'▸' if folded else '▾'} {folder.name}")
            row.setData(ROLE_FOLDER, folder.id)
            row.setToolTip(
                translate(
                    "Sidebar", "Folder {name}: click to fold or unfold; drop chats on it"
                ).format(name=folder.name)
            )
            row.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsDropEnabled
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            font = row.font()
            font.setBold(True)
            row.setFont(font)
            self.conv_list.addItem(row)
            if folded:
                continue
            self._add_folders(folder.id, depth + 1, filed, select)
            for conv in filed.get(folder.id, []):
                self._add_conversation(conv, depth + 1, select)

    def titles(self) -> list[str]:
        """The conversations listed, in order, without the headings and folders."""
        items = (self.conv_list.item(i) for i in range(self.conv_list.count()))
        return [it.text().lstrip() for it in items if it.data(ROLE_ID) is not None]

    # -- folders ----------------------------------------------------------------------------

    def _item_clicked(self, item: QListWidgetItem) -> None:
        folder = item.data(ROLE_FOLDER)
        if folder is None:
            return
        self.folded ^= {folder}
        self._listed(self.state.conversations, None, self.folders)

    def new_folder(self, parent_id: str | None = None, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(
                self,
                translate("Sidebar", "New folder"),
                translate("Sidebar", "Name of the folder:"),
            )
            if not ok:
                return
        if not name.strip():
            return
        self.db.call(lambda s: s.create_folder(name, parent_id), lambda _f: self.refresh())

    def rename_folder(self, folder_id: str) -> None:
        folder = next((f for f in self.folders if f.id == folder_id), None)
        if folder is None:
            return
        name, ok = QInputDialog.getText(
            self,
            translate("Sidebar", "Rename folder"),
            translate("Sidebar", "Name:"),
            text=folder.name,
        )
        if ok and name.strip():
            self.db.call(lambda s: s.rename_folder(folder_id, name), lambda _r: self.refresh())

    def delete_folder(self, folder_id: str) -> None:
        """Delete a folder (and its subfolders): the chats in them go to the top level."""
        self.db.call(lambda s: s.delete_folder(folder_id), lambda _r: self.refresh())

    def move_to_folder(self, conversation_ids: list[str], folder_id: str | None) -> None:
        self.db.call(
            lambda s: s.move_conversations(conversation_ids, folder_id), lambda _r: self.refresh()
        )

    def move_folder(self, folder_id: str, parent_id: str | None) -> None:
        def move(store: Store) -> str | None:
            try:
                store.move_folder(folder_id, parent_id)
            except ValueError as exc:
                return str(exc)
            return None

        def moved(problem: str | None) -> None:
            if problem:
                self.error.emit(
                    translate("Sidebar", "The folder was not moved: {error}.").format(error=problem)
                )
            self.refresh()

        self.db.call(move, moved)

    def _dropped(self, dragged: list[QListWidgetItem], target: QListWidgetItem | None) -> None:
        """Chats or a folder dropped on a folder, on a chat (into its folder), or on the
        headings or empty space (the top level)."""
        folder: str | None = None
        if target is not None:
            if target.data(ROLE_FOLDER) is not None:
                folder = str(target.data(ROLE_FOLDER))
            elif target.data(ROLE_ID) is not None:
                conv = self.state.conversation(str(target.data(ROLE_ID)))
                folder = conv.folder_id if conv is not None else None
        chats = [str(i.data(ROLE_ID)) for i in dragged if i.data(ROLE_ID) is not None]
        moving = [str(i.data(ROLE_FOLDER)) for i in dragged if i.data(ROLE_FOLDER) is not None]
        if chats:
            self.move_to_folder(chats, folder)
        for folder_id in moving:
            if folder_id != folder:
                self.move_folder(folder_id, folder)

    def _current_changed(self) -> None:
        if self.state.current is None:  # a new chat: nothing selected
            self.conv_list.clearSelection()

    def _selection_changed(self) -> None:
        items = self.conv_list.selectedItems()
        if items:
            conv_id = items[0].data(ROLE_ID)
            if not self.state.is_current(conv_id):
                self.open_requested.emit(conv_id, None)

    # -- rename, pin, delete --------------------------------------------------------------------

    def _item_renamed(self, item: QListWidgetItem) -> None:
        conv_id = item.data(ROLE_ID)
        if conv_id is None:
            return
        title = item.text().strip().removeprefix(PIN.strip()).strip()
        if not title:
            self.refresh()
            return
        self.db.call(lambda s: s.rename_conversation(conv_id, title), self.conversation_updated)

    def conversation_updated(self, conv: Conversation) -> None:
        """A conversation's title or settings changed (saved already)."""
        if self.state.is_current(conv.id):
            self.state.current = conv
        self.refresh()

    def rename_current(self) -> None:
        item = self.conv_list.currentItem()
        if item is not None:
            item.setText(item.text().removeprefix(PIN))
            self.conv_list.editItem(item)

    def toggle_pin(self, conv_id: str | None = None) -> None:
        conv = self.state.conversation(conv_id)
        if conv is not None:
            self.db.call(
                lambda s: s.set_pinned(conv.id, not conv.pinned), lambda _c: self.refresh()
            )

    def _selected_id(self) -> str | None:
        item = self.conv_list.currentItem()
        return str(item.data(ROLE_ID)) if item is not None else None

    def delete_current(self, conv_id: str | None = None) -> None:
        """Delete a conversation, with Undo: it is hidden at once and deleted from the store
        when the Undo bar goes (after UNDO_MS, at the next delete's end, or when the window
        closes)."""
        conv = self.state.conversation(conv_id)
        if conv is None:
            return
        stream = self.state.stream
        if stream is not None and stream.conversation_id == conv.id:
            self.error.emit(
                translate("Sidebar", "This conversation is still receiving a reply: stop it first.")
            )
            return
        if self.state.is_current(conv.id):
            self.new_chat_requested.emit()
        self._doomed[conv.id] = conv.title or translate("Sidebar", "New chat")
        count = len(self._doomed)
        self.undo_label.setText(
            translate("Sidebar", "Deleted “{title}”").format(
                title=clip(conv.title or translate("Sidebar", "New chat"), 40)
            )
            if len(self._doomed) == 1
            else translate("Sidebar", "Deleted %n conversation(s)", None, count)
        )
        self.undo_bar.show()
        self._delete_timer.start()  # each delete gives the bar its full time again
        self.refresh()

    def undo_delete(self) -> None:
        """Bring back the conversations deleted since the Undo bar appeared."""
        if not self._doomed:
            return
        restored = list(self._doomed)
        self._doomed.clear()
        self._delete_timer.stop()
        self.undo_bar.hide()
        self.refresh(select=restored[-1])

    def flush_deletes(self) -> None:
        """Delete for good what the Undo bar still holds (its time is up, or the window
        closes: the store thread finishes its queue before it stops)."""
        doomed, self._doomed = list(self._doomed), {}
        self._delete_timer.stop()
        self.undo_bar.hide()
        chats = self.chats

        def delete(_store: Store) -> None:
            for conv_id in doomed:
                chats.delete_conversation(conv_id)

        if doomed:
            self.db.call(delete)

    def duplicate(self, conv_id: str | None = None) -> None:
        """A copy of the conversation (every branch), opened."""
        conv = self.state.conversation(conv_id)
        if conv is None:
            return
        chats = self.chats
        self.db.call(lambda _s: chats.duplicate(conv.id), lambda c: self.refresh(select=c.id))

    def _conversation_menu(self, pos: QPoint) -> None:
        item = self.conv_list.itemAt(pos)
        menu = QMenu(self)
        folder_id = item.data(ROLE_FOLDER) if item is not None else None
        if folder_id is not None:
            fid = str(folder_id)
            menu.addAction(translate("Sidebar", "New subfolder…"), lambda: self.new_folder(fid))
            menu.addAction(translate("Sidebar", "Rename folder…"), lambda: self.rename_folder(fid))
            menu.addAction(
                translate("Sidebar", "Export folder…"),
                lambda: self.export_folder_requested.emit(fid),
            )
            menu.addAction(
                translate("Sidebar", "Delete folder (its chats stay)"),
                lambda: self.delete_folder(fid),
            )
            menu.exec(self.conv_list.mapToGlobal(pos))
            return
        conv = self.state.conversation(item.data(ROLE_ID)) if item is not None else None
        if conv is None:
            menu.addAction(translate("Sidebar", "New folder…"), lambda: self.new_folder(None))
            menu.exec(self.conv_list.mapToGlobal(pos))
            return
        assert item is not None
        menu.addAction(translate("Sidebar", "Rename"), lambda: self.conv_list.editItem(item))
        menu.addAction(
            translate("Sidebar", "Unpin") if conv.pinned else translate("Sidebar", "Pin"),
            lambda: self.toggle_pin(conv.id),
        )
        menu.addAction(translate("Sidebar", "Duplicate"), lambda: self.duplicate(conv.id))
        move = menu.addMenu(translate("Sidebar", "Move to folder"))
        move.addAction(
            translate("Sidebar", "No folder (top level)"),
            lambda: self.move_to_folder([conv.id], None),
        )
        for f in self.folders:
            move.addAction(f.name, partial(self.move_to_folder, [conv.id], f.id))
        move.addAction(translate("Sidebar", "New folder…"), lambda: self.new_folder(None))
        menu.addAction(translate("Sidebar", "Delete"), lambda: self.delete_current(conv.id))
        menu.exec(self.conv_list.mapToGlobal(pos))

    # -- search ---------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        """In the search box, Esc clears it (before the window's Esc, Stop reply, takes the
        key; in an empty box Esc stops the reply as anywhere) and Down goes to the results; in
        the results, Esc goes back to the box."""
        if event.type() == QEvent.Type.Resize and watched is self.results.viewport():
            self._fit_results()
        elif event.type() == QEvent.Type.FontChange and watched is self.results:
            QTimer.singleShot(0, self._fit_results)  # once the labels have the new font too
        if watched is self.results and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and event.type() == QEvent.Type.ShortcutOverride:
                event.accept()
                return True
            if event.key() == Qt.Key.Key_Escape and event.type() == QEvent.Type.KeyPress:
                self.focus_search()
                return True
        if watched is not self.search_box or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if event.type() == QEvent.Type.ShortcutOverride and key == Qt.Key.Key_Escape:
            if self.search_box.text():
                event.accept()  # a key press for the box, not the shortcut
                return True
        elif event.type() == QEvent.Type.KeyPress and plain:
            if key == Qt.Key.Key_Escape and self.search_box.text():
                self.search_box.clear()
                return True
            if key == Qt.Key.Key_Down and self.results.isVisible() and self.results.count():
                self.results.setFocus(Qt.FocusReason.TabFocusReason)
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
        return super().eventFilter(watched, event)

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _run_search(self) -> None:
        query = self.search_box.text().strip()
        lowered = query.lower()
        for i in range(self.conv_list.count()):
            item = self.conv_list.item(i)
            conv = self.state.conversation(item.data(ROLE_ID))
            title = conv.title if conv else item.text()
            item.setHidden(bool(query) and lowered not in title.lower())
        if not query:
            self.results.clear()
            self.results.hide()
            self.search_done.emit()
            return
        self.db.call(lambda s: s.search(query), self._show_results)

    def _show_results(self, hits: list[SearchHit]) -> None:
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem()
            item.setData(ROLE_ID, (hit.conversation_id, hit.message_id))
            title = hit.conversation_title or translate("Sidebar", "New chat")
            label = QLabel(
                f"<b>{escape_plain(title)}</b><br>"
                + highlight_snippet(hit.snippet, HIGHLIGHT_START, HIGHLIGHT_END)
            )
            label.setWordWrap(True)
            label.setObjectName("searchHit")
            label.setMinimumWidth(1)
            item.setSizeHint(label.sizeHint())
            item.setText("")
            item.setToolTip(hit.snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, ""))
            # the row shows a label; a screen reader reads the item
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole,
                self.tr("{title}: {snippet}").format(
                    title=hit.conversation_title or self.tr("New chat"), snippet=item.toolTip()
                ),
            )
            self.results.addItem(item)
            self.results.setItemWidget(item, label)
        self.results.setVisible(True)
        self._fit_results()
        if not hits:
            item = QListWidgetItem(translate("Sidebar", "No messages match."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        # said once the results are in, not while typing (they come SEARCH_DELAY_MS after)
        n = len(hits)
        found = self.tr("1 message found") if n == 1 else self.tr("{n} messages found").format(n=n)
        announce(self.results, found if n else self.tr("No messages match."))
        self.search_done.emit()

    def _fit_results(self) -> None:
        """Each result's row: the list's width, and as tall as its label's text wrapped to it
        (a label's own size hint guesses a width: at 13 pt and up the rows overlapped)."""
        width = max(1, self.results.viewport().width())
        for i in range(self.results.count()):
            item = self.results.item(i)
            label = self.results.itemWidget(item)
            if isinstance(label, QLabel):
                size = QSize(width, label.heightForWidth(width))
                if item.sizeHint() != size:
                    item.setSizeHint(size)

    def _open_result(self, item: QListWidgetItem) -> None:
        data: Any = item.data(ROLE_ID)
        if not data:
            return
        conv_id, message_id = data
        self.open_requested.emit(conv_id, message_id)
