"""What the window shows while no model is loaded: a model to start with, or a file one has.

The recommended models come with their download size and how they would fit this machine,
estimated from the shape shipped with the list (nothing is fetched to show it). One click on
Download queues the file in the model manager; the window loads it when it arrives.
"""

from __future__ import annotations

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

from chatapp.core.models.fit import Fit, Verdict
from chatapp.core.models.hub import Recommended
from chatapp.core.models.modelinfo import file_size_label

PRIVACY = (
    "Everything runs on this computer: nothing you type leaves it, and the only thing chatapp "
    "fetches from the internet is the model you choose to download."
)
COLUMNS = ["Model", "Download size", "On this computer", ""]


class FirstRunPanel(QWidget):
    """The recommended models (size, fit, Download) and "I already have a GGUF file"."""

    download_requested = Signal(object)  # Recommended
    open_requested = Signal()
    browse_requested = Signal()

    def __init__(self, models: list[Recommended], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        self.models = models
        self.heading = QLabel("<h2>Choose a model to start</h2>", self)
        self.heading.setObjectName("firstRunHeading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.privacy = QLabel(PRIVACY, self)
        self.privacy.setObjectName("privacyNote")
        self.privacy.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.privacy.setWordWrap(True)

        self.table = QTableWidget(len(models), len(COLUMNS), self)
        self.table.setObjectName("recommendedModels")
        self.table.setAccessibleName("Recommended models")
        self.table.setHorizontalHeaderLabels(COLUMNS)
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
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.buttons: dict[str, QPushButton] = {}
        for row, model in enumerate(models):
            name = QTableWidgetItem(f"{model.name}\n{model.about}")
            name.setToolTip(f"{model.repo_id} / {model.filename}")
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(file_size_label(model.size)))
            self.table.setItem(row, 2, QTableWidgetItem("checking…"))
            cell = QWidget(self.table)
            button = QPushButton("Download", cell)
            button.setObjectName(f"download-{model.filename}")
            button.setAccessibleName(f"Download {model.name}")
            button.clicked.connect(lambda _c=False, m=model: self._download(m))
            box = QHBoxLayout(cell)
            box.setContentsMargins(6, 2, 6, 2)
            box.addWidget(button, 0, Qt.AlignmentFlag.AlignCenter)
            self.table.setCellWidget(row, 3, cell)
            self.buttons[model.filename] = button

        self.open_button = QPushButton("I already have a GGUF file…", self)
        self.open_button.setObjectName("openModel")
        self.open_button.setAccessibleName("Open a model file")
        self.open_button.clicked.connect(self.open_requested)
        self.browse_button = QPushButton("Search more models…", self)
        self.browse_button.setObjectName("getModel")
        self.browse_button.setAccessibleName("Search models on the Hugging Face Hub")
        self.browse_button.clicked.connect(self.browse_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.browse_button)
        buttons.addStretch(1)
        hint = QLabel("You can also drop a .gguf file on this window.", self)
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
        if self.buttons[model.filename].text() in ("Download", "Try again"):
            self.set_status(model.filename, "Queued…")
        self.download_requested.emit(model)  # under way: the window shows the download

    def show_fits(self, fits: list[tuple[Recommended, Fit | None]]) -> None:
        """Fill in how each model would run here (the numbers behind it in the tooltip)."""
        for row, (model, fit) in enumerate(fits):
            if fit is None:  # the machine could not be probed
                self.table.setItem(row, 2, QTableWidgetItem("unknown"))
                continue
            item = QTableWidgetItem(f"{fit.label} · needs {file_size_label(fit.total_bytes)}")
            item.setToolTip(fit.explanation)
            self.table.setItem(row, 2, item)
            if fit.verdict == Verdict.TOO_LARGE:
                self.buttons[model.filename].setToolTip("Too large for this computer's memory")

    def set_status(self, filename: str, text: str) -> None:
        """Show a download's state on its button ("Queued…", "42 %", "Try again"). The button
        stays clickable: under way, a click shows the download in the model manager."""
        button = self.buttons.get(filename)
        if button is not None:
            button.setText(text)
