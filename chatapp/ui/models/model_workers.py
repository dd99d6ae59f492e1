"""Workers for the model manager: Hub requests, downloads and file changes, each on its QThread.

The GUI thread never touches the disk: ``ModelFiles`` (the library, the download queue and the
recommended list) is read before the event loop starts, and every later change to a file (the
queue, the library, a token, a model's metadata) is a job on the "model files" thread
(``ModelServices.on_disk``), its result handed back to the GUI thread.

Neither thread can hold the window up at close: ``ModelServices.stop()`` ends the Hub request in
flight and pauses the download in flight at once (their sockets are shut down, which wakes a read
waiting for a silent server), so both threads finish in well under a second.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from chatapp.core.models.downloads import QUEUE_FILENAME, Downloader, Item, Queue, State
from chatapp.core.models.fit import Fit
from chatapp.core.models.hardware import machine
from chatapp.core.models.hub import (
    Cancelled,
    Hub,
    HubError,
    HubFile,
    NeedsTokenError,
    Recommended,
    Unreachable,
    recommended,
)
from chatapp.core.models.library import Library, other_app_folders
from chatapp.core.models.modelinfo import ModelFileError, ModelInfo, read_model_info
from chatapp.ui.i18n import translate

log = logging.getLogger(__name__)


@dataclass
class ModelFiles:
    """What the model manager reads from disk at start; read before the window's event loop."""

    library: Library
    queue: Queue
    recommended: list[Recommended]

    @classmethod
    def open(cls, data_dir: Path) -> ModelFiles:
        return cls(Library(data_dir), Queue(data_dir / QUEUE_FILENAME), recommended())


class HubWorker(QObject):
    """Search, list files, read headers for the fit: every network wait happens here."""

    search_requested = Signal(str, str)  # text, sort
    files_requested = Signal(str, int)  # repo id, context length for the fit
    library_requested = Signal()
    recommended_requested = Signal(int)  # context length for the fit

    searched = Signal(object)  # list[HubModel]
    files_listed = Signal(str, object, str)  # repo, list[HubFile], model card text
    fit_ready = Signal(str, str, object)  # repo, filename, Fit
    fit_failed = Signal(str, str, str)  # repo, filename, why there is no fit (its header)
    library_listed = Signal(object, object)  # list[Entry], other apps' folders to offer
    recommended_listed = Signal(object)  # list[tuple[Recommended, Fit | None]]
    failed = Signal(str, bool)  # why, and whether the Hub cannot be reached at all (offline?)
    needs_token = Signal(str)

    def __init__(
        self, hub: Hub, library: Library, recommended_models: list[Recommended] | None = None
    ) -> None:
        super().__init__()
        self.hub = hub
        self.library = library
        self.recommended = recommended() if recommended_models is None else recommended_models
        # the documents' embedding model (AppSettings.embedding_model, "" for none): every chat
        # model's fit counts it beside the chat model; read here, on the Hub thread
        self.embedding_model = ""
        self.search_requested.connect(self._search)
        self.files_requested.connect(self._files)
        self.library_requested.connect(self._library)
        self.recommended_requested.connect(self._recommended)

    def _embedding(self) -> ModelInfo | None:
        """The embedding model's header, to count it in the fits; None when none is chosen or
        its file cannot be read (then the fits leave it out, as they say)."""
        path = self.embedding_model
        if not path:
            return None
        try:
            return read_model_info(path)
        except ModelFileError as exc:
            log.info("the embedding model is left out of the fit: %s", exc)
            return None

    @Slot(int)
    def _recommended(self, n_ctx: int) -> None:
        """The curated list with each model's fit here: probes the machine, asks no network."""
        try:
            here, embedding = machine(), self._embedding()
            fits: list[tuple[Recommended, Fit | None]] = [
                (r, r.fit(n_ctx, here, embedding=embedding)) for r in self.recommended
            ]
        except Exception:  # the list still offers its downloads, with the fit unknown
            log.exception("cannot estimate how the recommended models fit")
            fits = [(r, None) for r in self.recommended]
        self.recommended_listed.emit(fits)

    @Slot()
    def _library(self) -> None:
        """Scanning folders and reading new headers touches the disk: done here."""
        known = set(self.library.folders)
        offer = [f for f in other_app_folders() if str(f) not in known]
        self.library_listed.emit(self.library.entries(), offer)

    @Slot(str, str)
    def _search(self, text: str, sort: str) -> None:
        try:
            self.searched.emit(self.hub.search(text, sort=sort))  # type: ignore[arg-type]
        except Cancelled:  # closing: nobody to tell
            return
        except HubError as exc:
            self.failed.emit(str(exc), isinstance(exc, Unreachable))
        except Exception as exc:  # unforeseen: said in words rather than lost in the event loop
            log.exception("search failed")
            self.failed.emit(
                translate("ModelWorkers", "searching the Hub failed: {error}").format(error=exc),
                False,
            )

    @Slot(str, int)
    def _files(self, repo: str, n_ctx: int) -> None:
        try:
            files = self.hub.files(repo)
            card = self.hub.card(repo)
        except Cancelled:  # closing: nobody to tell
            return
        except NeedsTokenError as exc:
            self.needs_token.emit(str(exc))
            return
        except HubError as exc:
            self.failed.emit(str(exc), isinstance(exc, Unreachable))
            return
        except Exception as exc:  # unforeseen: said in words rather than lost in the event loop
            log.exception("listing %s failed", repo)
            self.failed.emit(
                translate("ModelWorkers", "listing {repo} failed: {error}").format(
                    repo=repo, error=exc
                ),
                False,
            )
            return
        self.files_listed.emit(repo, files, card)
        try:
            for f, fit in self.hub.fits(files, n_ctx, embedding=self._embedding()):
                if isinstance(fit, str):  # e.g. "could not read the header: the server stopped…"
                    log.info("no fit for %s: %s", f.filename, fit)
                    self.fit_failed.emit(repo, f.filename, fit)
                else:
                    self.fit_ready.emit(repo, f.filename, fit)
        except Cancelled:
            return


class DownloadWorker(QObject):
    """Runs the download queue until it is empty; pause/cancel are flags on the Downloader."""

    run_requested = Signal()
    progress = Signal(object)  # Progress
    item_changed = Signal(object)  # Item
    idle = Signal()

    def __init__(self, downloader: Downloader) -> None:
        super().__init__()
        self.downloader = downloader
        self.run_requested.connect(self._run)
        self._running = False

    @Slot()
    def _run(self) -> None:
        if self._running:
            return
        self._running = True
        try:
            queue = self.downloader.queue
            while not self.downloader.closing and (item := queue.next_queued()) is not None:
                self.item_changed.emit(queue.update(item.id, state=State.DOWNLOADING))
                done = self.downloader.run(item, self.progress.emit)
                if self.downloader.closing and done.state == State.PAUSED and not done.error:
                    # interrupted by quitting, not paused by the user: resumed at the next start
                    done = queue.update(done.id, state=State.QUEUED)
                self.item_changed.emit(done)
        except OSError as exc:  # downloads.json cannot be saved: one line, not a traceback
            log.warning("%s", exc)
        finally:
            self._running = False
            self.idle.emit()


class DiskWorker(QObject):
    """Runs ``fn()`` jobs in order on its thread; the result (or the exception) goes back."""

    submitted = Signal(object, object)  # fn, on_done
    finished = Signal(object, object)  # on_done, result or exception

    def __init__(self) -> None:
        super().__init__()
        self.submitted.connect(self._run)

    @Slot(object, object)
    def _run(self, fn: Callable[[], Any], on_done: object) -> None:
        try:
            result = fn()
        except Exception as exc:  # the caller says it in words
            if not isinstance(exc, OSError | ValueError):
                log.exception("file job failed")
            result = exc
        self.finished.emit(on_done, result)


class ModelServices(QObject):
    """The GUI side: owns the two threads; stop() winds them down at quit."""

    def __init__(
        self,
        hub: Hub,
        downloader: Downloader,
        library: Library,
        parent: QObject | None = None,
        *,
        recommended_models: list[Recommended] | None = None,
        embedding_model: str = "",
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.recommended = recommended() if recommended_models is None else recommended_models
        self.hub_thread, self.download_thread = QThread(), QThread()
        self.hub_thread.setObjectName("hub")
        self.download_thread.setObjectName("downloads")
        self.hub = HubWorker(hub, library, self.recommended)
        self.hub.embedding_model = embedding_model
        self.hub.moveToThread(self.hub_thread)
        self.downloads = DownloadWorker(downloader)
        self.downloads.moveToThread(self.download_thread)
        self.downloader = downloader
        self.disk_thread = QThread()
        self.disk_thread.setObjectName("model files")
        self.disk = DiskWorker()
        self.disk.moveToThread(self.disk_thread)
        self.disk.finished.connect(self._disk_done)
        self.hub_thread.start()
        self.download_thread.start()
        self.disk_thread.start()

    def on_disk(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Run ``fn`` on the "model files" thread; ``on_done(result or exception)`` back here."""
        self.disk.submitted.emit(fn, on_done)

    @Slot(object, object)
    def _disk_done(self, on_done: Callable[[Any], None] | None, result: object) -> None:
        if on_done is not None:
            on_done(result)

    def add(self, file: HubFile, on_done: Callable[[Any], None] | None = None) -> None:
        """Queue a download (the queue file is written on the files thread), then run it."""
        downloader, downloads = self.downloader, self.downloads

        def add() -> Item:
            item = downloader.queue.add(file)
            downloads.run_requested.emit()
            return item

        self.on_disk(add, on_done)

    def resume(self, item_id: str, on_done: Callable[[Any], None] | None = None) -> None:
        downloader, downloads = self.downloader, self.downloads

        def resume() -> Item:
            item = downloader.queue.update(item_id, state=State.QUEUED, error="")
            downloads.run_requested.emit()
            return item

        self.on_disk(resume, on_done)

    def cancel(self, item_id: str, on_done: Callable[[Any], None] | None = None) -> None:
        """Stop a download and forget it, on the files thread (it deletes the partial file)."""
        downloader = self.downloader
        self.on_disk(lambda: downloader.cancel(item_id), on_done)

    def stop(self) -> None:
        """At close: end the Hub request in flight, pause the download in flight so it resumes
        at the next start, and stop both threads; this takes well under a second, whatever a
        server is doing (a stalled read is ended, not waited for)."""
        running = [i.id for i in self.downloader.queue.items() if i.state == State.DOWNLOADING]
        self.hub.hub.cancel()
        self.downloader.shutdown()
        for item_id in running:
            self.downloader.pause(item_id)
        # the download thread marks what quitting interrupted as queued again (DownloadWorker)
        for thread in (self.hub_thread, self.download_thread):
            thread.quit()
            thread.wait()
        # the files thread first finishes the jobs already given to it, then stops
        thread = self.disk_thread
        self.disk.submitted.emit(lambda: thread.quit(), None)
        thread.wait()
