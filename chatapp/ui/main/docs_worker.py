"""The documents worker: indexes collections on its own "docs" thread, watches their folders
while the app runs, and checks a source's file before the window opens it.

Indexing goes through ``DocsService`` (core), on the documents index's own SQLite connection:
it never holds the conversations' database, so a reply's checkpoints never wait for it.

Pause is a flag the GUI thread raises directly (the worker is busy embedding and cannot take a
queued signal until the file ends): the run stops before the next batch, drops the file it was
on, and keeps every finished file. Resume indexes again; finished files are unchanged and
skipped, so nothing is embedded twice. The same holds across a restart: on start the worker
brings every collection up to date.

Folders are watched with QFileSystemWatcher (every folder under a collection's roots, up to
``MAX_WATCHED``); a change waits ``SETTLE_MS`` for more before the collection is indexed again,
so copying a hundred files is one run, not a hundred.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PySide6.QtCore import QFileSystemWatcher, QObject, QThread, QTimer, Signal, Slot

from chatapp.core.docs.index import Collection, DocIndexError, Progress
from chatapp.core.docs.service import DocsError, DocsService
from chatapp.ui.i18n import translate

log = logging.getLogger(__name__)

SETTLE_MS: Final = 2000
MAX_WATCHED: Final = 4000  # folders; inotify's default limit is 8192 a user
PROGRESS_EVERY_S: Final = 0.1
# What a click on a source opens in an application: documents, never programs. Anything else
# (a script, an executable, a .desktop file) shows its folder instead.
OPENABLE: Final = frozenset(
    {
        ".txt", ".md", ".markdown", ".mdown", ".rst", ".pdf", ".docx", ".html", ".htm",
        ".xhtml", ".csv", ".json", ".log", ".tex", ".org", ".xml", ".yaml", ".yml", ".toml",
    }
)  # fmt: skip


@dataclass(frozen=True)
class IndexStatus:
    """What the worker is doing, for the documents dialog and the chips."""

    collection: str
    progress: Progress | None
    eta_s: float | None  # seconds left, once there is enough to tell
    paused: bool = False


class DocsWorker(QObject):
    collections_listed = Signal(object)  # list[Collection]
    status = Signal(object)  # IndexStatus
    indexed = Signal(str, object)  # collection, IndexResult
    failed = Signal(str)  # a sentence for the user
    idle = Signal()  # nothing queued, nothing running
    open_checked = Signal(str, object, str)  # path, page or None, "" or why it cannot be opened
    device = Signal(str, str)  # embedding model path, where it runs ("CPU", "GPU (CUDA)"…)

    _list = Signal()
    _index = Signal(str, object, object)  # collection, paths or None, model path or None
    _remove = Signal(str)
    _check_open = Signal(str, object)
    _start = Signal()
    _resume = Signal()

    def __init__(self, docs: DocsService) -> None:
        super().__init__()
        self.docs = docs
        self.pause = threading.Event()
        self._pending: list[tuple[str, list[Path] | None, Path | None]] = []
        self._running = False
        # made here, on the GUI thread, as children: moveToThread takes them along, and the
        # docs thread makes no Qt object of its own while the window is being built
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_change)
        self._watcher.fileChanged.connect(self._on_change)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self._changed: set[str] = set()
        self._list.connect(self._do_list)
        self._index.connect(self._queue)
        self._remove.connect(self._do_remove)
        self._check_open.connect(self._do_check_open)
        self._start.connect(self._do_start)
        self._resume.connect(self._drain)

    # -- on the docs thread ---------------------------------------------------------------------

    @Slot()
    def _do_start(self) -> None:
        """The first listing, and a run for each collection (cheap when nothing changed)."""
        collections = self._listed()
        for c in collections:  # a restart continues where the last run stopped
            self._pending.append((c.name, None, None))
        self._drain()

    @Slot()
    def _do_list(self) -> None:
        self._listed()

    def _listed(self) -> list[Collection]:
        try:
            collections = self.docs.index.collections()
        except DocIndexError as exc:
            self.failed.emit(str(exc))
            return []
        self.collections_listed.emit(collections)
        self._watch(collections)
        return collections

    @Slot(str, object, object)
    def _queue(self, collection: str, paths: list[Path] | None, model: Path | None) -> None:
        self._pending.append((collection, paths, model))
        self._drain()

    @Slot()
    def _drain(self) -> None:
        if self._running:
            return
        self._running = True
        try:
            while self._pending:
                if self.pause.is_set():
                    self.status.emit(IndexStatus(self._pending[0][0], None, None, paused=True))
                    return
                collection, paths, model = self._pending.pop(0)
                # the same collection queued again (watcher, resume) needs only one run
                if paths is None and model is None:
                    self._pending = [p for p in self._pending if p != (collection, None, None)]
                self._run(collection, paths, model)
            self._listed()
            self.idle.emit()
        finally:
            self._running = False

    def _run(self, collection: str, paths: list[Path] | None, model: Path | None) -> None:
        started = time.monotonic()
        last = [0.0]

        def progress(p: Progress) -> None:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY_S and p.files_done < p.files_total:
                return
            last[0] = now
            eta = None
            if p.bytes_done and p.bytes_total > p.bytes_done and now - started > 1:
                eta = (now - started) * (p.bytes_total - p.bytes_done) / p.bytes_done
            self.status.emit(IndexStatus(collection, p, eta))

        try:
            result = self.docs.add(
                collection, paths, model, on_progress=progress, cancel=self.pause
            )
            used = model or Path(self.docs.index.model_of(collection))
            device = self.docs.device(used)  # None: nothing needed embedding, nothing loaded
            if device is not None:
                self.device.emit(str(used), device)
        except (DocsError, DocIndexError) as exc:
            self.failed.emit(f"{collection}: {exc}")
            return
        except Exception as exc:  # a bug: said in words, and the window lives on
            log.exception("indexing %s failed", collection)
            self.failed.emit(
                translate("DocsWorker", "{collection}: indexing failed: {error}").format(
                    collection=collection, error=exc
                )
            )
            return
        if result.cancelled:
            self._pending.insert(0, (collection, None, None))  # resumed later, from there
            self.status.emit(IndexStatus(collection, None, None, paused=True))
        self.indexed.emit(collection, result)

    @Slot(str)
    def _do_remove(self, collection: str) -> None:
        try:
            self.docs.index.remove(collection)
        except DocIndexError as exc:
            self.failed.emit(str(exc))
        self._pending = [p for p in self._pending if p[0] != collection]
        self._listed()

    def _watch(self, collections: list[Collection]) -> None:
        wanted: list[str] = []
        for c in collections:
            for root in c.roots:
                if len(wanted) >= MAX_WATCHED:
                    break
                if os.path.isdir(root):
                    for folder, dirs, _files in os.walk(root):
                        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                        wanted.append(folder)
                        if len(wanted) >= MAX_WATCHED:
                            log.warning("watching the first %d folders only", MAX_WATCHED)
                            break
                elif os.path.exists(root):
                    wanted.append(root)
        have = set(self._watcher.directories()) | set(self._watcher.files())
        gone = sorted(have - set(wanted))
        new = [w for w in dict.fromkeys(wanted) if w not in have]
        if gone:
            self._watcher.removePaths(gone)
        if new:
            self._watcher.addPaths(new)

    @Slot(str)
    def _on_change(self, path: str) -> None:
        self._changed.add(path)
        self._settle.start()  # restarted by each change: one run once they stop

    @Slot()
    def _settled(self) -> None:
        changed, self._changed = self._changed, set()
        try:
            collections = self.docs.index.collections()
        except DocIndexError as exc:
            self.failed.emit(str(exc))
            return
        for c in collections:
            roots = [Path(r) for r in c.roots]
            if any(_under(Path(p), r) or _under(r, Path(p)) for p in changed for r in roots):
                self._pending.append((c.name, None, None))
        self._drain()

    @Slot(str, object)
    def _do_check_open(self, path: str, page: int | None) -> None:
        target = Path(path)
        if not target.is_file():
            self.open_checked.emit(
                path,
                page,
                translate("DocsWorker", "{path} is not there any more").format(path=path),
            )
            return
        if target.suffix.lower() not in OPENABLE:
            self.open_checked.emit(path, page, "folder")  # shown in its folder, never run
            return
        self.open_checked.emit(path, page, "")


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


class DocsClient(QObject):
    """The GUI side of ``DocsWorker``: what to index, pause and resume, and the thread."""

    def __init__(self, docs: DocsService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.docs = docs
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("docs")
        self.worker = DocsWorker(docs)
        self.worker.moveToThread(self.worker_thread)
        self.devices: dict[str, str] = {}  # embedding model → where it runs, once loaded
        self.worker.device.connect(self._device)
        self.worker_thread.start()
        self.worker._start.emit()

    def _device(self, model: str, device: str) -> None:
        self.devices[str(Path(model).resolve())] = device

    def refresh(self) -> None:
        self.worker._list.emit()

    def add(self, collection: str, paths: list[Path], model: Path | None = None) -> None:
        """Index ``paths`` into ``collection`` (new with ``model``; another model re-embeds)."""
        self.worker.pause.clear()
        self.worker._index.emit(collection, paths, model)

    def reindex(self, collection: str, model: Path | None = None) -> None:
        self.worker.pause.clear()
        self.worker._index.emit(collection, None, model)

    def remove(self, collection: str) -> None:
        self.worker._remove.emit(collection)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.worker.pause.set()
        else:
            self.worker.pause.clear()
            self.worker._resume.emit()  # the queue goes on from where it stopped

    def check_open(self, path: str, page: int | None) -> None:
        self.worker._check_open.emit(path, page)

    def stop(self, deadline_ms: int = 5000) -> None:
        """Pause any run (the file being embedded is dropped; the others are kept), then stop."""
        self.worker.pause.set()
        self.worker_thread.quit()
        if not self.worker_thread.wait(deadline_ms):
            log.warning("the documents thread did not stop within %d ms; waiting", deadline_ms)
            self.worker_thread.wait()


__all__ = ["OPENABLE", "DocsClient", "DocsWorker", "IndexStatus"]
