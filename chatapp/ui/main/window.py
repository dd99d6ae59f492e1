"""The main window: the assembly of the sidebar, the chat panel and the model status bar around
one ``WindowState``; menus, geometry, models and settings, and closing."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
)

from chatapp.core.chat.prompts import PromptError, PromptLibrary, export_prompts
from chatapp.core.chat.service import ChatService
from chatapp.core.config.appsettings import AppSettings, SettingsFile, SettingsSaveError
from chatapp.core.docs.index import DocIndexError
from chatapp.core.docs.service import DocsService
from chatapp.core.inference.engine import Engine, LoadedModel
from chatapp.core.models.downloads import Downloader
from chatapp.core.models.hub import Hub
from chatapp.core.storage.atomic import write_text_atomic
from chatapp.core.storage.store import RECOVERY_HINT, Conversation, Message, Store
from chatapp.ui.i18n import translate
from chatapp.ui.main.about import about_html
from chatapp.ui.main.api_server import ApiServerControl, ApiServerDialog
from chatapp.ui.main.chat_panel import ChatPanel
from chatapp.ui.main.docs_worker import DocsClient
from chatapp.ui.main.documents_dialog import DocumentsDialog
from chatapp.ui.main.export import ask_and_export, ask_and_import
from chatapp.ui.main.first_run import EmptyState
from chatapp.ui.main.focus import install_focus_ring
from chatapp.ui.main.menus import build_menus
from chatapp.ui.main.prompts_dialog import PromptsDialog
from chatapp.ui.main.servers import RemoteModel, ServersClient
from chatapp.ui.main.servers_dialog import ServersDialog
from chatapp.ui.main.settings_dialog import SettingsDialog
from chatapp.ui.main.shortcuts_dialog import ShortcutsDialog
from chatapp.ui.main.sidebar import Sidebar
from chatapp.ui.main.state import Stream, WindowState
from chatapp.ui.main.status_bar import ModelStatusBar
from chatapp.ui.main.template_notice import TemplateNotice
from chatapp.ui.main.theme import apply_theme
from chatapp.ui.main.versions_tree import VersionsTree
from chatapp.ui.main.workers import EngineClient, StoreClient
from chatapp.ui.models.model_workers import ModelFiles, ModelServices
from chatapp.ui.models.models_dialog import ModelsDialog

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Everything the user sees. All disk and model work goes through the workers."""

    model_loaded = Signal(object)  # for tests and the status bar
    conversations_listed = Signal()
    conversation_shown = Signal(str)
    reply_done = Signal(str, str)  # conversation id, message id
    reply_piece = Signal(str)  # the text piece, received on the GUI thread
    search_done = Signal()
    error_shown = Signal(str)
    exported = Signal(str)  # what the status bar says an export did
    imported = Signal(str)  # what an import did (or why it did nothing)
    new_action: QAction  # set by build_menus
    offline_action: QAction
    recent_menu: QMenu

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
        docs: DocsService | None = None,
        prompts: PromptLibrary | None = None,
    ) -> None:
        """``model_files``: the library, download queue and recommended list, read from disk
        before the event loop starts (by default from the store's folder, here); ``docs``: the
        documents index (by default ``docs.sqlite3`` in the store's folder, opened here)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("chatapp")
        self.setAcceptDrops(True)
        self.model_files = model_files or ModelFiles.open(store.path.parent)
        self.state = WindowState(settings, self)
        self.settings_file = settings_file
        self.db = StoreClient(store, self)
        # what the window last said about settings not being saved: said once, not per change
        self._unsaved: str | None = settings_file.unsavable
        # Its methods run on the store thread, inside db.call; the defaults are read then.
        self.chats = ChatService(
            store, lambda: self.state.settings.generation, states=engine.states
        )
        docs_problem = None
        if docs is None:
            try:
                docs = DocsService.open_dir(store.path.parent)
            except DocIndexError as exc:
                docs_problem = translate("Window", "Documents are not available: {error}").format(
                    error=exc
                )
        self.docs = docs
        self.docs_client = DocsClient(docs, self) if docs is not None else None
        self.documents_dialog: DocumentsDialog | None = None
        # read before the event loop, like the model files; written on the store thread
        self.prompts = prompts or PromptLibrary.open_dir(settings_file.path.parent)
        self.prompts_dialog: PromptsDialog | None = None
        self.engine = EngineClient(engine, store, self, docs=docs)
        # other programs' requests to the loaded model (Settings → Local API server)
        self.api_server = ApiServerControl(
            engine, lambda: self.state.settings.generation, store.path.parent, self
        )
        w = self.engine.worker
        w.loaded.connect(self._loaded)
        w.load_failed.connect(self._load_failed)
        w.template_changed.connect(self._template_changed)
        w.remote_changed.connect(self._remote_changed)
        w.remote_failed.connect(self._remote_failed)
        # the servers of backends.json (beside settings.json) and their models, for the menu
        self.servers = ServersClient(settings_file.path.parent, self)
        self._closing = False
        self.models: ModelServices | None = None
        self.models_dialog: ModelsDialog | None = None
        self.servers_dialog: ServersDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None

        self._build()
        build_menus(self)
        self._restore_geometry()
        self.sidebar.refresh(select=settings.last_conversation)
        self.db.error.connect(self._store_failed)
        if settings_problem:
            self.show_error(settings_problem)
        if docs_problem:
            self.show_error(docs_problem)
        if store.read_only:
            self.show_error(
                translate(
                    "Window",
                    "Read-only: {reason}. You can read, search and export your "
                    "conversations; nothing new can be saved.",
                ).format(reason=store.read_only_reason)
            )
        else:  # the integrity check started when the store opened; its verdict comes here
            self.db.call(lambda s: s.verify(), self._store_checked)
        model = initial_model or (Path(settings.last_model) if settings.last_model else None)
        if model is not None:
            self.state.loading = str(model)  # from the first frame: "Loading…", not first-run
            QTimer.singleShot(0, lambda: self.load_model(model))
        self.chat_panel.update_stack()
        install_focus_ring()  # whichever widget has the focus shows it
        self.composer.setFocus()
        QTimer.singleShot(0, self._resume_downloads)
        QTimer.singleShot(0, self._gpu_hint)
        QTimer.singleShot(0, self.refresh_servers)

    def _compare_choices(self) -> list[tuple[str, Path | RemoteModel]]:
        """Who else can answer in Compare: the recent local models but the one loaded, then
        every server's models as last listed (from memory: nothing is read here)."""
        loaded = self.state.model
        here = os.path.abspath(loaded.info.path) if loaded is not None else None
        out: list[tuple[str, Path | RemoteModel]] = [
            (
                translate("Window", "{model} (this computer)").format(
                    model=self.status.recent_label(p)
                ),
                Path(p),
            )
            for p in self.state.settings.recent_models
            if os.path.abspath(p) != here
        ]
        listing = self.servers.listing
        for answer in listing.servers if listing is not None else ():
            for model in answer.models:
                choice = RemoteModel(answer.server, model)
                if choice != self.state.remote:
                    out.append((choice.label, choice))
        return out

    # -- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        state = self.state
        self.sidebar = Sidebar(state, self.db, self.chats, self)
        self.empty = EmptyState(
            state,
            self.model_files.recommended,
            services=self._model_services,
            open_models=self.open_models,
            fit_context=self._fit_context,
            parent=self,
        )
        self.chat_panel = ChatPanel(
            state, self.db, self.chats, self.engine, self.empty, self, docs=self.docs_client
        )
        library = self.model_files.library
        self.status = ModelStatusBar(
            state, self.statusBar(), lambda path: library.cached_info(os.path.abspath(path))
        )
        self.chat_panel.compare_choices = self._compare_choices
        self.splitter = QSplitter(self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.chat_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 760])
        self.setCentralWidget(self.splitter)
        self.versions = VersionsTree(state, self.db, self)
        self.versions_dock = QDockWidget(translate("Window", "Versions"), self)
        self.versions_dock.setObjectName("versionsDock")
        self.versions_dock.setWidget(self.versions)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.versions_dock)
        self.versions_dock.hide()
        self.versions.branch_chosen.connect(self.chat_panel.show_version)

        # between the parts: requests go up here, or straight across
        side, chat, empty, status = self.sidebar, self.chat_panel, self.empty, self.status
        side.open_requested.connect(chat.open_conversation)
        side.new_chat_requested.connect(chat.new_chat)
        side.error.connect(chat.show_error)
        side.listed.connect(self.conversations_listed)
        side.search_done.connect(self.search_done)
        side.export_folder_requested.connect(self.export_folder)
        chat.conversations_stale.connect(side.refresh)
        chat.conversation_updated.connect(side.conversation_updated)
        chat.conversation_shown.connect(self.conversation_shown)
        chat.reply_done.connect(self.reply_done)
        chat.reply_piece.connect(self.reply_piece)
        chat.error_shown.connect(self.error_shown)
        chat.documents_requested.connect(self.open_documents)
        empty.error.connect(chat.show_error)
        empty.load_requested.connect(self.load_model)
        empty.first_run.open_requested.connect(self.open_model_dialog)
        empty.first_run.browse_requested.connect(self.open_models)
        status.load_requested.connect(self.load_model)
        status.open_requested.connect(self.open_model_dialog)
        status.cancel_load_requested.connect(self.engine.worker.cancel_load.set)
        status.remote_requested.connect(self.use_remote)
        status.servers_wanted.connect(self.refresh_servers)
        status.context_filling.connect(chat.notice.show_error)
        self.servers.changed.connect(
            lambda: status.show_servers(self.servers.listing, self.servers.asking)
        )
        self.engine.worker.load_progress.connect(status.show_load_progress)
        self.engine.worker.token_count.connect(status.show_token_count)

        # the widgets tests and accessibility tools reach by name
        self.new_button, self.search_box = side.new_button, side.search_box
        self.conv_list, self.results = side.conv_list, side.results
        self.banner, self.error_label, self.header = chat.banner, chat.error_label, chat.header
        self.chat_view, self.stack, self.composer = chat.chat_view, chat.stack, chat.composer
        self.send_button, self.stop_button = chat.send_button, chat.stop_button
        self.edit_note = chat.edit_note
        self.notice = chat.notice
        self.template_notice = TemplateNotice(chat.notice, self.db.call, chat.show_error, self)
        self.template_notice.template_chosen.connect(self.engine.worker.template_requested)
        self.empty_label, self.first_run = empty.label, empty.first_run
        self.open_button, self.get_button = (
            empty.first_run.open_button,
            empty.first_run.browse_button,
        )
        self.model_button, self.model_menu = status.model_button, status.model_menu
        self.backend_label, self.context_meter = status.backend_label, status.context_meter
        self.load_bar, self.cancel_load_button = status.load_bar, status.cancel_load_button

    def _restore_geometry(self) -> None:
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        else:  # 1100x760, or less on a small screen: never larger than the screen's free area
            screen = self.screen().availableGeometry()
            self.resize(min(1100, screen.width()), min(760, screen.height()))
        if self.settings.splitter_sizes:
            self.splitter.setSizes(list(self.settings.splitter_sizes))

    # -- the state, as tests and tools read it ---------------------------------------------------

    @property
    def settings(self) -> AppSettings:
        return self.state.settings

    @settings.setter
    def settings(self, value: AppSettings) -> None:
        self.state.settings = value

    @property
    def model(self) -> LoadedModel | None:
        return self.state.model

    @property
    def loading(self) -> str | None:
        return self.state.loading

    @property
    def current(self) -> Conversation | None:
        return self.state.current

    @property
    def conversations(self) -> list[Conversation]:
        return self.state.conversations

    @property
    def thread_messages(self) -> list[Message]:
        return self.state.thread_messages

    @property
    def siblings(self) -> dict[str, list[str]]:
        return self.state.versions

    @property
    def stream(self) -> Stream | None:
        return self.state.stream

    @property
    def editing(self) -> Message | None:
        return self.state.editing

    @property
    def conversation_dialog(self) -> SettingsDialog | None:
        return self.chat_panel.conversation_dialog

    # what the parts do, as the menus, tests and benchmarks ask for it
    def refresh_conversations(self, select: str | None = None) -> None:
        self.sidebar.refresh(select)

    def open_conversation(self, conv_id: str, focus_message: str | None = None) -> None:
        self.chat_panel.open_conversation(conv_id, focus_message)

    def new_chat(self) -> None:
        self.chat_panel.new_chat()

    def send(self, text: str) -> None:
        self.chat_panel.send(text)

    def stop(self) -> None:
        self.chat_panel.stop()

    def regenerate(self, message_id: str | None) -> None:
        self.chat_panel.regenerate(message_id)

    def edit_message(self, message_id: str | None) -> None:
        self.chat_panel.edit_message(message_id)

    def edit_system_prompt(self) -> None:
        self.chat_panel.edit_system_prompt()

    def show_error(self, message: str) -> None:
        self.chat_panel.show_error(message)

    # -- models ---------------------------------------------------------------------------------

    def open_model_dialog(self) -> None:
        start = str(Path(self.settings.last_model).parent) if self.settings.last_model else ""
        path, _ = QFileDialog.getOpenFileName(
            self,
            translate("Window", "Open a GGUF model"),
            start,
            translate("Window", "GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.load_model(Path(path))

    def load_model(self, path: Path) -> None:
        if self.state.stream is not None:
            self.show_error(
                translate(
                    "Window", "Wait for the reply to finish (or stop it) before changing models."
                )
            )
            return
        model = self.state.model
        if self.state.remote is not None and model is not None and model.info.path == path:
            # back to the local model, still loaded: no need to read it again
            self.engine.worker.remote_requested.emit(None, "", self.settings.offline)
            return
        self.state.loading = str(path)
        self.engine.worker.load_requested.emit(
            str(path), self.settings.load, self.settings.chat_template
        )

    def _loaded(self, model: LoadedModel) -> None:
        if self._closing:  # queued before the window closed: nothing left to update
            return
        self.settings = self.settings.with_recent_model(str(model.info.path))
        self._save_settings()
        library, path = self.model_files.library, model.info.path

        def remember(_store: Store) -> None:  # the library lists files opened by hand too
            library.add_file(path)
            library.mark_used(path)

        self.db.call(remember)
        self.state.model = model
        self.state.loading = None
        self.template_notice.loaded(model)
        self.model_loaded.emit(model)

    # -- the servers' models --------------------------------------------------------------------

    def refresh_servers(self) -> None:
        """Ask the servers for their models again (on the "servers" thread); the menu shows them."""
        if not self._closing:
            self.servers.refresh(self.settings.offline)

    def use_remote(self, choice: RemoteModel) -> None:
        """Chat with a server's model; choosing a local model again switches back."""
        if self.chat_panel.busy:  # a reply streams, or was asked for
            self.show_error(
                translate(
                    "Window", "Wait for the reply to finish (or stop it) before changing models."
                )
            )
            return
        self.engine.worker.remote_requested.emit(choice.server, choice.model, self.settings.offline)

    def _remote_changed(self, remote: RemoteModel | None) -> None:
        if not self._closing:
            self.state.remote = remote

    def _remote_failed(self, message: str) -> None:
        if not self._closing:
            self.show_error(
                translate("Window", "Cannot use the server's model: {error}.").format(error=message)
            )

    def _template_changed(self, model: LoadedModel) -> None:
        """The chat template chosen in the notice's menu is in effect."""
        if self._closing:
            return
        self.state.model = model
        self.template_notice.changed(model)

    def _load_failed(self, path: str, message: str) -> None:
        if self._closing:
            return
        self.state.loading = None
        if message:
            model = self.state.model
            keep = (
                translate("Window", " {model} is still loaded.").format(model=model.info.name)
                if model
                else ""
            )
            self.show_error(
                translate("Window", "Could not load {name}: {error}.{keep}").format(
                    name=Path(path).name, error=message, keep=keep
                )
            )

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
                embedding_model=self.settings.embedding_model,
            )
            self.empty.watch(self.models)
        return self.models

    def open_models(self) -> ModelsDialog:
        """The model manager (Ctrl+M): Discover, Downloads, Library. One, shown again."""
        if self.models_dialog is None:
            dialog = ModelsDialog(self._model_services(), n_ctx=self._fit_context(), parent=self)
            dialog.load_requested.connect(lambda p: self.load_model(Path(p)))
            dialog.offline_changed.connect(self._set_offline)
            self.empty.watch_dialog(dialog)
            self.models_dialog = dialog
            self.state.model_changed.connect(self._show_running)
            self.state.settings_changed.connect(self._show_running)
        self._show_running()
        self.models_dialog.n_ctx = self._fit_context()
        self._model_services().hub.embedding_model = self.settings.embedding_model
        self.models_dialog.show()
        self.models_dialog.raise_()
        self.models_dialog.activateWindow()
        return self.models_dialog

    def _show_running(self) -> None:
        """The Library marks the loaded model and the context each model runs with."""
        if self.models_dialog is None:
            return
        model = self.state.model
        loaded = (
            (str(model.info.path), model.n_ctx, model.template_source)
            if model is not None
            else None
        )
        self.models_dialog.library_tab.set_running(
            self.settings.load, loaded, self.settings.chat_template
        )

    def _fit_context(self) -> int:
        return self.settings.load.n_ctx or 8192

    def _set_offline(self, offline: bool) -> None:
        """File > Work offline, or the model manager's switch: both show it, the Hub client and
        the downloader obey it, and it is saved."""
        if self.offline_action.isChecked() != offline:
            self.offline_action.setChecked(offline)
        if self.models is not None:
            self.models.hub.hub.offline_switch = offline
            self.models.downloader.offline = offline
        if self.models_dialog is not None and self.models_dialog.offline.isChecked() != offline:
            self.models_dialog.offline.setChecked(offline)
        if self.settings.offline != offline:
            self.settings = self.settings.updated(offline=offline)
            self._save_settings()
            self.engine.worker.offline_requested.emit(offline)
            self.refresh_servers()  # blocked, or asked again

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

    # -- settings, about, closing ---------------------------------------------------------------

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
            if self.engine.worker.engine.states is not None:  # the next save evicts to fit
                self.engine.worker.engine.states.cap_bytes = new.reopen_cache_bytes
            if theme_changed:
                apply_theme(new.theme, new.font_size)
                if self.current is not None:
                    self.open_conversation(self.current.id)

    def open_api_server(self) -> None:
        def save_changed(on: bool) -> None:
            self.settings = self.settings.updated(api_save_conversations=on)
            self._save_settings()

        ApiServerDialog(
            self.api_server,
            self,
            save=self.settings.api_save_conversations,
            on_save_changed=save_changed,
        ).exec()

    def open_documents(self) -> DocumentsDialog | None:
        """Settings → Documents…: the collections, their files, indexing and its progress."""
        if self.docs_client is None:
            self.show_error(
                translate(
                    "Window", "Documents are not available (the documents index cannot be opened)."
                )
            )
            return None
        if self.documents_dialog is None:
            self.documents_dialog = DocumentsDialog(
                self.state, self.docs_client, default_model=self._embedding_model(), parent=self
            )
            self.documents_dialog.embedding_model_chosen.connect(self._remember_embedding_model)
        self.docs_client.refresh()
        self.documents_dialog.show()
        self.documents_dialog.raise_()
        return self.documents_dialog

    def _embedding_model(self) -> str:
        """The embedding model new collections get: the one last chosen (or "")."""
        return self.settings.embedding_model

    def _remember_embedding_model(self, path: str) -> None:
        self.settings = self.settings.updated(embedding_model=path)
        self._save_settings()

    def open_prompts(self) -> PromptsDialog:
        """Chat → Prompt library…: saved system prompts and few-shot sets."""
        if self.prompts_dialog is None:
            dialog = self.prompts_dialog = PromptsDialog(lambda: self.prompts.prompts, self)
            dialog.use_requested.connect(self.chat_panel.use_prompt)
            dialog.save_requested.connect(
                lambda p: self._prompts_job(lambda lib: lib.put(p), p.name)
            )
            dialog.remove_requested.connect(
                lambda name: self._prompts_job(lambda lib: lib.remove(name), None)
            )
            dialog.import_requested.connect(
                lambda path: self._prompts_job(
                    lambda lib: lib.import_text(Path(path).read_text(encoding="utf-8")), None
                )
            )
            dialog.export_requested.connect(
                lambda path: self._prompts_job(
                    lambda lib: write_text_atomic(Path(path), export_prompts(lib.prompts)), None
                )
            )
        if self.prompts.problem:
            self.prompts_dialog.show_problem(self.prompts.problem)
        self.prompts_dialog.show()
        self.prompts_dialog.raise_()
        return self.prompts_dialog

    def _prompts_job(self, change: Callable[[PromptLibrary], object], select: str | None) -> None:
        """Change the prompt library (and its file) on the store thread, then show it."""
        library = self.prompts

        def job(_store: Store) -> str | None:
            try:
                change(library)
            except PromptError as exc:
                return str(exc)
            except (OSError, UnicodeDecodeError) as exc:
                return translate("Window", "cannot read or write the file: {error}").format(
                    error=exc
                )
            return None

        def done(problem: str | None) -> None:
            dialog = self.prompts_dialog
            if dialog is None:
                return
            dialog.refresh(select)
            if problem:
                dialog.show_problem(problem)

        self.db.call(job, done)

    def open_servers(self) -> ServersDialog:
        """Settings → Servers…: add and remove the servers whose models the model menu lists."""
        if self.servers_dialog is None:
            self.servers_dialog = ServersDialog(self.servers, self)
        self.refresh_servers()
        self.servers_dialog.show()
        self.servers_dialog.raise_()
        return self.servers_dialog

    def about_text(self) -> str:
        """Help → About: the version, and what this install runs on."""
        return about_html(self.db.worker.store.path.parent)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help → Keyboard shortcuts… (F1): read from the menus each time it opens."""
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.close()
        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.show()
        return self.shortcuts_dialog

    def about(self) -> None:
        QMessageBox.about(self, translate("Window", "About chatapp"), self.about_text())

    def _save_settings(self) -> None:
        """Save on the store thread; a failure is said once in the window, and it keeps working."""
        settings, file = self.settings, self.settings_file

        def save(_store: Store) -> str | None:
            try:
                file.save(settings)
            except SettingsSaveError as exc:
                return str(exc)
            return None

        self.db.call(save, self._settings_saved)

    def _settings_saved(self, problem: str | None) -> None:
        if problem is not None and problem != self._unsaved and not self._closing:
            self.show_error(f"{problem[:1].upper()}{problem[1:]}.")
        self._unsaved = problem

    def _store_failed(self, message: str) -> None:
        if RECOVERY_HINT in message:  # damage met while reading or writing
            self._store_checked(message)
        elif not self._closing:
            self.show_error(f"{message[:1].upper()}{message[1:]}")

    def _store_checked(self, damage: str | None) -> None:
        if damage and not self._closing:
            self.chat_panel.banner.show_error(
                f"{damage[:1].upper()}{damage[1:]}.",
                (
                    translate("Window", "Save what can be read…"),
                    lambda: ask_and_export(self, salvage=True),
                ),
            )

    def export(self) -> None:
        """File > Export all conversations…: JSON, Markdown, HTML or PDF."""
        ask_and_export(self)

    def export_current(self) -> None:
        """File > Export conversation…: the one on screen."""
        if self.current is None:
            self.show_error(
                translate(
                    "Window",
                    "Open a conversation first: File → Export all conversations… exports "
                    "every one.",
                )
            )
            return
        ask_and_export(self, conversation=self.current)

    def export_folder(self, folder_id: str) -> None:
        """A folder's chats (its subfolders' too), in any export format."""
        below = {folder_id}
        changed = True
        while changed:
            more = {f.id for f in self.sidebar.folders if f.parent_id in below}
            changed = not more <= below
            below |= more
        ids = [c.id for c in self.state.conversations if c.folder_id in below]
        if not ids:
            self.show_error(translate("Window", "This folder holds no conversations to export."))
            return
        name = next((f.name for f in self.sidebar.folders if f.id == folder_id), "folder")
        ask_and_export(self, ids=ids, folder=name)

    def import_file(self) -> None:
        """File → Import…: chatapp, ChatGPT, Claude, Open WebUI or LM Studio exports."""
        ask_and_import(self)

    def import_done(self, message: str) -> None:
        if message.startswith("Nothing was imported"):
            self.show_error(message)
        else:
            self.statusBar().showMessage(message, 30_000)
            self.sidebar.refresh()
        self.imported.emit(message)

    def export_done(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        self.exported.emit(message)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        """Stop a streaming reply (it is saved as it stops), then close the store cleanly."""
        self._closing = self.chat_panel.closing = self.empty.closing = True
        self.api_server.stop()  # its requests are cancelled; the engine waits for the last token
        self.engine.stop()
        if self.docs_client is not None:
            self.docs_client.stop()  # the file being embedded is dropped; the rest is kept
        if self.docs is not None:
            self.docs.close()
        self.servers.stop()
        if self.models is not None:
            self.models.stop()
        self.settings = self.settings.updated(
            window_geometry=bytes(self.saveGeometry().toBase64().data()).decode(),
            splitter_sizes=tuple(self.splitter.sizes()),
            last_conversation=self.current.id if self.current else None,
        )
        self._save_settings()
        self.sidebar.flush_deletes()  # what Undo still held is deleted now, before the store stops
        self.db.stop()
        event.accept()
