"""The main window: conversations on the left, the chat in the centre, the model below."""

from __future__ import annotations

import logging
import platform
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chatapp import __version__, bundled
from chatapp.core.chat.service import ChatService, ThreadView, effective
from chatapp.core.config.appsettings import AppSettings, SettingsFile
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.backend import TokenCount
from chatapp.core.inference.engine import Engine, LoadedModel
from chatapp.core.models.downloads import Downloader, Item, Progress, State
from chatapp.core.models.hub import Hub, Recommended
from chatapp.core.storage.store import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Conversation,
    Message,
    SearchHit,
    Store,
    timestamp_now,
)
from chatapp.ui.main.composer import Composer
from chatapp.ui.main.first_run import FirstRunPanel
from chatapp.ui.main.messages import ChatView
from chatapp.ui.main.render import escape_plain, highlight_snippet
from chatapp.ui.main.settings_dialog import SettingsDialog
from chatapp.ui.main.theme import apply_theme, is_dark
from chatapp.ui.main.workers import EngineClient, StoreClient
from chatapp.ui.models.model_workers import ModelFiles, ModelServices
from chatapp.ui.models.models_dialog import ModelsDialog

log = logging.getLogger(__name__)

REPAINT_MS = 33  # ~30 repaints a second, however fast the model is
ROLE_ID = Qt.ItemDataRole.UserRole
PIN = "★ "  # in every common font, unlike the pin emoji


@dataclass
class _Stream:
    conversation_id: str
    message_id: str
    text: str = ""


class MainWindow(QMainWindow):
    """Everything the user sees. All disk and model work goes through the two workers."""

    model_loaded = Signal(object)  # for tests and the status bar
    conversations_listed = Signal()
    conversation_shown = Signal(str)
    reply_done = Signal(str, str)  # conversation id, message id
    reply_piece = Signal(str)  # the text piece, received on the GUI thread
    search_done = Signal()
    error_shown = Signal(str)

    def __init__(
        self,
        *,
        store: Store,
        engine: Engine,
        settings_file: SettingsFile,
        settings: AppSettings,
        settings_problem: str | None = None,
        initial_model: Path | None = None,
        model_files: ModelFiles | None = None,
    ) -> None:
        """``model_files``: the library, download queue and recommended list, read from disk
        before the event loop starts (by default from the store's folder, here)."""
        super().__init__()
        self.model_files = model_files or ModelFiles.open(store.path.parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("chatapp")
        self.setAcceptDrops(True)
        self.settings = settings
        self.settings_file = settings_file
        self.db = StoreClient(store, self)
        # Its methods run on the store thread, inside db.call; the defaults are read then.
        self.chats = ChatService(store, lambda: self.settings.generation)
        self.db.error.connect(self.show_error)
        self.engine = EngineClient(engine, store, self)
        w = self.engine.worker
        w.loaded.connect(self._loaded)
        w.load_failed.connect(self._load_failed)
        w.load_progress.connect(self._load_progress)
        w.reply_started.connect(self._reply_started)
        w.piece.connect(self._piece)
        w.prompt_progress.connect(self._prompt_progress)
        w.token_count.connect(self._token_count)
        w.reply_finished.connect(self._reply_finished)
        w.reply_failed.connect(self._reply_failed)

        self.model: LoadedModel | None = None
        self.loading: str | None = None
        self.conversations: list[Conversation] = []
        self.current: Conversation | None = None
        self.thread_messages: list[Message] = []
        self.siblings: dict[str, list[str]] = {}
        self.stream: _Stream | None = None
        self._extends_view = False  # whether the coming reply goes below the last message shown
        self.editing: Message | None = None
        self._closing = False
        self._first_listing = True
        self._fits_requested = False
        self._autoload: set[str] = set()  # recommended files to load once downloaded
        self._autoload_ids: dict[str, str] = {}  # their download ids -> file names
        self._downloaded: dict[str, Path] = {}  # and where those that arrived are
        self.conversation_dialog: SettingsDialog | None = None
        self.models: ModelServices | None = None
        self.models_dialog: ModelsDialog | None = None
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(REPAINT_MS)
        self._repaint.timeout.connect(self._flush)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(150)
        self._search_timer.timeout.connect(self._run_search)

        self._build()
        self._build_actions()
        self._restore_geometry()
        self.refresh_conversations(select=settings.last_conversation)
        if settings_problem:
            self.show_error(settings_problem)
        model = initial_model or (Path(settings.last_model) if settings.last_model else None)
        if model is not None:
            self.loading = str(model)  # from the first frame: "Loading…", not the first-run list
            QTimer.singleShot(0, lambda: self.load_model(model))
        self._update_empty_state()
        self.composer.setFocus()
        QTimer.singleShot(0, self._resume_downloads)
        QTimer.singleShot(0, self._gpu_hint)

    # -- construction ---------------------------------------------------------------------------

    def _named(self, widget: QWidget, name: str, accessible: str) -> Any:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        return widget

    def _build(self) -> None:
        # left: search, new chat, conversation list, search results
        left = QWidget(self)
        left.setObjectName("sidebar")
        lv = QVBoxLayout(left)
        lv.setContentsMargins(6, 6, 0, 6)
        self.new_button = self._named(QPushButton("New chat", left), "newChat", "New chat")
        self.new_button.clicked.connect(self.new_chat)
        self.search_box = self._named(QLineEdit(left), "searchBox", "Search conversations")
        self.search_box.setPlaceholderText("Search (Ctrl+F)")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.conv_list = self._named(QListWidget(left), "conversationList", "Conversations")
        self.conv_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conv_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conv_list.setUniformItemSizes(True)
        self.conv_list.itemSelectionChanged.connect(self._selection_changed)
        self.conv_list.itemChanged.connect(self._item_renamed)
        self.conv_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conv_list.customContextMenuRequested.connect(self._conversation_menu)
        self.results = self._named(QListWidget(left), "searchResults", "Messages found")
        self.results.itemActivated.connect(self._open_result)
        self.results.itemClicked.connect(self._open_result)
        self.results.hide()
        lv.addWidget(self.new_button)
        lv.addWidget(self.search_box)
        lv.addWidget(self.conv_list, 1)
        lv.addWidget(self.results, 1)

        # centre: error banner, conversation header, messages (or the empty state), composer
        centre = QWidget(self)
        cv = QVBoxLayout(centre)
        cv.setContentsMargins(0, 6, 6, 6)
        banner = QWidget(centre)
        banner.setObjectName("errorBannerBox")
        bl = QHBoxLayout(banner)
        bl.setContentsMargins(8, 4, 4, 4)
        self.error_label = self._named(QLabel(banner), "errorBanner", "Error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        dismiss = self._named(QToolButton(banner), "dismissError", "Dismiss the error")
        dismiss.setText("✕")
        dismiss.clicked.connect(banner.hide)
        bl.addWidget(self.error_label, 1)
        bl.addWidget(dismiss)
        banner.setStyleSheet(
            "#errorBannerBox { background: rgba(220, 60, 60, 40); border-radius: 4px; }"
        )
        banner.hide()
        self.banner = banner
        self.header = self._named(QLabel(centre), "conversationHeader", "Conversation details")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.linkActivated.connect(lambda _h: self.edit_system_prompt())
        self.header.setOpenExternalLinks(False)
        self.chat_view = ChatView(centre)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.regenerate_requested.connect(self.regenerate)
        self.chat_view.branch_requested.connect(self.switch_branch)
        self.empty = QWidget(centre)
        self.empty.setObjectName("emptyState")
        ev = QVBoxLayout(self.empty)
        ev.addStretch(1)
        self.empty_label = self._named(QLabel(self.empty), "emptyLabel", "Getting started")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.first_run = FirstRunPanel(self.model_files.recommended, self.empty)
        self.first_run.open_requested.connect(self.open_model_dialog)
        self.first_run.browse_requested.connect(self.open_models)
        self.first_run.download_requested.connect(self._download_recommended)
        self.open_button = self.first_run.open_button
        self.get_button = self.first_run.browse_button
        ev.addWidget(self.empty_label)
        ev.addWidget(self.first_run, 6)
        ev.addStretch(1)
        self.stack = QStackedWidget(centre)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.chat_view)
        composer_row = QHBoxLayout()
        self.composer = Composer(centre)
        self.composer.submitted.connect(self.send)
        self.send_button = self._named(QPushButton("Send", centre), "sendButton", "Send")
        self.send_button.clicked.connect(lambda: self.send(self.composer.toPlainText()))
        self.stop_button = self._named(QPushButton("Stop", centre), "stopButton", "Stop the reply")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        composer_row.addWidget(self.composer, 1)
        composer_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        composer_row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.edit_note = self._named(QLabel(centre), "editNote", "Editing a message")
        self.edit_note.hide()
        cv.addWidget(banner)
        cv.addWidget(self.header)
        cv.addWidget(self.stack, 1)
        cv.addWidget(self.edit_note)
        cv.addLayout(composer_row)

        self.splitter = QSplitter(self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(centre)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 760])
        self.setCentralWidget(self.splitter)

        # status bar: model (click to change), backend, context meter, load progress
        sb = self.statusBar()
        self.model_button = self._named(QToolButton(sb), "modelButton", "Model")
        self.model_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.model_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.model_menu = QMenu(self.model_button)
        self.model_menu.aboutToShow.connect(self._fill_model_menu)
        self.model_button.setMenu(self.model_menu)
        self.backend_label = self._named(QLabel(sb), "backendLabel", "Backend")
        self.context_meter = self._named(QProgressBar(sb), "contextMeter", "Context used")
        self.context_meter.setMaximumWidth(220)
        self.context_meter.setFormat("context %v / %m")
        self.context_meter.setRange(0, 1)
        self.context_meter.setValue(0)
        self.load_bar = self._named(QProgressBar(sb), "loadProgress", "Loading progress")
        self.load_bar.setRange(0, 100)
        self.load_bar.setMaximumWidth(160)
        self.load_bar.hide()
        self.cancel_load_button = self._named(QToolButton(sb), "cancelLoad", "Cancel loading")
        self.cancel_load_button.setText("Cancel")
        self.cancel_load_button.clicked.connect(self.engine.worker.cancel_load.set)
        self.cancel_load_button.hide()
        sb.addWidget(self.model_button)
        sb.addWidget(self.load_bar)
        sb.addWidget(self.cancel_load_button)
        sb.addPermanentWidget(self.backend_label)
        sb.addPermanentWidget(self.context_meter)
        self._update_model_status()
        self._update_context_meter()

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu("&File")
        self.new_action = self._action(
            file, "&New chat", QKeySequence.StandardKey.New, self.new_chat
        )
        self._action(file, "&Open model…", QKeySequence.StandardKey.Open, self.open_model_dialog)
        self._action(
            file, "&Models: discover, download, library…", QKeySequence("Ctrl+M"), self.open_models
        )
        self.recent_menu = file.addMenu("&Recent models")
        self.recent_menu.aboutToShow.connect(lambda: self._fill_recent(self.recent_menu))
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        chat = menu.addMenu("&Chat")
        self._action(chat, "&Search", QKeySequence.StandardKey.Find, self.focus_search)
        self._action(chat, "&Rename conversation", QKeySequence(Qt.Key.Key_F2), self.rename_current)
        self._action(chat, "&Pin / unpin conversation", QKeySequence("Ctrl+P"), self.toggle_pin)
        self._action(
            chat, "&Delete conversation…", QKeySequence("Ctrl+Shift+Delete"), self.delete_current
        )
        self._action(chat, "&System prompt…", QKeySequence("Ctrl+Shift+S"), self.edit_system_prompt)
        chat.addSeparator()
        self._action(chat, "S&top reply", QKeySequence(Qt.Key.Key_Escape), self.stop)
        self._action(
            chat, "Re&generate last reply", QKeySequence("Ctrl+R"), lambda: self.regenerate(None)
        )
        self._action(
            chat, "&Edit last message", QKeySequence("Ctrl+E"), lambda: self.edit_message(None)
        )
        settings = menu.addMenu("&Settings")
        self._action(settings, "&Preferences…", QKeySequence("Ctrl+,"), self.open_settings)
        help_menu = menu.addMenu("&Help")
        self._action(help_menu, "&About chatapp", None, self.about)

    def _action(
        self,
        menu: QMenu,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | None,
        slot: Any,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        else:
            self.resize(1100, 760)
        if self.settings.splitter_sizes:
            self.splitter.setSizes(list(self.settings.splitter_sizes))

    # -- conversations --------------------------------------------------------------------------

    def refresh_conversations(self, select: str | None = None) -> None:
        keep = select or (self.current.id if self.current else None)
        self.db.call(lambda s: s.list_conversations(), lambda convs: self._listed(convs, keep))

    def _listed(self, conversations: list[Conversation], select: str | None) -> None:
        if self._first_listing:
            # on start: the conversation open last time, else the newest
            self._first_listing = False
            ids = {c.id for c in conversations}
            if select not in ids:
                newest = max(conversations, key=lambda c: c.updated_at, default=None)
                select = newest.id if newest else None
        self.conversations = conversations
        self.conv_list.blockSignals(True)
        self.conv_list.clear()
        for conv in conversations:
            item = QListWidgetItem((PIN if conv.pinned else "") + (conv.title or "New chat"))
            item.setData(ROLE_ID, conv.id)
            item.setToolTip(conv.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.conv_list.addItem(item)
            if conv.id == select:
                item.setSelected(True)
                self.conv_list.setCurrentItem(item)
        self.conv_list.blockSignals(False)
        if select and (self.current is None or self.current.id != select):
            self.open_conversation(select)
        self.conversations_listed.emit()

    def _selection_changed(self) -> None:
        items = self.conv_list.selectedItems()
        if items:
            conv_id = items[0].data(ROLE_ID)
            if self.current is None or conv_id != self.current.id:
                self.open_conversation(conv_id)

    def open_conversation(self, conv_id: str, focus_message: str | None = None) -> None:
        chats = self.chats

        def fetch(_store: Store) -> ThreadView:
            return chats.open_thread(conv_id, focus_message)

        self.db.call(
            fetch,
            lambda view: self._show_conversation(
                view.conversation, view.messages, view.versions, focus=focus_message
            ),
        )

    def switch_branch(self, message_id: str, step: int) -> None:
        """Show the previous/next version of a message (from an edit or a regenerate)."""
        if self.current is None or self.stream is not None:
            return
        conv_id = self.current.id
        options = self.siblings.get(message_id, [message_id])
        index = options.index(message_id) + step
        if not 0 <= index < len(options):
            return
        target = options[index]

        chats = self.chats

        def switch(_store: Store) -> None:
            chats.switch_version(conv_id, target)

        self.db.call(switch, lambda _r: self.open_conversation(conv_id))

    def _show_conversation(
        self,
        conv: Conversation,
        messages: list[Message],
        siblings: dict[str, list[str]],
        focus: str | None = None,
    ) -> None:
        self.current = conv
        self.thread_messages = messages
        self.siblings = siblings
        self.chat_view.dark = is_dark(self)
        self.chat_view.show_messages(messages)
        for m in messages:
            options = siblings.get(m.id, [m.id])
            if len(options) > 1 and m.id in options:
                self.chat_view.set_branch(m.id, options.index(m.id), len(options))
        self._update_header()
        s = self.stream
        if s is not None and s.conversation_id == conv.id:
            if s.message_id not in self.chat_view.widgets:
                self.chat_view.append(self._placeholder(s), streaming=True)
            self.chat_view.update_text(s.message_id, s.text)
            w = self.chat_view.widgets[s.message_id]
            w.set_meta(w.message, streaming=True)
        self.chat_view.set_busy(self.stream is not None)
        self._update_context_meter()
        self._update_empty_state()
        if focus:
            self.chat_view.scroll_to(focus)
        self.settings = self.settings.updated(last_conversation=conv.id)
        self.conversation_shown.emit(conv.id)

    def _update_header(self) -> None:
        conv = self.current
        if conv is None:
            self.header.setText("")
            return
        prompt = conv.system_prompt or "none"
        gen = self._generation_settings()
        self.header.setText(
            f"<b>{escape_plain(conv.title or 'New chat')}</b>"
            f"<br><small>System prompt: {escape_plain(_clip(prompt, 120))} · "
            f"temperature {gen.temperature:g} · max {gen.max_tokens} tokens "
            f"(<a href='edit'>change</a>)</small>"
        )

    def new_chat(self) -> None:
        self.current = None
        self.thread_messages = []
        self.conv_list.clearSelection()
        self.chat_view.clear()
        self.editing = None
        self.edit_note.hide()
        self._update_header()
        self._update_context_meter()
        self._update_empty_state()
        self.composer.setFocus()

    def _item_renamed(self, item: QListWidgetItem) -> None:
        conv_id = item.data(ROLE_ID)
        title = item.text().removeprefix(PIN).strip()
        if not title:
            self.refresh_conversations()
            return
        self.db.call(
            lambda s: s.rename_conversation(conv_id, title), lambda conv: self._renamed(conv)
        )

    def _renamed(self, conv: Conversation) -> None:
        if self.current is not None and self.current.id == conv.id:
            self.current = conv
            self._update_header()
        self.refresh_conversations()

    def rename_current(self) -> None:
        item = self.conv_list.currentItem()
        if item is not None:
            item.setText(item.text().removeprefix(PIN))
            self.conv_list.editItem(item)

    def toggle_pin(self, conv_id: str | None = None) -> None:
        conv = self._conversation(conv_id)
        if conv is not None:
            self.db.call(
                lambda s: s.set_pinned(conv.id, not conv.pinned),
                lambda _c: self.refresh_conversations(),
            )

    def delete_current(self, conv_id: str | None = None) -> None:
        conv = self._conversation(conv_id)
        if conv is None:
            return
        if self.stream is not None and self.stream.conversation_id == conv.id:
            self.show_error("This conversation is still receiving a reply: stop it first.")
            return
        answer = QMessageBox.question(
            self,
            "Delete conversation",
            f"Delete “{conv.title or 'New chat'}” and all its messages? This cannot be undone.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        if self.current is not None and self.current.id == conv.id:
            self.new_chat()
        self.db.call(
            lambda s: s.delete_conversation(conv.id), lambda _r: self.refresh_conversations()
        )

    def _conversation(self, conv_id: str | None) -> Conversation | None:
        if conv_id is None:
            return self.current
        return next((c for c in self.conversations if c.id == conv_id), None)

    def _conversation_menu(self, pos: Any) -> None:
        item = self.conv_list.itemAt(pos)
        if item is None:
            return
        conv = self._conversation(item.data(ROLE_ID))
        if conv is None:
            return
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.conv_list.editItem(item))
        menu.addAction("Unpin" if conv.pinned else "Pin", lambda: self.toggle_pin(conv.id))
        menu.addAction("Delete…", lambda: self.delete_current(conv.id))
        menu.exec(self.conv_list.mapToGlobal(pos))

    def edit_system_prompt(self) -> None:
        """This conversation's system prompt and sampling settings (they override the defaults)."""
        if self.current is None:
            self.show_error(
                "Start a conversation first: new chats use the default system "
                "prompt and settings from Preferences (Ctrl+,)."
            )
            return
        conv = self.current
        shown = self.settings.updated(
            generation=self._generation_settings(), system_prompt=conv.system_prompt or ""
        )
        dialog = SettingsDialog(shown, self)
        dialog.setWindowTitle(f"Settings for “{conv.title or 'New chat'}”")
        for index in range(dialog.tabs.count()):  # only what a conversation can override
            dialog.tabs.setTabVisible(index, dialog.tabs.tabText(index) in ("&Generation", "&Chat"))
        dialog.tabs.setCurrentIndex(1)
        box = dialog.chat_template.parentWidget()
        form = box.layout() if box is not None else None
        if isinstance(form, QFormLayout):  # the template is per app, not per conversation
            form.setRowVisible(dialog.chat_template, False)
        self.conversation_dialog = dialog
        if not dialog.exec():
            return
        edited = dialog.result_settings()
        overrides = {
            k: v
            for k, v in edited.generation.to_dict().items()
            if v != self.settings.generation.to_dict()[k]
        }
        self.db.call(
            lambda s: s.update_conversation(
                conv.id, system_prompt=edited.system_prompt or None, settings=overrides
            ),
            self._renamed,
        )

    # -- search ---------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _run_search(self) -> None:
        query = self.search_box.text().strip()
        lowered = query.lower()
        for i in range(self.conv_list.count()):
            item = self.conv_list.item(i)
            conv = self._conversation(item.data(ROLE_ID))
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
            label = QLabel(
                f"<b>{escape_plain(hit.conversation_title or 'New chat')}</b><br>"
                + highlight_snippet(hit.snippet, HIGHLIGHT_START, HIGHLIGHT_END)
            )
            label.setWordWrap(True)
            label.setObjectName("searchHit")
            item.setSizeHint(label.sizeHint())
            item.setText("")
            item.setToolTip(hit.snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, ""))
            self.results.addItem(item)
            self.results.setItemWidget(item, label)
        self.results.setVisible(True)
        if not hits:
            item = QListWidgetItem("No messages match.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        self.search_done.emit()

    def _open_result(self, item: QListWidgetItem) -> None:
        data = item.data(ROLE_ID)
        if not data:
            return
        conv_id, message_id = data
        self.open_conversation(conv_id, focus_message=message_id)

    # -- sending and streaming ------------------------------------------------------------------

    def _generation_settings(self) -> GenerationSettings:
        try:
            return effective(self.settings.generation, self.current)
        except ValueError as exc:
            log.warning("conversation settings ignored: %s", exc)
            return self.settings.generation

    def send(self, text: str) -> None:
        if not text.strip():
            return
        if self.stream is not None:
            self.show_error("A reply is still streaming: stop it (Esc) or wait for it to finish.")
            return
        if self.model is None:
            self.show_error("No model is loaded: open a GGUF model file first (File → Open model).")
            return
        conv, editing = self.current, self.editing
        system_prompt = self.settings.system_prompt or None
        model_name = self.model.info.name

        chats = self.chats

        def save(_store: Store) -> tuple[Conversation, Message]:
            return chats.send(
                conv, text, model=model_name, system_prompt=system_prompt, edit_of=editing
            )

        cancel = self.engine.new_reply()  # Stop from now on stops this reply
        self.composer.clear()
        self.composer.setFocus()
        self.editing = None
        self.edit_note.hide()
        self._set_streaming_ui(True)
        self.db.call(save, lambda result: self._sent(result[0], result[1], cancel))

    def _sent(self, conv: Conversation, user: Message, cancel: threading.Event) -> None:
        created = self.current is None or self.current.id != conv.id
        self.current = conv
        if created:
            self.refresh_conversations(select=conv.id)
        self.engine.chat(conv.id, user.id, self._generation_settings(), cancel)
        self._extends_view = self._ends_view(user.parent_id)
        if self._extends_view:  # sending appends; only an edit (a new branch) rebuilds
            self.thread_messages.append(user)
            self.siblings[user.id] = [user.id]
            self.chat_view.append(user)
            self._update_empty_state()
        else:
            self.open_conversation(conv.id)

    def _ends_view(self, parent_id: str | None) -> bool:
        """Whether a message under ``parent_id`` goes at the end of the thread on screen."""
        last = self.thread_messages[-1].id if self.thread_messages else None
        return self.current is not None and parent_id == last

    def _placeholder(self, s: _Stream) -> Message:
        return Message(
            id=s.message_id,
            conversation_id=s.conversation_id,
            parent_id=None,
            role="assistant",
            content=s.text,
            created_at=timestamp_now(),
            model=self.model.info.name if self.model else None,
        )

    def _reply_started(self, conv_id: str, message_id: str) -> None:
        s = self.stream = _Stream(conv_id, message_id)
        if self.current is None or self.current.id != conv_id:
            return
        if self._extends_view:  # a reply to the message just sent: add it below
            placeholder = self._placeholder(s)
            self.thread_messages.append(placeholder)
            self.siblings[message_id] = [message_id]
            self.chat_view.append(placeholder, streaming=True)
            self.chat_view.set_busy(True)
        else:  # a regenerated reply replaces the one shown: the thread changed
            self.open_conversation(conv_id)

    def _piece(self, conv_id: str, message_id: str, text: str) -> None:
        s = self.stream
        if s is None or s.message_id != message_id:
            return
        s.text += text
        self.reply_piece.emit(text)
        if not self._repaint.isActive():
            self._repaint.start()

    def _stream_meta(self, message_id: str, text: str) -> None:
        s = self.stream
        if s is None or s.message_id != message_id or self.current is None:
            return
        if self.current.id == s.conversation_id and (w := self.chat_view.widgets.get(message_id)):
            w.meta.setText(text)

    def _prompt_progress(self, message_id: str, done: int, total: int) -> None:
        """A long prompt (more than one batch) shows how far llama.cpp has read it."""
        if self.model is not None and total > self.model.n_batch:
            self._stream_meta(message_id, f"reading the prompt: {done:,} of {total:,} tokens…")

    def _token_count(self, message_id: str, count: TokenCount) -> None:
        speed = f" · {count.speed:.1f} tok/s" if count.speed is not None else ""
        self._stream_meta(message_id, f"generating… {count.tokens:,} tokens{speed}")
        if self.model is not None and self.stream is not None:
            self.context_meter.setValue(min(count.context, self.context_meter.maximum()))

    def _flush(self) -> None:
        s = self.stream
        if s is not None and self.current is not None and self.current.id == s.conversation_id:
            self.chat_view.update_text(s.message_id, s.text)

    def _reply_finished(self, conv_id: str, message_id: str) -> None:
        self._repaint.stop()
        self.stream = None
        self._set_streaming_ui(False)
        if self._closing:
            return

        def fetch(store: Store) -> Message:
            return store.get_message(message_id)

        self.db.call(fetch, lambda m: self._finished_message(conv_id, m))
        self.refresh_conversations()

    def _finished_message(self, conv_id: str, message: Message) -> None:
        if self.current is not None and self.current.id == conv_id:
            self.thread_messages = [
                message if m.id == message.id else m for m in self.thread_messages
            ]
            if message.id not in {m.id for m in self.thread_messages}:
                self.thread_messages.append(message)
            self.chat_view.finish(message)
            self.chat_view.set_busy(False)
            self._update_context_meter()
        self.reply_done.emit(conv_id, message.id)

    def _reply_failed(self, conv_id: str, message: str) -> None:
        self.show_error(f"The reply failed: {message}")
        if self.stream is None:
            self._set_streaming_ui(False)

    def _set_streaming_ui(self, streaming: bool) -> None:
        self.stop_button.setVisible(streaming)
        self.send_button.setVisible(not streaming)
        self.chat_view.set_busy(streaming)

    def stop(self) -> None:
        """Esc: stop the streaming reply, or else leave editing a message."""
        if self.stream is not None or self.stop_button.isVisible():
            self.engine.cancel()
        elif self.editing is not None:
            self.editing = None
            self.edit_note.hide()
            self.composer.clear()

    def regenerate(self, message_id: str | None) -> None:
        if self.stream is not None or self.model is None or self.current is None:
            if self.model is None:
                self.show_error("No model is loaded: open a GGUF model file first.")
            return
        replies = [m for m in self.thread_messages if m.role == "assistant"]
        target = next((m for m in replies if m.id == message_id), replies[-1] if replies else None)
        if target is None or target.parent_id is None:
            return
        self._set_streaming_ui(True)
        self._extends_view = self._ends_view(target.parent_id)
        cancel = self.engine.new_reply()
        self.engine.chat(self.current.id, target.parent_id, self._generation_settings(), cancel)

    def edit_message(self, message_id: str | None) -> None:
        users = [m for m in self.thread_messages if m.role == "user"]
        target = next((m for m in users if m.id == message_id), users[-1] if users else None)
        if target is None or self.stream is not None:
            return
        self.editing = target
        self.composer.setPlainText(target.content)
        self.composer.setFocus()
        self.edit_note.setText(
            "Editing your message: sending it starts a new branch from here. "
            "Esc or an empty box cancels."
        )
        self.edit_note.show()

    # -- models ---------------------------------------------------------------------------------

    def open_model_dialog(self) -> None:
        start = str(Path(self.settings.last_model).parent) if self.settings.last_model else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a GGUF model", start, "GGUF models (*.gguf);;All files (*)"
        )
        if path:
            self.load_model(Path(path))

    def load_model(self, path: Path) -> None:
        if self.stream is not None:
            self.show_error("Wait for the reply to finish (or stop it) before changing models.")
            return
        self.loading = str(path)
        self.load_bar.setValue(0)
        self.load_bar.show()
        self.cancel_load_button.show()
        self._update_model_status()
        self._update_empty_state()
        self.engine.worker.load_requested.emit(
            str(path), self.settings.load, self.settings.chat_template
        )

    def _load_progress(self, fraction: float) -> None:
        self.load_bar.setValue(int(fraction * 100))

    def _loaded(self, model: LoadedModel) -> None:
        if self._closing:  # queued before the window closed: nothing left to update
            return
        self.model = model
        self.loading = None
        self.load_bar.hide()
        self.cancel_load_button.hide()
        self.settings = self.settings.with_recent_model(str(model.info.path))
        self._save_settings()
        library = self.model_files.library
        path = model.info.path

        def remember(_store: Store) -> None:  # the library lists files opened by hand too
            library.add_file(path)
            library.mark_used(path)

        self.db.call(remember)
        self._update_model_status()
        self._update_context_meter()
        self._update_empty_state()
        self.model_loaded.emit(model)

    def _load_failed(self, path: str, message: str) -> None:
        if self._closing:
            return
        self.loading = None
        self.load_bar.hide()
        self.cancel_load_button.hide()
        self._update_model_status()
        self._update_empty_state()
        if message:
            keep = f" {self.model.info.name} is still loaded." if self.model else ""
            self.show_error(f"Could not load {Path(path).name}: {message}.{keep}")

    def _update_model_status(self) -> None:
        if self.loading:
            self.model_button.setText(f"Loading {Path(self.loading).name}…")
        elif self.model is not None:
            i = self.model.info
            self.model_button.setText(f"{i.name} · {i.parameters_label} · {i.quantization} ▾")
        else:
            self.model_button.setText("No model — choose… ▾")
        if self.model is not None:
            m = self.model
            where = (
                f"{m.backend} · {m.layers_offloaded}/{m.info.n_layer} layers on GPU"
                if m.layers_offloaded
                else "CPU"
            )
            self.backend_label.setText(where)
            self.backend_label.setToolTip(m.describe())
        else:
            self.backend_label.setText("")

    def _update_context_meter(self) -> None:
        n_ctx = self.model.n_ctx if self.model else 0
        used = 0
        for m in reversed(self.thread_messages):
            if m.metrics is not None:
                used = m.metrics.prompt_tokens + m.metrics.completion_tokens
                break
        self.context_meter.setRange(0, max(n_ctx, 1))
        self.context_meter.setValue(min(used, max(n_ctx, 1)))
        self.context_meter.setVisible(n_ctx > 0)

    def _fill_model_menu(self) -> None:
        self._fill_recent(self.model_menu)

    def _fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        for path in self.settings.recent_models:
            action = menu.addAction(Path(path).name, partial(self.load_model, Path(path)))
            action.setToolTip(path)
        if self.settings.recent_models:
            menu.addSeparator()
        menu.addAction("Open a GGUF model file…", self.open_model_dialog)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt's name
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith(".gguf"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt's name
        urls = event.mimeData().urls()
        if urls:
            self.load_model(Path(urls[0].toLocalFile()))

    def _model_services(self) -> ModelServices:
        # never after closeEvent: threads started then would outlive the window
        assert not self._closing, "model services requested after the window closed"
        if self.models is None:
            files, offline = self.model_files, self.settings.offline
            self.models = ModelServices(
                Hub(offline=offline),
                Downloader(files.queue, offline=offline),
                files.library,
                self,
                recommended_models=files.recommended,
            )
            self.models.hub.recommended_listed.connect(self.first_run.show_fits)
            self.models.downloads.progress.connect(self._download_progress)
            self.models.downloads.item_changed.connect(self._download_changed)
        return self.models

    def open_models(self) -> ModelsDialog:
        """The model manager (Ctrl+M): Discover, Downloads, Library. One, shown again."""
        if self.models_dialog is None:
            dialog = ModelsDialog(self._model_services(), n_ctx=self._fit_context(), parent=self)
            dialog.load_requested.connect(lambda p: self.load_model(Path(p)))
            dialog.offline_changed.connect(self._set_offline)
            dialog.recommended_failed.connect(self._recommended_failed)
            dialog.download_cancelled.connect(self._download_cancelled)
            self.models_dialog = dialog
        self.models_dialog.n_ctx = self._fit_context()
        self.models_dialog.show()
        self.models_dialog.raise_()
        self.models_dialog.activateWindow()
        return self.models_dialog

    def _set_offline(self, offline: bool) -> None:
        self.settings = self.settings.updated(offline=offline)
        self._save_settings()

    def _gpu_hint(self) -> None:
        """Once: this machine has a GPU that this llama.cpp build cannot use (the "why is it
        slow" question), with the command that installs a GPU build."""
        from chatapp.selftest import unused_gpu_note

        if self._closing or self.settings.gpu_hint_shown:
            return
        note = unused_gpu_note()
        if note is None:
            return
        self.show_error(note)
        self.settings = self.settings.updated(gpu_hint_shown=True)
        self._save_settings()

    def _resume_downloads(self) -> None:
        """Downloads interrupted by quitting (or a crash) carry on where they stopped."""
        if self._closing:
            return
        if self.model_files.queue.next_queued() is not None and not self.settings.offline:
            self._model_services().downloads.run_requested.emit()

    # -- misc -----------------------------------------------------------------------------------

    def _update_empty_state(self) -> None:
        has_messages = bool(self.chat_view.widgets)
        self.stack.setCurrentWidget(self.chat_view if has_messages else self.empty)
        first_run = self.model is None and not self.loading
        self.first_run.setVisible(first_run)
        self.empty_label.setVisible(not first_run)
        if first_run:
            self._request_fits()
        elif self.loading:
            self.empty_label.setText(
                f"<h2>Loading {escape_plain(Path(self.loading).name)}…</h2>"
                "<p>You can start typing already.</p>"
            )
        else:
            assert self.model is not None
            self.empty_label.setText(
                f"<h2>{escape_plain(self.model.info.name)}</h2>"
                "<p>Type a message below to start.</p>"
            )

    def _fit_context(self) -> int:
        return self.settings.load.n_ctx or 8192

    def _request_fits(self) -> None:
        """Once, when the first-run list is first shown: probe the machine on the hub thread."""
        if not self._fits_requested and not self._closing:
            self._fits_requested = True
            self._model_services().hub.recommended_requested.emit(self._fit_context())

    def _download_recommended(self, model: Recommended) -> None:
        """From the first-run list: queue the file in the model manager (which shows the
        download) and load the model as soon as it has arrived, verified. A second click
        while it is under way only shows it."""
        if model.filename in self._downloaded:  # done already: "Downloaded" loads it
            self.load_model(self._downloaded[model.filename])
            return
        dialog = self.open_models()
        if model.filename in self._autoload:
            dialog.tabs.setCurrentIndex(1)
            return
        self._autoload.add(model.filename)
        dialog.download_recommended(model)

    def _recommended_failed(self, filename: str, message: str) -> None:
        """A first-run download that could not even be queued (offline, no connection, …)."""
        if filename in self._autoload:
            self._autoload.discard(filename)
            self.first_run.set_status(filename, "Try again")
            if not self._closing:
                self.show_error(f"The download could not start: {message}")

    def _download_cancelled(self, _item_id: str) -> None:
        """Cancelled in the manager: a first-run file no longer queued can be asked for again."""
        queued = {i.filename for i in self._model_services().downloader.queue.items()}
        for filename in self._autoload - queued:
            self._autoload.discard(filename)
            self.first_run.set_status(filename, "Download")

    def _download_progress(self, progress: Progress) -> None:
        filename = self._autoload_ids.get(progress.item_id)
        if filename in self._autoload and progress.total:
            self.first_run.set_status(filename, f"{100 * progress.done // progress.total} %")

    def _download_changed(self, item: Item) -> None:
        if item.filename not in self._autoload or self._closing:
            return
        self._autoload_ids[item.id] = item.filename
        if item.state == State.DONE and item.path:
            self._autoload.discard(item.filename)
            self._downloaded[item.filename] = Path(item.path)
            self.first_run.set_status(item.filename, "Downloaded")
            if self.model is None and not self.loading:
                self.load_model(Path(item.path))
        elif item.state == State.FAILED:
            self._autoload.discard(item.filename)
            self.first_run.set_status(item.filename, "Try again")
            self.show_error(f"Downloading {item.filename} failed: {item.error}")
        elif item.state == State.PAUSED and item.error == "cancelled":
            self._autoload.discard(item.filename)
            self.first_run.set_status(item.filename, "Download")
        elif item.state == State.PAUSED:
            self.first_run.set_status(item.filename, "Paused")

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.banner.show()
        self.error_shown.emit(message)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            new = dialog.result_settings()
            theme_changed = (new.theme, new.font_size) != (
                self.settings.theme,
                self.settings.font_size,
            )
            self.settings = new
            self._save_settings()
            if theme_changed:
                apply_theme(new.theme, new.font_size)
                if self.current is not None:
                    self.open_conversation(self.current.id)
            self._update_header()

    def about_text(self) -> str:
        """Help → About: the version, and what this install runs on."""
        from chatapp.core.inference.engine import build_info

        build = build_info()
        offload = "GPU offload supported" if build.gpu_offload else "no GPU offload in this build"
        python = platform.python_version() + (" (bundled)" if bundled() else "")
        data = escape_plain(str(self.db.worker.store.path.parent))
        return (
            f"<h3>chatapp {__version__}</h3><p>Chat with language models on your own computer, "
            "offline. Models run with llama.cpp; conversations stay on this machine.</p>"
            f"<p>llama.cpp: {escape_plain(build.backend)} ({offload})<br>"
            f"Qt {qVersion()}, Python {python}<br>Conversations: {data}</p>"
            "<p>No telemetry: chatapp connects to the internet only to search for or download "
            "the models you ask for.</p>"
        )

    def about(self) -> None:
        QMessageBox.about(self, "About chatapp", self.about_text())

    def _save_settings(self) -> None:
        settings, file = self.settings, self.settings_file
        self.db.call(lambda _store: file.save(settings))

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        """Stop a streaming reply (it is saved as it stops), then close the store cleanly."""
        self._closing = True
        self.engine.stop()
        if self.models is not None:
            self.models.stop()
        self.settings = self.settings.updated(
            window_geometry=bytes(self.saveGeometry().toBase64().data()).decode(),
            splitter_sizes=tuple(self.splitter.sizes()),
            last_conversation=self.current.id if self.current else None,
        )
        self._save_settings()
        self.db.stop()
        event.accept()


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
