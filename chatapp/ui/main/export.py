"""File > Export conversation… / Export all conversations…, and "Save what can be read…"
for a damaged database.

The format follows the file chosen: chatapp JSON (to import again), Markdown, a self-contained
HTML page, or PDF (that page, printed by Qt's own PDF writer). The file dialog runs on the GUI
thread; reading the store (around damaged pages, if need be) and writing the file run as one job
on the store thread (Qt paints PDF pages off the GUI thread too).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QFileDialog

from chatapp.core.chat.export_html import export_html
from chatapp.core.chat.transfer import export_json, export_markdown
from chatapp.core.storage.atomic import write_text_atomic
from chatapp.core.storage.salvage import salvage_store
from chatapp.core.storage.store import Conversation, Store, StoreDamaged, StoreError
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, translate

if TYPE_CHECKING:
    from chatapp.ui.main.window import MainWindow

JSON_FILTER = QT_TRANSLATE_NOOP("Export", "chatapp export (*.json)")
FILTERS: Final = {
    JSON_FILTER: ".json",
    QT_TRANSLATE_NOOP("Export", "Markdown (*.md)"): ".md",
    QT_TRANSLATE_NOOP("Export", "Web page (*.html)"): ".html",
    QT_TRANSLATE_NOOP("Export", "PDF (*.pdf)"): ".pdf",
}


def render(store: Store, suffix: str, ids: list[str] | None) -> str:
    """The export's text in the format ``suffix`` names (PDF: the HTML it is printed from)."""
    if suffix in (".md", ".markdown"):
        return export_markdown(store, ids)
    if suffix in (".html", ".htm", ".pdf"):
        return export_html(store, ids)
    return export_json(store, ids)


def export_file(
    store: Store, path: Path, *, salvage: bool = False, ids: list[str] | None = None
) -> str:
    """Write the conversations ``ids`` (default: every one; ``salvage``: every row that can be
    read) to ``path``, in the format its suffix names.

    Returns what to tell the user. Runs on the store thread.
    """
    note = ""
    suffix = path.suffix.lower()
    if not salvage:
        try:
            text = render(store, suffix, ids)
            count = len(ids) if ids is not None else len(store.list_conversations())
        except StoreDamaged:
            salvage = True
    if salvage:
        saved, found = salvage_store(store.path)
        with saved:
            text = render(saved, suffix, ids)
        count = len(found.conversations)
        note = translate("Export", " ({summary})").format(summary=found.summary())
    if suffix == ".pdf":
        write_pdf(path, text)
    else:
        write_text_atomic(path, text)
    saved_text = translate("Export", "Saved %n conversation(s) to {path}{note}.", None, count)
    return saved_text.format(path=path, note=note)


def write_pdf(path: Path, page_html: str) -> None:
    """``page_html`` printed to a PDF at ``path`` (A4) by Qt; the old file or the new one
    survives a crash. Raises StoreError when the file cannot be written."""
    tmp = path.with_name(f".{path.name}.tmp")
    writer = QPdfWriter(str(tmp))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(300)
    writer.setTitle(path.stem)
    document = QTextDocument()
    document.setHtml(page_html)  # Qt's rich text: no scripts, no network
    document.print_(writer)
    del writer  # the file is finished when the writer goes
    try:
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise OSError("Qt wrote nothing")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc}") from exc


def ask_and_export(
    window: MainWindow,
    *,
    salvage: bool = False,
    conversation: Conversation | None = None,
    ids: list[str] | None = None,
    folder: str = "",
) -> None:
    """Ask where (and so in which format), then export there on the store thread; the result
    shows in the status bar. ``conversation``: that one only; ``ids``: those, the chats of
    the folder named ``folder``; else every one."""
    if ids is not None:
        title = translate("Export", "Export folder {folder}").format(folder=folder)
        stem = _file_stem(folder)
    elif conversation is not None:
        title, stem = translate("Export", "Export conversation"), _file_stem(conversation.title)
    else:
        title = (
            translate("Export", "Save what can be read")
            if salvage
            else translate("Export", "Export all conversations")
        )
        stem = "chatapp-conversations"
    shown = {translate("Export", f): suffix for f, suffix in FILTERS.items()}
    name, chosen = QFileDialog.getSaveFileName(
        window,
        title,
        str(Path.home() / f"{stem}.json"),
        ";;".join(shown),
        translate("Export", JSON_FILTER),
    )
    if not name:
        return
    target = Path(name)
    if target.suffix.lower() not in FILTERS.values():  # the filter chosen names the format
        target = target.with_name(target.name + shown.get(chosen, ".json"))
    export_to(window, target, salvage=salvage, conversation=conversation, ids=ids)


def export_to(
    window: MainWindow,
    target: Path,
    *,
    salvage: bool = False,
    conversation: Conversation | None = None,
    ids: list[str] | None = None,
) -> None:
    if conversation is not None:
        ids = [conversation.id]

    def job(store: Store) -> str:
        return export_file(store, target, salvage=salvage, ids=ids)

    window.db.call(job, window.export_done)


def _file_stem(title: str) -> str:
    kept = "".join(c if c.isalnum() or c in " -_" else " " for c in title).strip()
    return "-".join(kept.split())[:60] or "conversation"


IMPORT_FILTER = QT_TRANSLATE_NOOP(
    "Export",
    "Exports: chatapp, ChatGPT, Claude, Open WebUI, LM Studio (*.json *.zip);;All files (*)",
)


def import_from(window: MainWindow, source: Path) -> None:
    """Import every conversation of an export (ours or another app's: the content says which)
    on the store thread, in one transaction; the window says what came and what was skipped."""

    def job(store: Store) -> str:
        from chatapp.core.chat.importers import import_path
        from chatapp.core.chat.transfer import ImportFormatError

        try:
            results = import_path(store, source)
        except ImportFormatError as exc:
            nothing = translate("Export", "Nothing was imported from {name}: {error}")
            return nothing.format(name=source.name, error=exc)
        said = "; ".join(r.summary() for r in results)
        return said[:1].upper() + said[1:] + "."

    window.db.call(job, window.import_done)


def ask_and_import(window: MainWindow) -> None:
    """File → Import…: an export file (or a zip of one)."""
    name, _ = QFileDialog.getOpenFileName(
        window,
        translate("Export", "Import conversations"),
        "",
        translate("Export", IMPORT_FILTER),
    )
    if name:
        import_from(window, Path(name))
