"""Settings → Documents…: the document collections, their folders and files, their embedding
model, indexing progress with pause, and what was skipped and why.

Everything here asks the documents worker (``DocsClient``) and shows what ``WindowState``
says; the dialog itself touches no disk.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.docs.index import Collection
from chatapp.ui.i18n import translate
from chatapp.ui.main.docs_bar import status_text
from chatapp.ui.main.docs_worker import DocsClient
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import named

DOCUMENT_FILTER = translate(
    "DocumentsDialog",
    "Documents (*.txt *.md *.markdown *.rst *.html *.htm *.pdf *.docx *.py *.js *.ts *.c *.h "
    "*.cpp *.rs *.go *.java *.json *.csv *.yaml *.yml *.toml);;All files (*)",
)


class DocumentsDialog(QDialog):
    embedding_model_chosen = Signal(str)  # remembered as the default for new collections

    def __init__(
        self,
        state: WindowState,
        docs: DocsClient,
        *,
        default_model: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.docs = docs
        self.default_model = default_model
        self.setObjectName("documentsDialog")
        self.setWindowTitle(translate("DocumentsDialog", "Documents"))
        self.resize(760, 520)
        outer = QVBoxLayout(self)
        intro = QLabel(
            translate(
                "DocumentsDialog",
                "A collection is a set of folders and files a chat can answer from. They are "
                "indexed on this computer; folders are watched while chatapp runs.",
            ),
            self,
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        body = QHBoxLayout()
        outer.addLayout(body, 1)
        left = QVBoxLayout()
        self.list = named(
            QListWidget(self), "collectionsList", translate("DocumentsDialog", "Collections")
        )
        self.list.currentRowChanged.connect(lambda _r: self._show_details())
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.new_button = named(
            QPushButton(translate("DocumentsDialog", "New…"), self),
            "newCollection",
            translate("DocumentsDialog", "New collection"),
            translate("DocumentsDialog", "Create a new collection of documents to ask about"),
        )
        self.new_button.clicked.connect(self._ask_new)
        self.remove_button = named(
            QPushButton(translate("DocumentsDialog", "Remove"), self),
            "removeCollection",
            translate("DocumentsDialog", "Remove the collection"),
            translate(
                "DocumentsDialog",
                "Remove the chosen collection and its index, after asking; your files stay",
            ),
        )
        self.remove_button.clicked.connect(self._ask_remove)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.remove_button)
        left.addLayout(buttons)
        body.addLayout(left, 1)

        right = QVBoxLayout()
        form = QFormLayout()
        self.name_label = named(
            QLabel(self), "collectionName", translate("DocumentsDialog", "Collection name")
        )
        self.model_label = named(
            QLabel(self), "collectionModel", translate("DocumentsDialog", "Embedding model")
        )
        self.model_label.setWordWrap(True)
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.counts_label = named(
            QLabel(self), "collectionCounts", translate("DocumentsDialog", "Files and passages")
        )
        form.addRow(translate("DocumentsDialog", "Name:"), self.name_label)
        form.addRow(translate("DocumentsDialog", "Embedding model:"), self.model_label)
        form.addRow(translate("DocumentsDialog", "Indexed:"), self.counts_label)
        right.addLayout(form)
        self.roots = named(
            QListWidget(self), "collectionRoots", translate("DocumentsDialog", "Folders and files")
        )
        right.addWidget(QLabel(translate("DocumentsDialog", "Folders and files:"), self))
        right.addWidget(self.roots, 1)
        row = QHBoxLayout()
        self.add_folder_button = named(
            QPushButton(translate("DocumentsDialog", "Add folder…"), self),
            "addFolder",
            translate("DocumentsDialog", "Add a folder to the collection"),
            translate("DocumentsDialog", "Add every document in a folder, and keep watching it"),
        )
        self.add_folder_button.clicked.connect(self._ask_folder)
        self.add_files_button = named(
            QPushButton(translate("DocumentsDialog", "Add files…"), self),
            "addFiles",
            translate("DocumentsDialog", "Add files to the collection"),
            translate("DocumentsDialog", "Add some document files to the chosen collection"),
        )
        self.add_files_button.clicked.connect(self._ask_files)
        self.model_button = named(
            QPushButton(translate("DocumentsDialog", "Change model…"), self),
            "changeModel",
            translate("DocumentsDialog", "Change the embedding model"),
            translate(
                "DocumentsDialog", "Choose another embedding model; the collection is indexed again"
            ),
        )
        self.model_button.clicked.connect(self._ask_model)
        self.reindex_button = named(
            QPushButton(translate("DocumentsDialog", "Reindex"), self),
            "reindex",
            translate("DocumentsDialog", "Bring the collection up to date"),
            translate(
                "DocumentsDialog", "Index again the files that changed, were added or were removed"
            ),
        )
        self.reindex_button.clicked.connect(self._reindex)
        for b in (self.add_folder_button, self.add_files_button, self.model_button):
            row.addWidget(b)
        row.addWidget(self.reindex_button)
        right.addLayout(row)
        progress_row = QHBoxLayout()
        self.progress = named(
            QProgressBar(self), "indexProgress", translate("DocumentsDialog", "Indexing progress")
        )
        self.progress.setRange(0, 1000)
        self.pause_button = named(
            QPushButton(translate("DocumentsDialog", "Pause"), self),
            "pauseIndexing",
            translate("DocumentsDialog", "Pause indexing"),
            translate("DocumentsDialog", "Pause reading the documents; press again to resume"),
        )
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.pause_button)
        right.addLayout(progress_row)
        self.status_label = named(
            QLabel(self), "indexStatus", translate("DocumentsDialog", "Indexing status")
        )
        self.status_label.setWordWrap(True)
        right.addWidget(self.status_label)
        right.addWidget(QLabel(translate("DocumentsDialog", "Skipped files:"), self))
        self.skipped = named(
            QListWidget(self),
            "skippedFiles",
            translate("DocumentsDialog", "Files that were skipped"),
        )
        right.addWidget(self.skipped, 1)
        body.addLayout(right, 2)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        outer.addWidget(close)
        docs.worker.device.connect(self._device_known)  # after DocsClient's own slot
        state.documents_changed.connect(self.refresh)
        self.refresh()

    def _device_known(self, _model: str, _device: str) -> None:
        self._show_details()

    # -- showing -----------------------------------------------------------------------------

    def selected(self) -> Collection | None:
        item = self.list.currentItem()
        if item is None:
            return None
        name = item.data(Qt.ItemDataRole.UserRole)
        return next((c for c in self.state.collections if c.name == name), None)

    def refresh(self) -> None:
        current = self.selected()
        keep = current.name if current is not None else None
        self.list.blockSignals(True)
        self.list.clear()
        for c in self.state.collections:
            count = c.files
            files = translate("DocumentsDialog", "%n file(s)", None, count)
            item = QListWidgetItem(f"{c.name}  ({files})", self.list)
            item.setData(Qt.ItemDataRole.UserRole, c.name)
            if c.name == keep:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self.list.blockSignals(False)
        self._show_details()

    def _show_details(self) -> None:
        c = self.selected()
        for w in (
            self.add_folder_button,
            self.add_files_button,
            self.model_button,
            self.reindex_button,
            self.remove_button,
        ):
            w.setEnabled(c is not None)
        self.roots.clear()
        self.skipped.clear()
        if c is None:
            self.name_label.setText("—")
            self.model_label.setText("—")
            self.counts_label.setText("—")
        else:
            self.name_label.setText(c.name)
            device = self.docs.devices.get(c.model)
            self.model_label.setText(
                Path(c.model).name
                + (
                    translate("DocumentsDialog", " · runs on {device}").format(device=device)
                    if device
                    else ""
                )
            )
            self.model_label.setToolTip(c.model)
            files, chunks = c.files, c.chunks
            self.counts_label.setText(
                translate("DocumentsDialog", "%n file(s)", None, files)
                + translate("DocumentsDialog", ", %n passage(s)", None, chunks)
            )
            self.roots.addItems(c.roots)
            for path, reason in c.skipped:
                self.skipped.addItem(f"{Path(path).name} — {reason}")
                self.skipped.item(self.skipped.count() - 1).setToolTip(path)
        status = self.state.index_status
        p = status.progress if status is not None else None
        if p is not None and p.bytes_total:
            self.progress.setValue(int(1000 * p.bytes_done / p.bytes_total))
        elif status is None or p is None:
            self.progress.setValue(0 if status is not None and status.paused else 1000)
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(status is not None and status.paused)
        self.pause_button.setText(
            translate("DocumentsDialog", "Resume")
            if self.pause_button.isChecked()
            else translate("DocumentsDialog", "Pause")
        )
        self.pause_button.blockSignals(False)
        self.status_label.setText(
            status_text(self.state) or translate("DocumentsDialog", "Up to date.")
        )

    # -- asking ------------------------------------------------------------------------------

    def _ask_new(self) -> None:
        name, ok = QInputDialog.getText(
            self,
            translate("DocumentsDialog", "New collection"),
            translate("DocumentsDialog", "Name of the collection:"),
        )
        if not ok or not name.strip():
            return
        if any(c.name == name.strip() for c in self.state.collections):
            QMessageBox.information(
                self,
                translate("DocumentsDialog", "Documents"),
                translate("DocumentsDialog", "There is a collection “{name}” already.").format(
                    name=name
                ),
            )
            return
        model = self.default_model
        if not model:
            model, _ = QFileDialog.getOpenFileName(
                self,
                translate("DocumentsDialog", "Choose an embedding model"),
                "",
                translate("DocumentsDialog", "GGUF models (*.gguf)"),
            )
            if not model:
                return
        folder = QFileDialog.getExistingDirectory(
            self, translate("DocumentsDialog", "A folder for {name}").format(name=name.strip())
        )
        if not folder:
            return
        self.new_collection(name.strip(), model, [Path(folder)])

    def new_collection(self, name: str, model: str, paths: list[Path]) -> None:
        """A new collection of ``paths``, embedded with ``model``."""
        self.embedding_model_chosen.emit(model)
        self.default_model = model
        self.docs.add(name, paths, Path(model))

    def add_paths(self, paths: list[Path]) -> None:
        c = self.selected()
        if c is not None and paths:
            self.docs.add(c.name, paths)

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder")
        if folder:
            self.add_paths([Path(folder)])

    def _ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files", "", DOCUMENT_FILTER)
        self.add_paths([Path(f) for f in files])

    def _ask_model(self) -> None:
        c = self.selected()
        if c is None:
            return
        model, _ = QFileDialog.getOpenFileName(
            self,
            translate("DocumentsDialog", "Choose an embedding model"),
            str(Path(c.model).parent),
            translate("DocumentsDialog", "GGUF models (*.gguf)"),
        )
        if model:
            self.change_model(model, confirm=True)

    def change_model(self, model: str, *, confirm: bool = False) -> None:
        c = self.selected()
        if c is None or model == c.model:
            return
        if confirm:
            chunks = c.chunks
            answer = QMessageBox.question(
                self,
                translate("DocumentsDialog", "Change the embedding model"),
                translate(
                    "DocumentsDialog",
                    "Every file of {name} (%n passage(s)) will be embedded again with "
                    "{model}. This can take a while; searching it waits until then.",
                    None,
                    chunks,
                ).format(name=c.name, model=Path(model).name),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.embedding_model_chosen.emit(model)
        self.docs.reindex(c.name, Path(model))

    def _reindex(self) -> None:
        c = self.selected()
        if c is not None:
            self.docs.reindex(c.name)

    def _ask_remove(self) -> None:
        c = self.selected()
        if c is None:
            return
        answer = QMessageBox.question(
            self,
            translate("DocumentsDialog", "Remove the collection"),
            translate(
                "DocumentsDialog",
                "Remove {name} from chatapp? Its files stay where they are; only the index of "
                "them is deleted.",
            ).format(name=c.name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.docs.remove(c.name)

    def _pause(self, paused: bool) -> None:
        self.pause_button.setText(
            translate("DocumentsDialog", "Resume")
            if paused
            else translate("DocumentsDialog", "Pause")
        )
        self.docs.set_paused(paused)


__all__ = ["DocumentsDialog"]
