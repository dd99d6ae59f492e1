"""Workers: QObjects living on their own QThreads, talking to the window only through signals.

- ``StoreWorker`` runs every database call off the GUI thread, in order, on the "store" thread.
- ``EngineWorker`` loads models and generates replies on the "engine" thread. Cancelling a reply
  or a load is a flag the GUI thread raises directly, since the engine thread is busy in the
  generation loop and cannot receive a queued signal until it ends. Each reply request carries
  its own flag, made on the GUI thread when the user sends: a Stop pressed before the request
  reaches the engine, or while the prompt is processed, stops that reply.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from chatapp.core.chat.compare import Side, compare_replies
from chatapp.core.chat.service import ChatService
from chatapp.core.config.backends import BackendsError, ServerConfig, api_key
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.docs.service import DocsError, DocsService
from chatapp.core.inference.backend import (
    ChatBackend,
    PromptProgress,
    TextDelta,
    ThinkingDelta,
    TokenCount,
)
from chatapp.core.inference.engine import Engine, EngineError, LoadCancelled, ModelFileError
from chatapp.core.inference.remote import RemoteBackend
from chatapp.core.storage.store import Message, Store, StoreError
from chatapp.ui.i18n import translate
from chatapp.ui.main.servers import RemoteModel

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

    @Slot()
    def drained(self) -> None:
        """Nothing: reached once every job queued before it has run (``StoreClient.stop``)."""

    @Slot(int, object)
    def _run(self, job_id: int, fn: Callable[[Store], Any]) -> None:
        try:
            result = fn(self.store)
        except StoreError as exc:
            self.failed.emit(job_id, str(exc))
        except OSError as exc:  # a small file beside the store (library.json) cannot be saved
            log.warning("%s", exc)
            self.failed.emit(job_id, str(exc))
        except Exception as exc:  # a bug: report it in words rather than lose the window
            log.exception("store job failed")
            self.failed.emit(
                job_id, translate("Workers", "internal error: {error}").format(error=exc)
            )
        else:
            self.finished.emit(job_id, result)


class StoreClient(QObject):
    """The GUI side of ``StoreWorker``: ``call(fn, on_done)`` and forget."""

    error = Signal(str)
    _drain = Signal()

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("store")
        self.worker = StoreWorker(store)
        self.worker.moveToThread(self.worker_thread)
        self._drain.connect(self.worker.drained, Qt.ConnectionType.BlockingQueuedConnection)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, Callable[[Any], None] | None] = {}
        self._errbacks: dict[int, Callable[[str], None]] = {}
        self._pending = 0
        self.worker_thread.start()

    def call(
        self,
        fn: Callable[[Store], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Run ``fn(store)`` on the store thread; ``on_done(result)`` or, when it fails,
        ``on_error(message)`` then runs on the GUI thread (the ``error`` signal fires as well)."""
        job_id = next(self._ids)
        self._callbacks[job_id] = on_done
        if on_error is not None:
            self._errbacks[job_id] = on_error
        self.worker._submitted.emit(job_id, fn)  # queued to the store thread

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    @Slot(int, object)
    def _finished(self, job_id: int, result: object) -> None:
        callback = self._callbacks.pop(job_id, None)
        self._errbacks.pop(job_id, None)
        if callback is not None:
            callback(result)

    @Slot(int, str)
    def _failed(self, job_id: int, message: str) -> None:
        self._callbacks.pop(job_id, None)
        errback = self._errbacks.pop(job_id, None)
        if errback is not None:
            errback(message)
        self.error.emit(message)

    def stop(self) -> None:
        """Finish queued jobs (the last ones may be what closing asked for), then stop the
        thread. A quit alone would leave jobs still queued unrun."""
        if self.worker_thread.isRunning():
            self._drain.emit()  # returns once the store thread has reached it
        self.worker_thread.quit()
        self.worker_thread.wait()


@dataclass(frozen=True)
class DocsOptions:
    """How a reply uses the conversation's documents (Preferences → Documents)."""

    k: int = 5
    min_similarity: float = 0.0


class EngineWorker(QObject):
    """Owns the engine on the engine thread. Requests arrive as queued signals.

    Replies come from the active backend: the local ``Engine``, or a ``RemoteBackend`` once
    ``remote_requested`` chose a server's model (its key is read here, off the GUI thread).
    Loading a local model, or ``remote_requested`` with no server, makes the engine active again
    (the local model stays loaded meanwhile).
    """

    load_requested = Signal(str, object, object)  # path, LoadSettings, chat template or None
    template_requested = Signal(object)  # the loaded model's chat template (None: its own)
    remote_requested = Signal(object, str, bool)  # ServerConfig (None: the engine), model, offline
    offline_requested = Signal(bool)  # offline mode changed: the remote backend obeys it too
    # conversation id, parent message id, settings, the reply's stop flag (threading.Event)
    chat_requested = Signal(str, str, object, object, object)

    load_progress = Signal(float)
    loaded = Signal(object)  # LoadedModel
    template_changed = Signal(object)  # LoadedModel, with its new template_source
    load_failed = Signal(str, str)  # path, message
    reply_started = Signal(str, str)  # conversation id, message id
    piece = Signal(str, str, str)  # conversation id, message id, text
    thinking = Signal(str, str, str)  # conversation id, message id, thinking text
    prompt_progress = Signal(str, int, int)  # message id, prompt tokens done, of total
    token_count = Signal(str, object)  # message id, TokenCount
    reply_finished = Signal(str, str)  # conversation id, message id
    reply_failed = Signal(str, str)  # conversation id, message
    retrieved = Signal(str, object)  # conversation id, Retrieval: what documents gave
    summarising = Signal(str, int)  # conversation id, how many older messages are summarised
    # conv, parent, [settings A, B], cancel, who answers B: None (this model), a local model's
    # Path (loaded beside it for the comparison), or a RemoteModel (runs at the same time)
    compare_requested = Signal(str, str, object, object, object)
    compare_status = Signal(int, str)  # which side, what it is doing ("loading …")
    compare_piece = Signal(int, str)  # which side (0, 1), the text so far
    compare_done = Signal(int, str, str)  # which side, its message id ("" if none), error
    # conversation id, why saving waits (another program's lock); the reply streams on
    save_delayed = Signal(str, str)
    remote_changed = Signal(object)  # the RemoteModel replies now come from, or None: the engine
    remote_failed = Signal(str)  # why the server's model cannot be used (its key, say)

    def __init__(self, engine: Engine, store: Store, docs: DocsService | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.store = store
        # settings come with each request
        self.chats = ChatService(store, GenerationSettings, docs=docs)
        self.cancel_load = threading.Event()
        self.remote: RemoteBackend | None = None
        self.load_requested.connect(self._load)
        self.remote_requested.connect(self._use_remote)
        self.offline_requested.connect(self._set_offline)
        self.chat_requested.connect(self._chat)
        self.compare_requested.connect(self._compare)
        self.template_requested.connect(self._set_template)

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
            self.load_failed.emit(
                path,
                translate("Workers", "llama.cpp could not load {name}: {error}").format(
                    name=Path(path).name, error=exc
                ),
            )
        else:
            self._drop_remote()  # the model just loaded is the one chatted with
            self.loaded.emit(model)

    @Slot(object, str, bool)
    def _use_remote(self, server: ServerConfig | None, model: str, offline: bool) -> None:
        if server is None:
            self._drop_remote()
            return
        try:
            key = api_key(server)
        except BackendsError as exc:
            self.remote_failed.emit(str(exc))
            return
        self._close_remote()
        self.remote = RemoteBackend(server, model, key, offline=offline)
        self.remote_changed.emit(RemoteModel(server, model))

    @Slot(bool)
    def _set_offline(self, offline: bool) -> None:
        if self.remote is not None:
            self.remote.offline = offline

    def _drop_remote(self) -> None:
        if self.remote is not None:
            self._close_remote()
            self.remote_changed.emit(None)

    def _close_remote(self) -> None:
        if self.remote is not None:
            self.remote.close()
            self.remote = None

    @property
    def backend(self) -> ChatBackend:
        """What replies come from now."""
        return self.remote if self.remote is not None else self.engine

    @Slot(object)
    def _set_template(self, template: str | None) -> None:
        try:
            self.engine.set_chat_template(template)
        except EngineError:  # no model loaded any more: nothing to change
            return
        self.template_changed.emit(self.engine.model)

    @Slot(str, str, object, object, object)
    def _compare(
        self,
        conversation_id: str,
        parent_id: str,
        sides: list[GenerationSettings],
        cancel: threading.Event,
        other: Path | RemoteModel | None,
    ) -> None:
        """Compare: one reply to the same message for each settings (``compare_replies``), each
        saved as a version of the reply (the user keeps one on screen). B is this model, another
        local model loaded beside it for the comparison and unloaded after, or a server's model,
        which answers at the same time as A."""
        settings_a, settings_b = sides
        backend_b: ChatBackend = self.backend
        second: Engine | None = None
        remote_b: RemoteBackend | None = None

        def b_cannot_run(why: str) -> None:  # neither side runs: A says "not run", B why
            self.compare_done.emit(0, "", "")
            self.compare_done.emit(1, "", why)

        try:
            if isinstance(other, Path):
                self.compare_status.emit(
                    1, translate("Workers", "loading {name}…").format(name=other.name)
                )
                second = Engine()
                try:
                    loaded = self.engine.model
                    n_ctx = loaded.n_ctx if loaded is not None else 0
                    refused = _too_large_beside(other, n_ctx)
                    if refused is not None:
                        b_cannot_run(refused)
                        return
                    # closing the dialog stops the load too (on_progress False cancels it)
                    second.load(
                        other,
                        LoadSettings(n_ctx=n_ctx),
                        on_progress=lambda _done: not cancel.is_set(),
                    )
                except Exception as exc:
                    b_cannot_run(_reply_error(exc, "compare"))
                    return
                backend_b = second
            elif isinstance(other, RemoteModel):
                try:
                    key = api_key(other.server)
                except BackendsError as exc:
                    b_cannot_run(str(exc))
                    return
                offline = self.remote.offline if self.remote is not None else False
                remote_b = RemoteBackend(other.server, other.model, key, offline=offline)
                backend_b = remote_b
            compare_replies(
                self.chats,
                conversation_id,
                parent_id,
                [  # a server's reply runs beside the other
                    Side(self.backend, settings_a, isinstance(self.backend, RemoteBackend)),
                    Side(backend_b, settings_b, isinstance(backend_b, RemoteBackend)),
                ],
                cancel=cancel,
                on_text=self.compare_piece.emit,
                on_done=lambda side, mid, exc: self.compare_done.emit(
                    side, mid, _reply_error(exc, "compare") if exc is not None else ""
                ),
            )
        finally:
            if second is not None:
                second.unload()
            if remote_b is not None:
                remote_b.close()

    @Slot(str, str, object, object, object)
    def _chat(
        self,
        conversation_id: str,
        parent_id: str,
        settings: GenerationSettings,
        cancel: threading.Event,
        docs: DocsOptions,
    ) -> None:
        message_id = ""

        def begun(row: Message) -> None:
            nonlocal message_id
            message_id = row.id
            self.reply_started.emit(conversation_id, row.id)

        try:
            events = self.chats.reply(
                self.backend,
                conversation_id,
                parent_id,
                settings,
                cancel=cancel,
                on_begin=begun,
                on_save_delayed=lambda why: self.save_delayed.emit(conversation_id, why),
                docs_k=docs.k,
                docs_min_similarity=docs.min_similarity,
                on_retrieved=lambda found: self.retrieved.emit(conversation_id, found),
                on_summarising=lambda n: self.summarising.emit(conversation_id, n),
            )
            for event in events:
                if isinstance(event, TextDelta):
                    self.piece.emit(conversation_id, message_id, event.text)
                elif isinstance(event, ThinkingDelta):
                    self.thinking.emit(conversation_id, message_id, event.text)
                elif isinstance(event, PromptProgress):
                    self.prompt_progress.emit(message_id, event.done, event.total)
                elif isinstance(event, TokenCount):
                    self.token_count.emit(message_id, event)
        except Exception as exc:
            self.reply_failed.emit(conversation_id, _reply_error(exc, "reply"))
        finally:
            if message_id:
                self.reply_finished.emit(conversation_id, message_id)


def _too_large_beside(path: Path, n_ctx: int) -> str | None:
    """Why ``path`` cannot be loaded beside the model in use (for Compare), or None: the fit
    estimate (``core.models.fit``) with what this machine has free now, that model loaded."""
    from chatapp.core.models.fit import Verdict, estimate
    from chatapp.core.models.hardware import machine
    from chatapp.core.models.modelinfo import ModelFileError, read_model_info

    try:
        info = read_model_info(path)
    except ModelFileError as exc:
        return str(exc)
    fit = estimate(info, n_ctx or min(info.context_length or 4096, 8192), machine())
    if fit.verdict != Verdict.TOO_LARGE:
        return None
    return translate(
        "Workers",
        "{name} does not fit beside the model in use ({why}): compare with this model and "
        "other settings, or load the other model instead",
    ).format(name=path.name, why=fit.explanation)


def _reply_error(exc: Exception, what: str) -> str:
    """What the user reads when a reply fails. The environment's errors (the model, the
    store, the documents) say it themselves; anything else is a bug, logged with its
    traceback (call it from the ``except`` block) and said in words."""
    if isinstance(exc, EngineError | StoreError | DocsError):
        return str(exc)
    log.exception("%s failed", what)
    return translate("Workers", "generation failed: {error}").format(error=exc)


class EngineClient(QObject):
    """GUI side of the engine thread."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        parent: QObject | None = None,
        *,
        docs: DocsService | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("engine")
        self.worker = EngineWorker(engine, store, docs)
        self.worker.moveToThread(self.worker_thread)
        self.worker_thread.start()
        self._reply_cancel: threading.Event | None = None

    def new_reply(self) -> threading.Event:
        """The stop flag of the reply about to be asked for, made when the user presses Send:
        ``cancel()`` from now on stops that reply, even before ``chat`` is called."""
        self._reply_cancel = threading.Event()
        return self._reply_cancel

    def chat(
        self,
        conversation_id: str,
        parent_id: str,
        settings: GenerationSettings,
        cancel: threading.Event,
        docs: DocsOptions | None = None,
    ) -> None:
        """Ask for a reply, stopped by ``cancel`` (from ``new_reply``) wherever it is; a
        conversation with document collections is answered with ``docs``' options."""
        self.worker.chat_requested.emit(
            conversation_id, parent_id, settings, cancel, docs or DocsOptions()
        )

    def cancel(self) -> None:
        if self._reply_cancel is not None:
            self._reply_cancel.set()
        self.worker.cancel_load.set()

    def stop(self, deadline_ms: int = 2000) -> None:
        """Stop any reply (it is saved as it ends), then free the model and stop the thread.

        A reply stops within a token or a graph node of prompt processing, and a load within a
        progress step, so the deadline is only a guard against a wedged native call.
        """
        self.cancel()
        self.worker_thread.quit()
        if not self.worker_thread.wait(deadline_ms):
            # Destroying a running QThread aborts the process: say so, and wait it out.
            log.warning("the engine thread did not stop within %d ms; waiting", deadline_ms)
            self.worker_thread.wait()
        self.worker._close_remote()
        self.engine.unload()
