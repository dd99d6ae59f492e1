"""What the window shows while no model is loaded: a model to start with, or a file one has.

The recommended models come with what they are for, their download size and how they would fit
this machine, estimated from the shape shipped with the list (nothing is fetched to show it). Only
the ones to chat with are offered here: the embedding model (for documents) is in the model
manager's list. One click on Download queues the file in the model manager; the window loads it
when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.models.downloads import Item, Progress, State
from chatapp.core.models.fit import Fit, Verdict
from chatapp.core.models.hub import Recommended
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, file_size_label, translate
from chatapp.ui.main.render import escape_plain
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import named
from chatapp.ui.models.catalogue_text import about, fit_label, kind_label, kind_tip
from chatapp.ui.models.model_workers import ModelServices
from chatapp.ui.models.models_dialog import ModelsDialog

PRIVACY = QT_TRANSLATE_NOOP(
    "FirstRun",
    "Everything runs on this computer: nothing you type leaves it, and the only thing chatapp "
    "fetches from the internet is the model you choose to download.",
)
COLUMNS = [
    QT_TRANSLATE_NOOP("FirstRun", "Model"),
    QT_TRANSLATE_NOOP("FirstRun", "Kind"),
    QT_TRANSLATE_NOOP("FirstRun", "Download size"),
    QT_TRANSLATE_NOOP("FirstRun", "On this computer"),
    "",
]
# what a download's button says (set_status), by what the window passes
DOWNLOAD = QT_TRANSLATE_NOOP("FirstRun", "Download")
TRY_AGAIN = QT_TRANSLATE_NOOP("FirstRun", "Try again")


class FirstRunPanel(QWidget):
    """The recommended models to chat with (kind, size, fit, Download) and "I already have a
    GGUF file"."""

    download_requested = Signal(object)  # Recommended
    open_requested = Signal()
    browse_requested = Signal()

    def __init__(self, models: list[Recommended], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        self.models = [m for m in models if m.can_chat]  # an embedding model cannot start a chat
        self.rows = {m.filename: row for row, m in enumerate(self.models)}
        self.heading = QLabel(translate("FirstRun", "<h2>Choose a model to start</h2>"), self)
        self.heading.setObjectName("firstRunHeading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.privacy = QLabel(translate("FirstRun", PRIVACY), self)
        self.privacy.setObjectName("privacyNote")
        self.privacy.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.privacy.setWordWrap(True)

        self.table = QTableWidget(len(self.models), len(COLUMNS), self)
        self.table.setObjectName("recommendedModels")
        self.table.setAccessibleName(translate("FirstRun", "Recommended models"))
        self.table.setHorizontalHeaderLabels([translate("FirstRun", c) for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # as tall as its rows: the whole list is seen at once, without a scroll bar
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.buttons: dict[str, QPushButton] = {}
        for row, model in enumerate(self.models):
            name = QTableWidgetItem(f"{model.name}\n{about(model)}")
            name.setToolTip(f"{model.repo_id} / {model.filename}")
            self.table.setItem(row, 0, name)
            kind = QTableWidgetItem(kind_label(model))
            kind.setToolTip(kind_tip(model))
            self.table.setItem(row, 1, kind)
            self.table.setItem(row, 2, QTableWidgetItem(file_size_label(model.size)))
            self.table.setItem(row, 3, QTableWidgetItem(translate("FirstRun", "checking…")))
            cell = QWidget(self.table)
            button = QPushButton(translate("FirstRun", DOWNLOAD), cell)
            button.setObjectName(f"download-{model.filename}")
            button.setAccessibleName(
                translate("FirstRun", "Download {name}").format(name=model.name)
            )
            button.clicked.connect(lambda _c=False, m=model: self._download(m))
            box = QHBoxLayout(cell)
            box.setContentsMargins(6, 2, 6, 2)
            box.addWidget(button, 0, Qt.AlignmentFlag.AlignCenter)
            self.table.setCellWidget(row, 4, cell)
            # a screen reader reads the cell, not the button in it
            spoken = QTableWidgetItem()
            spoken.setData(Qt.ItemDataRole.AccessibleTextRole, button.accessibleName())
            self.table.setItem(row, 4, spoken)
            self.buttons[model.filename] = button

        self.open_button = QPushButton(translate("FirstRun", "I already have a GGUF file…"), self)
        self.open_button.setObjectName("openModel")
        self.open_button.setAccessibleName(translate("FirstRun", "Open a model file"))
        self.open_button.setToolTip(
            translate("FirstRun", "Choose a .gguf model file on this computer and load it")
        )
        self.open_button.clicked.connect(self.open_requested)
        self.browse_button = QPushButton(translate("FirstRun", "Search more models…"), self)
        self.browse_button.setObjectName("getModel")
        self.browse_button.setAccessibleName(
            translate("FirstRun", "Search models on the Hugging Face Hub")
        )
        self.browse_button.setToolTip(
            translate("FirstRun", "Open the Models window to find and download more models")
        )
        self.browse_button.clicked.connect(self.browse_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.browse_button)
        buttons.addStretch(1)
        hint = QLabel(translate("FirstRun", "You can also drop a .gguf file on this window."), self)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.addStretch(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.privacy)
        layout.addSpacing(8)
        layout.addWidget(self.table)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        layout.addStretch(2)

    def _download(self, model: Recommended) -> None:
        if self.buttons[model.filename].text() in (
            translate("FirstRun", DOWNLOAD),
            translate("FirstRun", TRY_AGAIN),
        ):
            self.set_status(model.filename, translate("FirstRun", "Queued…"))
        self.download_requested.emit(model)  # under way: the window shows the download

    def show_fits(self, fits: list[tuple[Recommended, Fit | None]]) -> None:
        """Fill in how each model would run here (the numbers behind it in the tooltip)."""
        for model, fit in fits:
            row = self.rows.get(model.filename)
            if row is None:  # not offered here
                continue
            if fit is None:  # the machine could not be probed
                self.table.setItem(row, 3, QTableWidgetItem(translate("FirstRun", "unknown")))
                continue
            item = QTableWidgetItem(
                translate("FirstRun", "{fit} · needs {size}").format(
                    fit=fit_label(fit), size=file_size_label(fit.total_bytes)
                )
            )
            item.setToolTip(fit.explanation)
            self.table.setItem(row, 3, item)
            if fit.verdict == Verdict.TOO_LARGE:
                self.buttons[model.filename].setToolTip(
                    translate("FirstRun", "Too large for this computer's memory")
                )

    def set_status(self, filename: str, text: str) -> None:
        """Show a download's state on its button ("Queued…", "42 %", "Try again"). The button
        stays clickable: under way, a click shows the download in the model manager."""
        button = self.buttons.get(filename)
        if button is not None:
            button.setText(text)


class EmptyState(QWidget):
    """A conversation with no messages yet: "Loading…", the model's name, or, with no model,
    the first-run list, whose downloads load the model as soon as it has arrived, verified."""

    load_requested = Signal(object)  # Path
    error = Signal(str)

    def __init__(
        self,
        state: WindowState,
        recommended: list[Recommended],
        *,
        services: Callable[[], ModelServices],
        open_models: Callable[[], ModelsDialog],
        fit_context: Callable[[], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("emptyState")
        self.state = state
        self._services = services
        self._open_models = open_models
        self._fit_context = fit_context
        self.closing = False  # set by the window as it closes: start nothing more
        self._fits_requested = False
        self._autoload: set[str] = set()  # recommended files to load once downloaded
        self._autoload_ids: dict[str, str] = {}  # their download ids -> file names
        self._downloaded: dict[str, Path] = {}  # and where those that arrived are
        ev = QVBoxLayout(self)
        ev.addStretch(1)
        self.label = named(QLabel(self), "emptyLabel", translate("FirstRun", "Getting started"))
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.first_run = FirstRunPanel(recommended, self)
        self.first_run.download_requested.connect(self._download_recommended)
        ev.addWidget(self.label)
        ev.addWidget(self.first_run, 6)
        ev.addStretch(1)
        state.model_changed.connect(self.update_state)

    def update_state(self) -> None:
        model, loading = self.state.model, self.state.loading
        remote = self.state.remote
        first_run = model is None and remote is None and not loading
        self.first_run.setVisible(first_run)
        self.label.setVisible(not first_run)
        if first_run:
            self._request_fits()
        elif loading:
            self.label.setText(
                translate(
                    "FirstRun", "<h2>Loading {name}…</h2><p>You can start typing already.</p>"
                ).format(name=escape_plain(Path(loading).name))
            )
        elif remote is not None:
            self.label.setText(
                translate(
                    "FirstRun",
                    "<h2>{model}</h2><p>On the server {server}. Type a message below to start.</p>",
                ).format(model=escape_plain(remote.model), server=escape_plain(remote.server.name))
            )
        elif model is not None:
            self.label.setText(
                translate(
                    "FirstRun", "<h2>{model}</h2><p>Type a message below to start.</p>"
                ).format(model=escape_plain(model.info.name))
            )

    def _request_fits(self) -> None:
        """Once, when the first-run list is first shown: probe the machine on the hub thread."""
        if not self._fits_requested and not self.closing:
            self._fits_requested = True
            self._services().hub.recommended_requested.emit(self._fit_context())

    def watch(self, services: ModelServices) -> None:
        """Follow the model manager's downloads (once its threads exist)."""
        services.hub.recommended_listed.connect(self.first_run.show_fits)
        services.downloads.progress.connect(self._download_progress)
        services.downloads.item_changed.connect(self._download_changed)

    def watch_dialog(self, dialog: ModelsDialog) -> None:
        dialog.recommended_failed.connect(self._recommended_failed)
        dialog.download_cancelled.connect(self._download_cancelled)

    def _download_recommended(self, model: Recommended) -> None:
        """From the first-run list: queue the file in the model manager (which shows the
        download) and load the model as soon as it has arrived, verified. A second click
        while it is under way only shows it."""
        if model.filename in self._downloaded:  # done already: "Downloaded" loads it
            self.load_requested.emit(self._downloaded[model.filename])
            return
        dialog = self._open_models()
        if model.filename in self._autoload:
            dialog.tabs.setCurrentIndex(1)
            return
        self._autoload.add(model.filename)
        dialog.download_recommended(model)

    def _recommended_failed(self, filename: str, message: str) -> None:
        """A first-run download that could not even be queued (offline, no connection, …)."""
        if filename in self._autoload:
            self._autoload.discard(filename)
            self.first_run.set_status(filename, translate("FirstRun", TRY_AGAIN))
            if not self.closing:
                self.error.emit(
                    translate("FirstRun", "The download could not start: {error}").format(
                        error=message
                    )
                )

    def _download_cancelled(self, _item_id: str) -> None:
        """Cancelled in the manager: a first-run file no longer queued can be asked for again."""
        queued = {i.filename for i in self._services().downloader.queue.items()}
        for filename in self._autoload - queued:
            self._autoload.discard(filename)
            self.first_run.set_status(filename, translate("FirstRun", DOWNLOAD))

    def _download_progress(self, progress: Progress) -> None:
        filename = self._autoload_ids.get(progress.item_id)
        if filename in self._autoload and progress.total:
            self.first_run.set_status(filename, f"{100 * progress.done // progress.total} %")

    def _download_changed(self, item: Item) -> None:
        if item.filename not in self._autoload or self.closing:
            return
        self._autoload_ids[item.id] = item.filename
        if item.state == State.DONE and item.path:
            self._autoload.discard(item.filename)
            self._downloaded[item.filename] = Path(item.path)
            self.first_run.set_status(item.filename, translate("FirstRun", "Downloaded"))
            if not self.state.has_model and not self.state.loading:
                self.load_requested.emit(Path(item.path))
        elif item.state == State.FAILED:
            self._autoload.discard(item.filename)
            self.first_run.set_status(item.filename, translate("FirstRun", TRY_AGAIN))
            self.error.emit(
                translate("FirstRun", "Downloading {name} failed: {error}").format(
                    name=item.filename, error=item.error
                )
            )
        elif item.state == State.PAUSED and item.error == "cancelled":
            self._autoload.discard(item.filename)
            self.first_run.set_status(item.filename, translate("FirstRun", DOWNLOAD))
        elif item.state == State.PAUSED:
            self.first_run.set_status(item.filename, translate("FirstRun", "Paused"))
