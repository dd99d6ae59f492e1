"""The remote servers' models, for the status bar's model menu, asked for on the "servers" thread.

Reading ``backends.json`` and the keyring and asking each server for its ``/v1/models`` touch
disk and network, so ``ServersWorker`` does them on a thread of its own (not the engine's: a
slow server must not hold up a reply), and ``ServersClient`` keeps the last answer for the menu.
Adding and removing a server (Settings → Servers…) are saved there too, then listed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from chatapp.core.config.backends import (
    BACKENDS_FILENAME,
    BackendsError,
    BackendsFile,
    ServerConfig,
    api_key,
)
from chatapp.core.inference.remote import RemoteBackend, RemoteError
from chatapp.ui.i18n import translate

log = logging.getLogger(__name__)

# A listing is for a menu: a server that does not answer soon is said to be unreachable.
LIST_CONNECT_TIMEOUT_S = 3.0
LIST_READ_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RemoteModel:
    """A model on a server: what the window chats with instead of the local model."""

    server: ServerConfig
    model: str

    @property
    def label(self) -> str:
        """``tiny · lab (remote)``"""
        remote = translate("Servers", "{model} · {server} (remote)")
        return remote.format(model=self.model, server=self.server.name)


@dataclass(frozen=True)
class ServerModels:
    """One server's answer: its models, or why there are none (in words), or blocked offline."""

    server: ServerConfig
    models: tuple[str, ...] = ()
    error: str | None = None
    blocked: bool = False


@dataclass(frozen=True)
class Listing:
    """Every server's answer, or why ``backends.json`` cannot be read."""

    servers: tuple[ServerModels, ...] = ()
    problem: str | None = None


def list_servers(config: Path, offline: bool) -> Listing:
    """Ask each server in ``config``'s ``backends.json`` for its models (disk and network)."""
    try:
        servers = BackendsFile(config / BACKENDS_FILENAME).load()
    except BackendsError as exc:
        return Listing(problem=str(exc))
    answers: list[ServerModels] = []
    for server in servers:
        if offline and not server.allowed_offline:
            answers.append(ServerModels(server, blocked=True))
            continue
        try:
            backend = RemoteBackend(
                server,
                "",
                api_key(server),
                offline=offline,
                read_timeout=LIST_READ_TIMEOUT_S,
                connect_timeout=LIST_CONNECT_TIMEOUT_S,
            )
            try:
                answers.append(ServerModels(server, tuple(backend.list_models())))
            finally:
                backend.close()
        except (BackendsError, RemoteError) as exc:
            answers.append(ServerModels(server, error=str(exc)))
    return Listing(tuple(answers))


class ServersWorker(QObject):
    """Lists the servers' models on its thread; the answer comes back through ``listed``."""

    list_requested = Signal(bool)  # offline
    listed = Signal(object)  # Listing
    add_requested = Signal(object, object)  # ServerConfig, its key (None: none)
    remove_requested = Signal(str)  # the server's name
    saved = Signal(str)  # "" when the change was saved, else why not, in words

    def __init__(self, config: Path) -> None:
        super().__init__()
        self.config = config
        self.list_requested.connect(self._list)
        self.add_requested.connect(self._add)
        self.remove_requested.connect(self._remove)

    @Slot(object, object)
    def _add(self, server: ServerConfig, key: str | None) -> None:
        try:
            BackendsFile(self.config / BACKENDS_FILENAME).add(server, key)
        except BackendsError as exc:
            self.saved.emit(str(exc))
        else:
            self.saved.emit("")

    @Slot(str)
    def _remove(self, name: str) -> None:
        try:
            BackendsFile(self.config / BACKENDS_FILENAME).remove(name)
        except BackendsError as exc:
            self.saved.emit(str(exc))
        else:
            self.saved.emit("")

    @Slot(bool)
    def _list(self, offline: bool) -> None:
        try:
            listing = list_servers(self.config, offline)
        except Exception as exc:  # a bug: say it in the menu rather than lose the thread
            log.exception("listing the servers failed")
            listing = Listing(
                problem=translate("Servers", "internal error: {error}").format(error=exc)
            )
        self.listed.emit(listing)


class ServersClient(QObject):
    """GUI side: ``refresh(offline)`` asks again, once at a time; ``listing``: the last answer."""

    changed = Signal()
    saved = Signal(str)  # a change to the servers: "" saved (and listed again), else why not

    def __init__(self, config: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listing: Listing | None = None
        self.asking = False
        self.offline = False  # as the last listing was asked for
        self._again: bool | None = None  # asked again while a listing ran: its offline mode
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("servers")
        self.worker = ServersWorker(config)
        self.worker.moveToThread(self.worker_thread)
        self.worker.listed.connect(self._listed)
        self.worker.saved.connect(self._saved)
        self.worker_thread.start()
        self.closed = False

    def refresh(self, offline: bool) -> None:
        if self.closed:
            return
        self.offline = offline
        if self.asking:
            self._again = offline
            return
        self.asking = True
        self.worker.list_requested.emit(offline)
        self.changed.emit()

    @Slot(object)
    def _listed(self, listing: Listing) -> None:
        self.asking = False
        if self.closed:
            return
        self.listing = listing
        self.changed.emit()
        if self._again is not None:
            offline, self._again = self._again, None
            self.refresh(offline)

    def add(self, server: ServerConfig, key: str | None) -> None:
        """Save ``server`` (its key to the keyring) on the servers thread; ``saved`` says how."""
        if not self.closed:
            self.worker.add_requested.emit(server, key)

    def remove(self, name: str) -> None:
        if not self.closed:
            self.worker.remove_requested.emit(name)

    @Slot(str)
    def _saved(self, problem: str) -> None:
        if self.closed:
            return
        if not problem:
            self.refresh(self.offline)
        self.saved.emit(problem)

    def stop(self) -> None:
        """Wait for a listing under way (its timeouts bound it), then stop the thread."""
        self.closed = True
        self.worker_thread.quit()
        self.worker_thread.wait()
