"""Workers: QObjects living on their own QThreads, talking to the window only through signals.

- ``StoreWorker`` runs every database call off the GUI thread, in order, on the "store" thread.
- ``EngineWorker`` loads models and generates replies on the "engine" thread. Cancelling a reply
  or a load is a flag the GUI thread raises directly (``Engine.cancel`` is thread-safe), since the
  engine thread is busy in the generation loop and cannot receive a queued signal until it ends.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from chatapp.core.conversation import reply_to
from chatapp.core.engine import Engine, EngineError, LoadCancelled, ModelFileError
from chatapp.core.settings import GenerationSettings, LoadSettings
from chatapp.core.store import Message, Store, StoreError

log = logging.getLogger(__name__)


class StoreWorker(QObject):
    """Runs ``fn(store)`` jobs on its thread; results come back through ``finished``/``failed``.

    Use ``StoreClient.call`` from the GUI thread rather than these signals directly.
    """

    finished = Signal(int, object)  # job id, result
    failed = Signal(int, str)  # job id, message for the user
    _submitted = Signal(int, object)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._submitted.connect(self._run)

    @Slot(int, object)
    def _run(self, job_id: int, fn: Callable[[Store], Any]) -> None:
        try:
            result = fn(self.store)
        except StoreError as exc:
            self.failed.emit(job_id, str(exc))
        except Exception as exc:  # a bug: report it in words rather than lose the window
            log.exception("store job failed")
            self.failed.emit(job_id, f"internal error: {exc}")
        else:
            self.finished.emit(job_id, result)


class StoreClient(QObject):
    """The GUI side of ``StoreWorker``: ``call(fn, on_done)`` and forget."""

    error = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("store")
        self.worker = StoreWorker(store)
        self.worker.moveToThread(self.thread)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, Callable[[Any], None] | None] = {}
        self._pending = 0
        self.thread.start()

    def call(
        self, fn: Callable[[Store], Any], on_done: Callable[[Any], None] | None = None
    ) -> None:
        job_id = next(self._ids)
        self._callbacks[job_id] = on_done
        self.worker._submitted.emit(job_id, fn)  # queued to the store thread

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    @Slot(int, object)
    def _finished(self, job_id: int, result: object) -> None:
        callback = self._callbacks.pop(job_id, None)
        if callback is not None:
            callback(result)

    @Slot(int, str)
    def _failed(self, job_id: int, message: str) -> None:
        self._callbacks.pop(job_id, None)
        self.error.emit(message)

    def stop(self) -> None:
        """Finish queued jobs, then stop the thread."""
        self.thread.quit()
        self.thread.wait()


class EngineWorker(QObject):
    """Owns the engine on the engine thread. Requests arrive as queued signals."""

    load_requested = Signal(str, object, object)  # path, LoadSettings, chat template or None
    chat_requested = Signal(str, str, object)  # conversation id, parent message id, settings

    load_progress = Signal(float)
    loaded = Signal(object)  # LoadedModel
    load_failed = Signal(str, str)  # path, message
    reply_started = Signal(str, str)  # conversation id, message id
    piece = Signal(str, str, str)  # conversation id, message id, text
    reply_finished = Signal(str, str)  # conversation id, message id
    reply_failed = Signal(str, str)  # conversation id, message

    def __init__(self, engine: Engine, store: Store) -> None:
        super().__init__()
        self.engine = engine
        self.store = store
        self.cancel_load = threading.Event()
        self.load_requested.connect(self._load)
        self.chat_requested.connect(self._chat)

    @Slot(str, object, object)
    def _load(self, path: str, settings: LoadSettings, template: str | None) -> None:
        self.cancel_load.clear()

        def progress(fraction: float) -> bool:
            self.load_progress.emit(fraction)
            return not self.cancel_load.is_set()

        try:
            model = self.engine.load(
                Path(path), settings, chat_template=template, on_progress=progress
            )
        except LoadCancelled:
            self.load_failed.emit(path, "")
        except (ModelFileError, EngineError) as exc:
            self.load_failed.emit(path, str(exc))
        except Exception as exc:  # out of memory and the like surface as various errors
            log.exception("model load failed")
            self.load_failed.emit(path, f"llama.cpp could not load {Path(path).name}: {exc}")
        else:
            self.loaded.emit(model)

    @Slot(str, str, object)
    def _chat(self, conversation_id: str, parent_id: str, settings: GenerationSettings) -> None:
        message_id = ""

        def begun(row: Message) -> None:
            nonlocal message_id
            message_id = row.id
            self.reply_started.emit(conversation_id, row.id)

        try:
            parent = self.store.get_message(parent_id)
            for text in reply_to(
                self.store, self.engine, conversation_id, parent, settings, on_begin=begun
            ):
                self.piece.emit(conversation_id, message_id, text)
        except (EngineError, StoreError) as exc:
            self.reply_failed.emit(conversation_id, str(exc))
        except Exception as exc:
            log.exception("reply failed")
            self.reply_failed.emit(conversation_id, f"generation failed: {exc}")
        finally:
            if message_id:
                self.reply_finished.emit(conversation_id, message_id)


class EngineClient(QObject):
    """GUI side of the engine thread."""

    def __init__(self, engine: Engine, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.thread = QThread()
        self.thread.setObjectName("engine")
        self.worker = EngineWorker(engine, store)
        self.worker.moveToThread(self.thread)
        self.thread.start()

    def cancel(self) -> None:
        self.engine.cancel()
        self.worker.cancel_load.set()

    def stop(self) -> None:
        """Stop any reply (it is saved as it ends), then free the model and stop the thread."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()
        self.engine.unload()
