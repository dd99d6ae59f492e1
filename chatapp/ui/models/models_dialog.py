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
from chatapp.ui.i18n import (
    QT_TRANSLATE_NOOP,
    describe_progress,
    file_size_label,
    format_number,
    translate,
)
from chatapp.ui.models.catalogue_text import about, fit_label, kind_label, kind_tip
from chatapp.ui.models.library_tab import LibraryTab
from chatapp.ui.models.model_workers import ModelServices
from chatapp.ui.models.tables import EmptyNote, button, make_cell, row_data, stretch, table

FILE_COLUMNS = [
    QT_TRANSLATE_NOOP("ModelsDialog", "File"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Quantization"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Size"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Fit on this machine"),
]
RECOMMENDED_COLUMNS = [
    QT_TRANSLATE_NOOP("ModelsDialog", "Model"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Kind"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Size"),
    QT_TRANSLATE_NOOP("ModelsDialog", "Fit on this machine"),
    QT_TRANSLATE_NOOP("ModelsDialog", "About"),
]
NO_SEARCH_YET = QT_TRANSLATE_NOOP(
    "ModelsDialog",
    "Search the Hub for GGUF models above, or start with one of the recommended models.",
)
# a download's state (core's State values), as the Downloads table shows it
STATES = {
    State.QUEUED: QT_TRANSLATE_NOOP("ModelsDialog", "queued"),
    State.DOWNLOADING: QT_TRANSLATE_NOOP("ModelsDialog", "downloading"),
    State.PAUSED: QT_TRANSLATE_NOOP("ModelsDialog", "paused"),
    State.FAILED: QT_TRANSLATE_NOOP("ModelsDialog", "failed"),
    State.DONE: QT_TRANSLATE_NOOP("ModelsDialog", "done"),
}


def _headers(columns: list[str]) -> list[str]:
    return [translate("ModelsDialog", c) for c in columns]


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
        self.setWindowTitle(translate("ModelsDialog", "Models"))
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
        self.tabs.setAccessibleName(translate("ModelsDialog", "Model manager sections"))
        self.tabs.addTab(self._discover_tab(), translate("ModelsDialog", "&Discover"))
        self.tabs.addTab(self._downloads_tab(), translate("ModelsDialog", "Do&wnloads"))
        self.library_tab = LibraryTab(services)
        self.library_table = self.library_tab.library_table
        self.refresh_library = self.library_tab.refresh_library
        self.delete_selected = self.library_tab.delete_selected
        self.add_file = self.library_tab.add_file
        self.tabs.addTab(self.library_tab, translate("ModelsDialog", "&Library"))
        for i, tip in enumerate(
            (
                translate("ModelsDialog", "Search the Hugging Face Hub and download models"),
                translate("ModelsDialog", "The downloads under way, paused or done"),
                translate(
                    "ModelsDialog", "The models on this computer: load, inspect or delete them"
                ),
            )
        ):
            self.tabs.setTabToolTip(i, tip)
        self.status = QLabel(self)
        self.status.setObjectName("modelsStatus")
        self.status.setWordWrap(True)
        self.offline = QCheckBox(
            translate("ModelsDialog", "Work &offline (make no network requests)"), self
        )
        self.offline.setObjectName("offlineSwitch")
        self.offline.setAccessibleName(translate("ModelsDialog", "Work offline"))
        self.offline.setToolTip(
            translate("ModelsDialog", "Stop searching and downloading; local models still work")
        )
        self.offline.setChecked(services.hub.hub.offline)
        self.offline.toggled.connect(self._set_offline)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        # shown when the Hub cannot be reached at all: one click to work with what is here
        self.work_offline_button = button(
            translate("ModelsDialog", "Work offline"),
            "workOfflineButton",
            translate("ModelsDialog", "Work offline"),
        )
        self.work_offline_button.setToolTip(
            translate("ModelsDialog", "Use the models on this computer; ask no network")
        )
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
        self.search_box.setAccessibleName(translate("ModelsDialog", "Search the Hub"))
        self.search_box.setPlaceholderText(
            translate("ModelsDialog", "Search GGUF models on Hugging Face, e.g. qwen 7b")
        )
        self.search_box.returnPressed.connect(self.search)
        self.sort = QComboBox()
        self.sort.setObjectName("hubSort")
        self.sort.setAccessibleName(translate("ModelsDialog", "Sort by"))
        self.sort.setToolTip(translate("ModelsDialog", "The order of the search results"))
        self.sort.view().setAccessibleName(translate("ModelsDialog", "Sort by"))
        for label, key in (
            (translate("ModelsDialog", "Most downloaded"), "downloads"),
            (translate("ModelsDialog", "Most liked"), "likes"),
            (translate("ModelsDialog", "Recently updated"), "last_modified"),
        ):
            self.sort.addItem(label, key)
        go = button(
            translate("ModelsDialog", "&Search"),
            "hubSearchButton",
            translate("ModelsDialog", "Search"),
            translate("ModelsDialog", "Search the Hub for models whose name has these words"),
        )
        go.clicked.connect(self.search)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.sort)
        top.addWidget(go)
        self.results = table(
            "hubResults",
            translate("ModelsDialog", "Repositories"),
            [
                translate("ModelsDialog", "Repository"),
                translate("ModelsDialog", "Downloads"),
                translate("ModelsDialog", "Likes"),
                translate("ModelsDialog", "Updated"),
            ],
        )
        self.results.itemSelectionChanged.connect(self._repo_selected)
        self.results_empty = EmptyNote(self.results, translate("ModelsDialog", NO_SEARCH_YET))
        self.files_table = table(
            "hubFiles",
            translate("ModelsDialog", "Files in the repository"),
            _headers(FILE_COLUMNS),
        )
        self.files_empty = EmptyNote(self.files_table, "")
        self.files_table.itemSelectionChanged.connect(self._file_selected)
        self.card = QPlainTextEdit()
        self.card.setObjectName("modelCard")
        self.card.setAccessibleName(translate("ModelsDialog", "Model card"))
        self.card.setAccessibleDescription(
            translate("ModelsDialog", "The chosen repository's description, from its author")
        )
        self.card.setReadOnly(True)
        self.card.setMaximumHeight(120)
        self.download_button = button(
            translate("ModelsDialog", "&Download selected file"),
            "downloadFile",
            translate("ModelsDialog", "Download"),
            translate("ModelsDialog", "Download the chosen file into the models folder"),
        )
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
        self.files_table.setHorizontalHeaderLabels(_headers(RECOMMENDED_COLUMNS))
        self.files_table.setTextElideMode(Qt.TextElideMode.ElideRight)  # sentences: their start
        self.results_empty.setText(translate("ModelsDialog", NO_SEARCH_YET))
        self.files = []
        self.card.setPlainText(
            translate(
                "ModelsDialog",
                "Recommended to start with. Everything runs on this computer; the only thing "
                "chatapp fetches from the internet is the model you choose to download.",
            )
        )
        for r in self.services.recommended:
            row = self.files_table.rowCount()
            self.files_table.insertRow(row)
            tip = f"{r.name}\n{r.repo_id} / {r.filename}\n{about(r)}"
            self.files_table.setItem(row, 0, make_cell(r.name, r, tip))
            self.files_table.setItem(row, 1, make_cell(kind_label(r), tip=kind_tip(r)))
            self.files_table.setItem(row, 2, make_cell(file_size_label(r.size)))
            self.files_table.setItem(row, 3, make_cell(translate("ModelsDialog", "checking…")))
            self.files_table.setItem(row, 4, make_cell(about(r)))
        stretch(self.files_table, 4)
        self.services.hub.recommended_requested.emit(self.n_ctx)

    def _show_recommended_fits(self, fits: list[tuple[Recommended, Fit | None]]) -> None:
        if self.repo:  # a repository has replaced the list meanwhile
            return
        for row, (_r, fit) in enumerate(fits[: self.files_table.rowCount()]):
            cell = make_cell(
                fit_label(fit) if fit else translate("ModelsDialog", "unknown"),
                tip=fit.explanation if fit else "",
            )
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
        self.results_empty.setText(translate("ModelsDialog", "Searching the Hub…"))
        self._say(translate("ModelsDialog", "Searching the Hub…"))
        self.services.hub.search_requested.emit(
            self.search_box.text().strip(), self.sort.currentData()
        )

    def _show_results(self, models: list[HubModel]) -> None:
        self.results.setRowCount(0)
        for m in models:
            row = self.results.rowCount()
            self.results.insertRow(row)
            gated = translate("ModelsDialog", " (gated)") if m.gated else ""
            self.results.setItem(row, 0, make_cell(m.repo_id + gated, m))
            self.results.setItem(row, 1, make_cell(format_number(m.downloads)))
            self.results.setItem(row, 2, make_cell(format_number(m.likes)))
            self.results.setItem(row, 3, make_cell(m.last_modified[:10]))
        stretch(self.results, 0)
        self.results_empty.setText(
            translate(
                "ModelsDialog", "Nothing on the Hub matches “{words}”: try fewer words."
            ).format(words=self.search_box.text().strip())
        )
        count = len(models)
        self._say(
            translate("ModelsDialog", "%n repositories", None, count)
            if models
            else translate("ModelsDialog", "Nothing found.")
        )
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
        self.files_empty.setText(
            translate("ModelsDialog", "Listing the files of {repo}…").format(repo=repo)
        )
        self.card.setPlainText("")
        self._say(translate("ModelsDialog", "Listing {repo}…").format(repo=repo))
        self.services.hub.files_requested.emit(repo, self.n_ctx)

    def _show_files(self, repo: str, files: list[HubFile], card: str) -> None:
        if repo != self.repo:
            return
        self.files = files
        self.files_table.setRowCount(0)
        self.files_table.setColumnCount(len(FILE_COLUMNS))
        self.files_table.setHorizontalHeaderLabels(_headers(FILE_COLUMNS))
        self.files_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # names: their quant too
        for f in files:
            row = self.files_table.rowCount()
            self.files_table.insertRow(row)
            count = len(f.parts)
            parts = translate("ModelsDialog", " (%n parts)", None, count) if f.is_split else ""
            self.files_table.setItem(row, 0, make_cell(f.filename + parts, f))
            self.files_table.setItem(row, 1, make_cell(f.quantization))
            self.files_table.setItem(row, 2, make_cell(file_size_label(f.size)))
            self.files_table.setItem(row, 3, make_cell(translate("ModelsDialog", "checking…")))
        stretch(self.files_table, 0)
        self.files_empty.setText(
            translate("ModelsDialog", "{repo} has no GGUF model files.").format(repo=repo)
        )
        self.card.setPlainText(card or translate("ModelsDialog", "(no model card)"))
        count = len(files)
        self._say(
            translate("ModelsDialog", "{repo}: %n GGUF file(s)", None, count).format(repo=repo)
        )
        pending, self._pending = self._pending, None
        listed = next((f for f in files if pending.filename in f.parts), None) if pending else None
        if pending is not None and listed is None:
            self._recommended_failed(
                pending.filename,
                translate("ModelsDialog", "{repo} no longer has {name}").format(
                    repo=repo, name=pending.filename
                ),
            )
        elif pending is not None and listed is not None:
            try:
                chosen = pending.pinned(listed)
            except CuratedMismatch as exc:
                self._recommended_failed(pending.filename, str(exc))
            else:
                self.services.add(chosen, self._queued)
                self._say(translate("ModelsDialog", "Queued {name}.").format(name=chosen.filename))
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
            star = (
                translate("ModelsDialog", "★ recommended · ")
                if best and f.quantization == best
                else ""
            )
            cell = make_cell(f"{star}{fit_label(fit_here)}", tip=fit_here.explanation)
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
                f"{chosen.name} — {about(chosen)}\n{kind_tip(chosen)}.\n"
                f"{chosen.repo_id} / {chosen.filename}, {file_size_label(chosen.size)}, "
                f"SHA-256 {chosen.sha256}\n{fit.toolTip() if fit else ''}".strip()
            )

    def download_selected(self) -> None:
        rows = self.files_table.selectionModel().selectedRows()
        if not rows:
            self._say(translate("ModelsDialog", "Choose a file first."))
            return
        data = row_data(self.files_table, rows[0].row())
        if isinstance(data, HubFile):
            self.services.add(data, self._queued)
            self._say(translate("ModelsDialog", "Queued {name}.").format(name=data.filename))
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
            translate("ModelsDialog", "Access token needed"),
            translate(
                "ModelsDialog",
                "{message}.\nPaste a Hugging Face access token (it is kept by huggingface_hub, "
                "not in chatapp's settings):",
            ).format(message=message),
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
            self._say(
                translate("ModelsDialog", "The token could not be saved: {error}").format(
                    error=result
                )
            )
        if self.repo:
            self.open_repo(self.repo)

    def _queued(self, result: object) -> None:
        if isinstance(result, Exception):
            self._say(
                translate("ModelsDialog", "The download could not be queued: {error}").format(
                    error=result
                )
            )
        self.refresh_downloads()

    def _set_offline(self, offline: bool) -> None:
        self.services.hub.hub.offline_switch = offline
        self.services.downloader.offline = offline
        self.offline_changed.emit(offline)
        self._say(
            translate(
                "ModelsDialog",
                "Working offline: no network requests; the Library's models work as ever.",
            )
            if offline
            else translate("ModelsDialog", "Online: the Hub can be searched.")
        )

    # -- downloads ------------------------------------------------------------------------------

    def _downloads_tab(self) -> QWidget:
        page = QWidget()
        self.downloads = table(
            "downloadsTable",
            translate("ModelsDialog", "Downloads"),
            [
                translate("ModelsDialog", "File"),
                translate("ModelsDialog", "State"),
                translate("ModelsDialog", "Progress"),
            ],
        )
        self.downloads.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.downloads_empty = EmptyNote(
            self.downloads,
            translate(
                "ModelsDialog", "No downloads yet — choose a model in Discover and press Download."
            ),
        )
        self.downloads.itemSelectionChanged.connect(self._download_buttons)
        row = QHBoxLayout()
        self.pause_button = button(
            translate("ModelsDialog", "&Pause"),
            "pauseDownload",
            translate("ModelsDialog", "Pause the download"),
            translate("ModelsDialog", "Pause the chosen download; Resume goes on where it stopped"),
        )
        self.resume_button = button(
            translate("ModelsDialog", "&Resume"),
            "resumeDownload",
            translate("ModelsDialog", "Resume the download"),
            translate("ModelsDialog", "Go on with the chosen download from where it stopped"),
        )
        self.cancel_button = button(
            translate("ModelsDialog", "&Cancel"),
            "cancelDownload",
            translate("ModelsDialog", "Cancel the download"),
            translate("ModelsDialog", "Stop the chosen download and delete what it fetched"),
        )
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
            state = translate("ModelsDialog", STATES.get(item.state, item.state.value))
            state += f": {item.error}" if item.error else ""
            self.downloads.setItem(row, 1, make_cell(state, tip=item.error or state))
            bar = QProgressBar()
            bar.setObjectName("downloadProgress")
            bar.setAccessibleName(
                translate("ModelsDialog", "Progress of {name}").format(name=item.filename)
            )
            bar.setRange(0, 1000)
            bar.setValue(1000 if item.state == State.DONE else 0)
            bar.setFormat(translate("ModelsDialog", "done") if item.state == State.DONE else "%p%")
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
            bar.setFormat(describe_progress(p))

    def _item_changed(self, item: Item) -> None:
        self.refresh_downloads()
        if item.state == State.DONE:
            self._say(
                translate("ModelsDialog", "Downloaded and verified {name}.").format(
                    name=item.filename
                )
            )
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
