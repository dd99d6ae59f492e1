"""The model manager's Library tab: the models on this computer, and what to do with them.

Reading headers, scanning folders, deleting files and reading metadata run off the GUI thread:
on the hub thread (the listing) and the model files thread (``ModelServices.on_disk``).
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.config.settings import LoadSettings
from chatapp.core.inference.chat_template import header_template_source
from chatapp.core.models.library import Entry, LibraryError
from chatapp.core.models.metadata import Metadata, read_metadata
from chatapp.core.models.modelinfo import ModelFileError
from chatapp.ui.i18n import file_size_label, format_number, translate
from chatapp.ui.models.metadata_dialog import MetadataDialog
from chatapp.ui.models.model_workers import ModelServices
from chatapp.ui.models.tables import EmptyNote, button, make_cell, row_data, stretch, table


class LibraryTab(QWidget):
    """Load, delete, reveal, inspect, add a file or a folder; offers other apps' folders."""

    load_requested = Signal(str)  # a model path to load in the window
    library_changed = Signal()
    library_shown = Signal()  # on screen: for tests and accessibility tools
    status_changed = Signal(str)  # what to say in the manager's status line

    def __init__(self, services: ModelServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.library = services.library
        self._entries: list[Entry] = []
        self.metadata_dialog: MetadataDialog | None = None
        self.load_settings = LoadSettings()  # the context each model would get
        self.template: str | None = None  # the user's override in Preferences
        # the loaded model's path, its context and where its chat template came from
        self.loaded: tuple[str, int, str] | None = None
        page = self
        self.library_table = table(
            "libraryTable",
            translate("LibraryTab", "Models on this computer"),
            [
                translate("LibraryTab", "Model"),
                translate("LibraryTab", "Architecture"),
                translate("LibraryTab", "Parameters"),
                translate("LibraryTab", "Quantization"),
                translate("LibraryTab", "Size"),
                translate("LibraryTab", "Context: used / trained"),
                translate("LibraryTab", "Template"),
                translate("LibraryTab", "Last used"),
            ],
        )
        self.library_table.doubleClicked.connect(lambda _i: self.load_selected())
        self.library_empty = EmptyNote(
            self.library_table,
            translate(
                "LibraryTab",
                "No models in your library yet — download one in Discover, or add a GGUF file or a "
                "folder of models you already have (Add file…, Add folder…).",
            ),
        )
        self.library_table.itemSelectionChanged.connect(self._buttons)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        buttons = [
            (
                translate("LibraryTab", "Lo&ad"),
                "loadModel",
                translate("LibraryTab", "Load the model"),
                translate("LibraryTab", "Load the chosen model to chat with it"),
                self.load_selected,
            ),
            (
                translate("LibraryTab", "&Delete…"),
                "deleteModel",
                translate("LibraryTab", "Delete the model's files"),
                translate(
                    "LibraryTab", "Delete the chosen model's files from the disk, after asking"
                ),
                self.delete_selected,
            ),
            (
                translate("LibraryTab", "Show in &folder"),
                "revealModel",
                translate("LibraryTab", "Show in file manager"),
                translate("LibraryTab", "Open the folder that holds the chosen model's file"),
                self.reveal_selected,
            ),
            (
                translate("LibraryTab", "&Metadata"),
                "modelMetadata",
                translate("LibraryTab", "Show the GGUF metadata"),
                translate("LibraryTab", "Show everything the chosen file says about itself"),
                self.metadata_selected,
            ),
            (
                translate("LibraryTab", "Add &file…"),
                "addModelFile",
                translate("LibraryTab", "Add a GGUF file"),
                translate(
                    "LibraryTab", "Add a .gguf file from elsewhere on this computer to the library"
                ),
                self.add_file,
            ),
            (
                translate("LibraryTab", "Add f&older…"),
                "addModelFolder",
                translate("LibraryTab", "Add a folder of models"),
                translate("LibraryTab", "Add every .gguf file in a folder to the library"),
                self.add_folder,
            ),
        ]
        for text, name, acc, desc, slot in buttons:
            b = button(text, name, acc, desc)
            b.clicked.connect(slot)
            row.addWidget(b)
            self.buttons[name] = b
        row.addStretch(1)
        self.other_apps = QLabel()
        self.other_apps.setObjectName("otherApps")
        self.other_apps.linkActivated.connect(self._add_other_app)
        v = QVBoxLayout(page)
        v.addWidget(self.library_table, 1)
        v.addWidget(self.other_apps)
        v.addLayout(row)
        services.hub.library_listed.connect(self._show_library)
        self._buttons()

    def _buttons(self) -> None:
        """What acts on a model is enabled once one is chosen (and, to open it, is there)."""
        rows = self.library_table.selectionModel().selectedRows()
        entry = row_data(self.library_table, rows[0].row()) if rows else None
        chosen = isinstance(entry, Entry)
        present = isinstance(entry, Entry) and entry.info is not None and not entry.missing
        for name, on in (
            ("loadModel", present),
            ("deleteModel", chosen),
            ("revealModel", chosen),
            ("modelMetadata", present),
        ):
            self.buttons[name].setEnabled(on)

    def refresh_library(self) -> None:
        self.services.hub.library_requested.emit()

    def set_running(
        self,
        load: LoadSettings,
        loaded: tuple[str, int, str] | None,
        template: str | None = None,
    ) -> None:
        """What runs: the load settings (the context in effect), the loaded model, its context
        and where its chat template came from, and the user's template override (Preferences),
        which every model gets. The rows are shown again at once (from memory: no disk)."""
        if (load, loaded, template) != (self.load_settings, self.loaded, self.template):
            self.load_settings, self.loaded, self.template = load, loaded, template
            self._fill()

    def _show_library(self, entries: list[Entry], offer: list[Path]) -> None:
        self._entries = entries
        add = translate("LibraryTab", "add {folder}")
        self._fill()
        self.other_apps.setText(
            translate("LibraryTab", "Models from other apps found: ")
            + ", ".join(f"<a href='{f}'>{add.format(folder=f)}</a>" for f in offer)
            if offer
            else ""
        )
        self.library_shown.emit()

    def _is_loaded(self, e: Entry) -> bool:
        # the same file, however it was named when loaded (no disk: the names are compared)
        return self.loaded is not None and os.path.abspath(self.loaded[0]) == str(e.path)

    def _fill(self) -> None:
        chosen = self._chosen_path()
        t = self.library_table
        t.setRowCount(0)
        for e in self._entries:
            row = t.rowCount()
            t.insertRow(row)
            i = e.info
            if e.missing:
                missing = translate("LibraryTab", "{name} (missing)").format(name=e.name)
                values = [missing, "", "", "", "", "", "", ""]
            elif i is None:
                unreadable = translate("LibraryTab", "{name} (unreadable)").format(name=e.name)
                values = [unreadable, e.error or "", "", "", "", "", "", ""]
            else:
                loaded = self._is_loaded(e)
                source = (
                    self.loaded[2]
                    if loaded and self.loaded
                    else header_template_source(
                        i.chat_template, i.marker_tokens, i.architecture, self.template
                    )
                )
                used = (
                    self.loaded[1]
                    if loaded and self.loaded
                    else self.load_settings.context_for(i.context_length)
                )
                trained = format_number(i.context_length) if i.context_length else "?"
                name = i.name if i.name != e.path.stem else e.name
                values = [
                    translate("LibraryTab", "● {name} — loaded").format(name=name)
                    if loaded
                    else name,
                    i.architecture,
                    i.parameters_label,
                    i.quantization,
                    file_size_label(e.size),
                    f"{format_number(used)} / {trained}",
                    short_template_source(source),
                    e.last_used[:10] if e.last_used else translate("LibraryTab", "never"),
                ]
            for col, text in enumerate(values):
                tip = str(e.path) if col == 0 else None  # where it is: names can repeat
                if col == 5 and i is not None:
                    tip = (
                        translate("LibraryTab", "The context it runs with now")
                        if self._is_loaded(e)
                        else translate(
                            "LibraryTab", "The context it would get (Preferences: context length)"
                        )
                    ) + translate("LibraryTab", " / the context it was trained for")
                if col == 6 and i is not None:
                    tip = (
                        translate("LibraryTab", "The chat template in effect: {source}")
                        if self._is_loaded(e)
                        else translate("LibraryTab", "The chat template it gets: {source}")
                    ).format(source=source)
                cell = make_cell(text, e if col == 0 else None, tip)
                if self._is_loaded(e):
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
                t.setItem(row, col, cell)
            if str(e.path) == chosen:
                t.selectRow(row)
        stretch(t, 0)
        self._buttons()

    def _chosen_path(self) -> str | None:
        rows = self.library_table.selectionModel().selectedRows()
        entry = row_data(self.library_table, rows[0].row()) if rows else None
        return str(entry.path) if isinstance(entry, Entry) else None

    def _selected_entry(self) -> Entry | None:
        rows = self.library_table.selectionModel().selectedRows()
        if not rows:
            self.status_changed.emit(translate("LibraryTab", "Choose a model first."))
            return None
        entry = row_data(self.library_table, rows[0].row())
        return entry if isinstance(entry, Entry) else None

    def load_selected(self) -> None:
        entry = self._selected_entry()
        if entry is None:
            return
        if entry.missing:
            self.status_changed.emit(
                translate("LibraryTab", "{name} is missing: it was at {path}.").format(
                    name=entry.name, path=entry.path
                )
            )
            return
        self.load_requested.emit(str(entry.path))
        library, path = self.library, entry.path
        self.services.on_disk(lambda: library.mark_used(path), lambda _r: self.refresh_library())

    def delete_selected(self) -> None:
        entry = self._selected_entry()
        if entry is None:
            return
        size = file_size_label(entry.size) if not entry.missing else "nothing"
        answer = QMessageBox.question(
            self,
            translate("LibraryTab", "Delete model"),
            translate("LibraryTab", "Delete {name} from disk? This frees {size}.").format(
                name=entry.name, size=size
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        library = self.library
        self.services.on_disk(lambda: library.delete(entry), partial(self._deleted, entry))

    def _deleted(self, entry: Entry, freed: object) -> None:
        if isinstance(freed, Exception):
            self.status_changed.emit(str(freed))
            return
        assert isinstance(freed, int)
        self.status_changed.emit(
            translate("LibraryTab", "Deleted {name}: {size} freed.").format(
                name=entry.name, size=file_size_label(freed)
            )
        )
        self.refresh_library()
        self.library_changed.emit()

    def reveal_selected(self) -> None:
        entry = self._selected_entry()
        if entry is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.path.parent)))

    def metadata_selected(self) -> None:
        entry = self._selected_entry()
        if entry is None or entry.missing:
            return
        path = entry.path
        self.services.on_disk(lambda: read_metadata(path), partial(self._show_metadata, entry))

    def _show_metadata(self, entry: Entry, result: object) -> None:
        if isinstance(result, Exception):
            self.status_changed.emit(
                translate("LibraryTab", "Could not read {name}: {error}").format(
                    name=entry.name, error=result
                )
            )
            return
        assert isinstance(result, Metadata)
        if self.metadata_dialog is not None:
            self.metadata_dialog.close()
        self.metadata_dialog = MetadataDialog(entry.name, result, self)
        self.metadata_dialog.show()

    def add_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            translate("LibraryTab", "Add a GGUF model"),
            "",
            translate("LibraryTab", "GGUF models (*.gguf)"),
        )
        if path:
            library = self.library
            self.services.on_disk(lambda: library.add_file(Path(path)), self._library_edited)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, translate("LibraryTab", "Add a folder of models")
        )
        if folder:
            self._add_other_app(folder)

    def _add_other_app(self, folder: str) -> None:
        library = self.library
        self.services.on_disk(lambda: library.add_folder(Path(folder)), self._library_edited)

    def _library_edited(self, result: object) -> None:
        if isinstance(result, LibraryError | ModelFileError | OSError):
            self.status_changed.emit(str(result))
        self.refresh_library()
        self.library_changed.emit()


def short_template_source(source: str) -> str:
    """A table cell's words for where a chat template comes from (the tooltip has them all)."""
    head, _, rest = source.partition(": ")
    if head == "chosen from the vocabulary":
        return translate("LibraryTab", "{name}, from the vocabulary").format(
            name=rest.split(" (")[0]
        )
    if head == "plain transcript":
        return translate("LibraryTab", "plain transcript")
    if head == "set by the user":
        return (
            translate("LibraryTab", "{name}, set by you").format(name=rest)
            if rest
            else translate("LibraryTab", "set by you")
        )
    if head == "invalid":
        return translate("LibraryTab", "invalid")
    if source == "from the file":
        return translate("LibraryTab", "from the file")
    return source
