"""File > Export conversations…, and "Save what can be read…" for a damaged database.

The file dialog runs on the GUI thread; reading the store (around damaged pages, if need be)
and writing the file run as one job on the store thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from chatapp.core.chat.transfer import export_json
from chatapp.core.storage.atomic import write_text_atomic
from chatapp.core.storage.salvage import salvage_store
from chatapp.core.storage.store import Store, StoreDamaged

if TYPE_CHECKING:
    from chatapp.ui.main.window import MainWindow

EXPORT_FILTER = "chatapp export (*.json);;All files (*)"


def export_file(store: Store, path: Path, *, salvage: bool = False) -> str:
    """Write every conversation (``salvage``: every row that can be read) to ``path``.

    Returns what to tell the user. Runs on the store thread.
    """
    note = ""
    if not salvage:
        try:
            text = export_json(store)
            count = len(store.list_conversations())
        except StoreDamaged:
            salvage = True
    if salvage:
        saved, found = salvage_store(store.path)
        with saved:
            text = export_json(saved)
        count = len(found.conversations)
        note = f" ({found.summary()})"
    write_text_atomic(path, text)
    return f"Saved {count} conversations to {path}{note}."


def ask_and_export(window: MainWindow, *, salvage: bool = False) -> None:
    """Ask where, then export there on the store thread; the result shows in the status bar."""
    title = "Save what can be read" if salvage else "Export conversations"
    name, _ = QFileDialog.getSaveFileName(
        window, title, str(Path.home() / "chatapp-conversations.json"), EXPORT_FILTER
    )
    if not name:
        return
    target = Path(name)

    def job(store: Store) -> str:
        return export_file(store, target, salvage=salvage)

    window.db.call(job, lambda message: window.statusBar().showMessage(message, 15_000))
