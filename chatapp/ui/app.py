"""The desktop window. For now a minimal one; the full chat window comes next."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from chatapp import __version__
from chatapp.core.paths import data_dir as resolve_data_dir


class MainWindow(QMainWindow):
    """Says where conversations are kept and which model was asked for."""

    def __init__(self, data_dir: Path, model: Path | None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"chatapp {__version__}")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        text = (
            f"<h2>chatapp {__version__}</h2>"
            f"<p>Conversations are kept in <code>{data_dir}</code>.</p>"
            f"<p>Model: {model or 'none chosen'}.</p>"
            "<p>Chat from a terminal with <code>chatapp chat --model FILE.gguf 'Hello'</code>.</p>"
        )
        self.info = QLabel(text, body)
        self.info.setObjectName("infoLabel")
        self.info.setAccessibleName("About this window")
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)
        self.setCentralWidget(body)
        self.resize(720, 480)


def run_app(data_dir: Path | None, model: Path | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("chatapp")
    window = MainWindow(resolve_data_dir(data_dir), model)
    window.show()
    return int(app.exec())
