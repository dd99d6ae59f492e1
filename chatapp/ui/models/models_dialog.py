"""The model manager: discover on the Hub, watch downloads, keep a library of local models."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.models.downloads import Item, Progress, State
from chatapp.core.models.fit import Fit, recommend
from chatapp.core.models.hub import (
    CuratedMismatch,
    HubFile,
    HubModel,
    Recommended,
    is_unreachable,
    save_token,
)
from chatapp.core.models.modelinfo import file_size_label
from chatapp.ui.models.library_tab import LibraryTab
from chatapp.ui.models.model_workers import ModelServices
from chatapp.ui.models.tables import EmptyNote, button, make_cell, row_data, stretch, table

FILE_COLUMNS = ["File", "Quantization", "Size", "Fit on this machine"]
RECOMMENDED_COLUMNS = ["Model", "Kind", "Size", "Fit on this machine", "About"]
NO_SEARCH_YET = "Search the Hub for GGUF models above, or start with one of the recommended models."


class ModelsDialog(QDialog):
    """Discover / Downloads / Library. Network and disk waits run on ModelServices' threads."""

    load_requested = Signal(str)  # a model path to load in the window
    offline_changed = Signal(bool)
    library_changed = Signal()
    # shown on screen (GUI thread): for tests and accessibility tools
    results_shown = Signal()
    files_shown = Signal()
    fit_shown = Signal(str)
    library_shown = Signal()
    download_finished = Signal(object)  # Item
    download_cancelled = Signal(str)  # item id
    recommended_failed = Signal(str, str)  # file name, why it could not be queued

    def __init__(
        self, services: ModelServices, *, n_ctx: int = 8192, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        self.resize(1120, 660)
        self.services = services
        self.n_ctx = n_ctx
        self.files: list[HubFile] = []
        self.fits: dict[str, Fit] = {}
        self.repo = ""
        self._pending: Recommended | None = None  # to queue once its repository is listed
        self.progress_bars: dict[str, QProgressBar] = {}
        self._states: dict[str, State] = {}  # each download's state, as shown

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("modelsTabs")
        self.tabs.setAccessibleName("Model manager sections")
        self.tabs.addTab(self._discover_tab(), "&Discover")
        self.tabs.addTab(self._downloads_tab(), "Do&wnloads")
        self.library_tab = LibraryTab(services)
        self.library_table = self.library_tab.library_table
        self.refresh_library = self.library_tab.refresh_library
        self.delete_selected = self.library_tab.delete_selected
        self.add_file = self.library_tab.add_file
        self.tabs.addTab(self.library_tab, "&Library")
        self.status = QLabel(self)
        self.status.setObjectName("modelsStatus")
        self.status.setWordWrap(True)
        self.offline = QCheckBox("Work &offline (make no network requests)", self)
        self.offline.setObjectName("offlineSwitch")
        self.offline.setAccessibleName("Work offline")
        self.offline.setChecked(services.hub.hub.offline)
        self.offline.toggled.connect(self._set_offline)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        # shown when the Hub cannot be reached at all: one click to work with what is here
        self.work_offline_button = button("Work offline", "workOfflineButton", "Work offline")
        self.work_offline_button.setToolTip("Use the models on this computer; ask no network")
        self.work_offline_button.clicked.connect(lambda: self.offline.setChecked(True))
        self.work_offline_button.hide()
        bottom.addWidget(self.work_offline_button)
        bottom.addWidget(self.offline)
        layout.addLayout(bottom)

        hub = services.hub
        hub.searched.connect(self._show_results)
        hub.files_listed.connect(self._show_files)
        hub.fit_ready.connect(self._show_fit)
        hub.fit_failed.connect(self._show_no_fit)
        hub.failed.connect(self._failed)
        hub.needs_token.connect(self._ask_token)
        lib = self.library_tab
        lib.load_requested.connect(self.load_requested)
        lib.library_changed.connect(self.library_changed)
        lib.library_shown.connect(self.library_shown)
        lib.status_changed.connect(self._say)
        hub.recommended_listed.connect(self._show_recommended_fits)
        dl = services.downloads
        dl.progress.connect(self._progress)
        dl.item_changed.connect(self._item_changed)
        self.refresh_downloads()
        self.refresh_library()
        self._show_recommended()
        self.search_box.setFocus()

    # -- discover -------------------------------------------------------------------------------

    def _discover_tab(self) -> QWidget:
        page = QWidget()
        top = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setObjectName("hubSearch")
        self.search_box.setAccessibleName("Search the Hub")
        self.search_box.setPlaceholderText("Search GGUF models on Hugging Face, e.g. qwen 7b")
        self.search_box.returnPressed.connect(self.search)
        self.sort = QComboBox()
        self.sort.setObjectName("hubSort")
        self.sort.setAccessibleName("Sort by")
        self.sort.view().setAccessibleName(self.tr("Sort by"))
        for label, key in (
            ("Most downloaded", "downloads"),
            ("Most liked", "likes"),
            ("Recently updated", "last_modified"),
        ):
            self.sort.addItem(label, key)
        go = button("&Search", "hubSearchButton", "Search")
        go.clicked.connect(self.search)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.sort)
        top.addWidget(go)
        self.results = table(
            "hubResults", "Repositories", ["Repository", "Downloads", "Likes", "Updated"]
        )
        self.results.itemSelectionChanged.connect(self._repo_selected)
        self.results_empty = EmptyNote(self.results, NO_SEARCH_YET)
        self.files_table = table("hubFiles", "Files in the repository", FILE_COLUMNS)
        self.files_empty = EmptyNote(self.files_table, "")
        self.files_table.itemSelectionChanged.connect(self._file_selected)
        self.card = QPlainTextEdit()
        self.card.setObjectName("modelCard")
        self.card.setAccessibleName("Model card")
        self.card.setReadOnly(True)
        self.card.setMaximumHeight(120)
        self.download_button = button("&Download selected file", "downloadFile", "Download")
        self.download_button.clicked.connect(self.download_selected)
        self.download_button.setEnabled(False)  # until a file is chosen
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.files_table, 1)
        rv.addWidget(self.card)
        rv.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignRight)
        split = QSplitter()
        split.addWidget(self.results)
        split.addWidget(right)
        split.setSizes([440, 680])
        v = QVBoxLayout(page)
        v.addLayout(top)
        v.addWidget(split, 1)
        return page

    def _show_recommended(self) -> None:
        """Before any search: the curated list, so a first-time user has one click to make."""
        self.results.setRowCount(0)
        self.files_table.setRowCount(0)
        self.files_table.setColumnCount(len(RECOMMENDED_COLUMNS))
        self.files_table.setHorizontalHeaderLabels(RECOMMENDED_COLUMNS)
        self.files_table.setTextElideMode(Qt.TextElideMode.ElideRight)  # sentences: their start
        self.results_empty.setText(NO_SEARCH_YET)
        self.files = []
        self.card.setPlainText(
            "Recommended to start with. Everything runs on this computer; the only thing "
            "chatapp fetches from the internet is the model you choose to download."
        )
        for r in self.services.recommended:
            row = self.files_table.rowCount()
            self.files_table.insertRow(row)
            tip = f"{r.name}\n{r.repo_id} / {r.filename}\n{r.about}"
            self.files_table.setItem(row, 0, make_cell(r.name, r, tip))
            self.files_table.setItem(row, 1, make_cell(r.kind_label, tip=r.kind_tip))
            self.files_table.setItem(row, 2, make_cell(file_size_label(r.size)))
            self.files_table.setItem(row, 3, make_cell("checking…"))
            self.files_table.setItem(row, 4, make_cell(r.about))
        stretch(self.files_table, 4)
        self.services.hub.recommended_requested.emit(self.n_ctx)

    def _show_recommended_fits(self, fits: list[tuple[Recommended, Fit | None]]) -> None:
        if self.repo:  # a repository has replaced the list meanwhile
            return
        for row, (_r, fit) in enumerate(fits[: self.files_table.rowCount()]):
            cell = make_cell(fit.label if fit else "unknown", tip=fit.explanation if fit else "")
            self.files_table.setItem(row, 3, cell)
        stretch(self.files_table, 4)

    def download_recommended(self, model: Recommended) -> None:
        """List the model's repository, then queue its file if the Hub still serves the one the
        list names (its size and SHA-256), to be verified against the list's SHA-256."""
        self.tabs.setCurrentIndex(0)
        self._pending = model
        self.open_repo(model.repo_id)

    def search(self) -> None:
        self.results.setRowCount(0)
        self.results_empty.setText("Searching the Hub…")
        self._say("Searching the Hub…")
        self.services.hub.search_requested.emit(
            self.search_box.text().strip(), self.sort.currentData()
        )

    def _show_results(self, models: list[HubModel]) -> None:
        self.results.setRowCount(0)
        for m in models:
            row = self.results.rowCount()
            self.results.insertRow(row)
            self.results.setItem(row, 0, make_cell(m.repo_id + (" (gated)" if m.gated else ""), m))
            self.results.setItem(row, 1, make_cell(f"{m.downloads:,}"))
            self.results.setItem(row, 2, make_cell(f"{m.likes:,}"))
            self.results.setItem(row, 3, make_cell(m.last_modified[:10]))
        stretch(self.results, 0)
        self.results_empty.setText(
            f"Nothing on the Hub matches “{self.search_box.text().strip()}”: try fewer words."
        )
        self._say(f"{len(models)} repositories" if models else "Nothing found.")
        self.results_shown.emit()

    def _repo_selected(self) -> None:
        rows = self.results.selectionModel().selectedRows()
        if not rows:
            return
        model = row_data(self.results, rows[0].row())
        if not isinstance(model, HubModel):
            return
        self.open_repo(model.repo_id)

    def open_repo(self, repo: str) -> None:
        self.repo = repo
        self.fits = {}
        self.files_table.setRowCount(0)
        self.files_empty.setText(f"Listing the files of {repo}…")
        self.card.setPlainText("")
        self._say(f"Listing {repo}…")
        self.services.hub.files_requested.emit(repo, self.n_ctx)

    def _show_files(self, repo: str, files: list[HubFile], card: str) -> None:
        if repo != self.repo:
            return
        self.files = files
        self.files_table.setRowCount(0)
        self.files_table.setColumnCount(len(FILE_COLUMNS))
        self.files_table.setHorizontalHeaderLabels(FILE_COLUMNS)
        self.files_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names: their quant too
        for f in files:
            row = self.files_table.rowCount()
            self.files_table.insertRow(row)
            parts = f" ({len(f.parts)} parts)" if f.is_split else ""
            self.files_table.setItem(row, 0, make_cell(f.filename + parts, f))
            self.files_table.setItem(row, 1, make_cell(f.quantization))
            self.files_table.setItem(row, 2, make_cell(file_size_label(f.size)))
            self.files_table.setItem(row, 3, make_cell("checking…"))
        stretch(self.files_table, 0)
        self.files_empty.setText(f"{repo} has no GGUF model files.")
        self.card.setPlainText(card or "(no model card)")
        self._say(f"{repo}: {len(files)} GGUF files")
        pending, self._pending = self._pending, None
        listed = next((f for f in files if pending.filename in f.parts), None) if pending else None
        if pending is not None and listed is None:
            self._recommended_failed(pending.filename, f"{repo} no longer has {pending.filename}")
        elif pending is not None and listed is not None:
            try:
                chosen = pending.pinned(listed)
            except CuratedMismatch as exc:
                self._recommended_failed(pending.filename, str(exc))
            else:
                self.services.add(chosen, self._queued)
                self._say(f"Queued {chosen.filename}.")
                self.tabs.setCurrentIndex(1)
        self.files_shown.emit()

    def _recommended_failed(self, filename: str, message: str) -> None:
        self.status.setText(message)
        self.recommended_failed.emit(filename, message)

    def _show_fit(self, repo: str, filename: str, fit: Fit) -> None:
        if repo != self.repo:
            return
        self.fits[filename] = fit
        best = recommend(
            [(f.quantization, self.fits[f.filename]) for f in self.files if f.filename in self.fits]
        )
        for row, f in enumerate(self.files):
            fit_here = self.fits.get(f.filename)
            if fit_here is None:
                continue
            star = "★ recommended · " if best and f.quantization == best else ""
            cell = make_cell(f"{star}{fit_here.label}", tip=fit_here.explanation)
            self.files_table.setItem(row, 3, cell)
        self.fit_shown.emit(filename)

    def _show_no_fit(self, repo: str, filename: str, reason: str) -> None:
        """A file whose header could not be read is listed without a fit, saying why."""
        if repo != self.repo:
            return
        for row, f in enumerate(self.files):
            if f.filename == filename:
                self.files_table.setItem(row, 3, make_cell(reason))
        self.fit_shown.emit(filename)

    def _file_selected(self) -> None:
        rows = self.files_table.selectionModel().selectedRows()
        self.download_button.setEnabled(bool(rows))
        chosen = row_data(self.files_table, rows[0].row()) if rows else None
        if isinstance(chosen, Recommended):  # all of what its row elides
            fit = self.files_table.item(rows[0].row(), 3)
            self.card.setPlainText(
                f"{chosen.name} — {chosen.about}\n{chosen.kind_tip}.\n"
                f"{chosen.repo_id} / {chosen.filename}, {file_size_label(chosen.size)}, "
                f"SHA-256 {chosen.sha256}\n{fit.toolTip() if fit else ''}".strip()
            )

    def download_selected(self) -> None:
        rows = self.files_table.selectionModel().selectedRows()
        if not rows:
            self._say("Choose a file first.")
            return
        data = row_data(self.files_table, rows[0].row())
        if isinstance(data, HubFile):
            self.services.add(data, self._queued)
            self._say(f"Queued {data.filename}.")
            self.tabs.setCurrentIndex(1)
        else:
            self.download_recommended(data)

    def _say(self, message: str, *, unreachable: bool = False) -> None:
        """The status line; where the Hub cannot be reached, with the offline switch beside it."""
        self.status.setText(message)
        self.work_offline_button.setVisible(unreachable and not self.offline.isChecked())

    def _failed(self, message: str, unreachable: bool = False) -> None:
        self._say(message, unreachable=unreachable)
        if self._pending is not None:  # a recommended file whose repository could not be listed
            pending, self._pending = self._pending, None
            self.repo = ""
            self._show_recommended()  # rather than an empty table: the list, to try again
            self._recommended_failed(pending.filename, message)

    def _ask_token(self, message: str) -> None:
        token, ok = QInputDialog.getText(
            self,
            "Access token needed",
            f"{message}.\nPaste a Hugging Face access token (it is kept by huggingface_hub, "
            "not in chatapp's settings):",
            QLineEdit.EchoMode.Password,
        )
        if ok and token.strip():
            self.services.hub.hub.token = token.strip()
            self.services.downloader.token = token.strip()
            self.services.on_disk(lambda: save_token(token), self._token_saved)
        else:
            self._say(message)
            if self._pending is not None:  # no token, so the recommended file cannot be queued
                pending, self._pending = self._pending, None
                self._recommended_failed(pending.filename, message)

    def _token_saved(self, result: object) -> None:
        if isinstance(result, Exception):
            self._say(f"The token could not be saved: {result}")
        if self.repo:
            self.open_repo(self.repo)

    def _queued(self, result: object) -> None:
        if isinstance(result, Exception):
            self._say(f"The download could not be queued: {result}")
        self.refresh_downloads()

    def _set_offline(self, offline: bool) -> None:
        self.services.hub.hub.offline_switch = offline
        self.services.downloader.offline = offline
        self.offline_changed.emit(offline)
        self._say(
            "Working offline: no network requests; the Library's models work as ever."
            if offline
            else "Online: the Hub can be searched."
        )

    # -- downloads ------------------------------------------------------------------------------

    def _downloads_tab(self) -> QWidget:
        page = QWidget()
        self.downloads = table("downloadsTable", "Downloads", ["File", "State", "Progress"])
        self.downloads.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.downloads_empty = EmptyNote(
            self.downloads,
            "No downloads yet — choose a model in Discover and press Download.",
        )
        self.downloads.itemSelectionChanged.connect(self._download_buttons)
        row = QHBoxLayout()
        self.pause_button = button("&Pause", "pauseDownload", "Pause the download")
        self.resume_button = button("&Resume", "resumeDownload", "Resume the download")
        self.cancel_button = button("&Cancel", "cancelDownload", "Cancel the download")
        self.pause_button.clicked.connect(lambda: self._on_selected_download("pause"))
        self.resume_button.clicked.connect(lambda: self._on_selected_download("resume"))
        self.cancel_button.clicked.connect(lambda: self._on_selected_download("cancel"))
        for b in (self.pause_button, self.resume_button, self.cancel_button):
            b.setEnabled(False)  # until a download they apply to is chosen
            row.addWidget(b)
        row.addStretch(1)
        v = QVBoxLayout(page)
        v.addWidget(self.downloads, 1)
        v.addLayout(row)
        return page

    def refresh_downloads(self) -> None:
        items = self.services.downloader.queue.items()
        chosen = self._chosen_download()
        self.downloads.setRowCount(0)
        self.progress_bars = {}
        self._states = {item.id: item.state for item in items}
        for item in items:
            row = self.downloads.rowCount()
            self.downloads.insertRow(row)
            self.downloads.setItem(row, 0, make_cell(f"{item.repo_id} / {item.filename}", item.id))
            state = item.state.value + (f": {item.error}" if item.error else "")
            self.downloads.setItem(row, 1, make_cell(state, tip=item.error or state))
            bar = QProgressBar()
            bar.setObjectName("downloadProgress")
            bar.setAccessibleName(f"Progress of {item.filename}")
            bar.setRange(0, 1000)
            bar.setValue(1000 if item.state == State.DONE else 0)
            bar.setFormat("done" if item.state == State.DONE else "%p%")
            self.downloads.setCellWidget(row, 2, bar)
            self.progress_bars[item.id] = bar
            if item.id == chosen or (chosen is None and len(items) == 1):
                self.downloads.selectRow(row)  # what was chosen stays chosen, or the only one
        self._download_buttons()

    def _chosen_download(self) -> str | None:
        rows = self.downloads.selectionModel().selectedRows()
        item_id = row_data(self.downloads, rows[0].row()) if rows else None
        return item_id if isinstance(item_id, str) else None

    def _download_buttons(self) -> None:
        """Each button is enabled only where the chosen download is in a state it changes."""
        item_id = self._chosen_download()
        state = self._states.get(item_id) if item_id is not None else None
        self.pause_button.setEnabled(state == State.DOWNLOADING)  # a queued one starts anew
        self.resume_button.setEnabled(state in (State.PAUSED, State.FAILED))
        self.cancel_button.setEnabled(state is not None and state != State.DONE)

    def _progress(self, p: Progress) -> None:
        bar = self.progress_bars.get(p.item_id)
        if bar is None:
            self.refresh_downloads()
            bar = self.progress_bars.get(p.item_id)
        if bar is not None and p.total:
            bar.setValue(int(1000 * p.done / p.total))
            bar.setFormat(p.describe().strip())

    def _item_changed(self, item: Item) -> None:
        self.refresh_downloads()
        if item.state == State.DONE:
            self._say(f"Downloaded and verified {item.filename}.")
            self.refresh_library()
            self.library_changed.emit()
        elif item.state == State.FAILED:
            self._say(f"{item.filename}: {item.error}", unreachable=is_unreachable(item.error))
        if item.state in (State.DONE, State.FAILED, State.PAUSED):
            self.download_finished.emit(item)

    def _on_selected_download(self, action: str) -> None:
        item_id = self._chosen_download()
        if item_id is None:
            return
        if action == "pause":
            self.services.downloader.pause(item_id)
            self.refresh_downloads()
        elif action == "resume":
            self.services.resume(item_id, self._queued)
        else:
            self.services.cancel(item_id, lambda _r: self._cancelled(item_id))

    def _cancelled(self, item_id: str) -> None:
        self.refresh_downloads()
        self.download_cancelled.emit(item_id)
