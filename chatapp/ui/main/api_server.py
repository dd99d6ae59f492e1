"""The window's switch for the local API server: other programs use the model loaded here.

Starting reads the key from the system keyring and binds a socket, so it happens on a thread of
its own; ``ApiServerControl`` reports back through queued signals. The dialog shows the address
and the key, each with a Copy button. The server shares the window's engine; requests take
turns with the window's replies (see ``core.chat.scheduler``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from chatapp.api import DEFAULT_HOST, DEFAULT_PORT
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.engine import Engine
from chatapp.core.storage.store import Store, StoreError
from chatapp.ui.i18n import translate
from chatapp.ui.main.widgets import named

if TYPE_CHECKING:
    from chatapp.api.running import ApiServer


class ApiServerControl(QObject):
    """Starts and stops one ``ApiServer`` on the window's engine, off the GUI thread."""

    started = Signal(str, str, str)  # url, key, where the key is kept
    failed = Signal(str)
    stopped = Signal()

    def __init__(
        self,
        engine: Engine,
        defaults: Callable[[], GenerationSettings],
        data_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.defaults = defaults
        self.data_dir = data_dir  # where API conversations are saved, when that is on
        self._store: Store | None = None
        self.server: ApiServer | None = None  # imported (with uvicorn) when first started
        self.url: str | None = None
        self.key: str | None = None
        self.where = ""
        self.started.connect(self._remember)

    @property
    def running(self) -> bool:
        return self.server is not None

    def start(self, port: int, *, save: bool = False) -> None:
        """Serve on ``port``; ``save``: each chat request and its reply become a conversation
        (through a connection of the API's own to the window's database)."""
        engine, defaults = self.engine, self.defaults

        def run() -> None:
            from chatapp.api.running import ApiServer, ServerError, server_key
            from chatapp.api.server import ServerOptions
            from chatapp.core.chat.service import exchange_saver

            key = server_key()
            store = None
            try:
                if save:
                    store = Store.open_dir(self.data_dir)
                server = ApiServer(
                    engine,
                    ServerOptions(
                        api_key=key.value,
                        defaults=defaults,
                        save=exchange_saver(store) if store is not None else None,
                    ),
                    host=DEFAULT_HOST,
                    port=port,
                )
                server.start()
            except (ServerError, StoreError) as exc:
                if store is not None:
                    store.close()
                self.failed.emit(str(exc))
                return
            self._store = store
            self.server = server
            self.started.emit(server.url, key.value, key.where)

        threading.Thread(target=run, name="api server start", daemon=True).start()

    def _remember(self, url: str, key: str, where: str) -> None:
        self.url, self.key, self.where = url, key, where

    def stop(self) -> None:
        """Stop serving (open streams are cancelled); returns at once, the thread finishes."""
        server, self.server = self.server, None
        store, self._store = self._store, None
        self.url = self.key = None
        if server is not None:
            server.scheduler.cancel_all()  # at once: it only sets stop flags

            def run() -> None:
                server.stop()
                if store is not None:
                    store.close()
                # At quit the window (and this object) may be gone before the server has
                # stopped: then nobody is left to tell.
                with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
                    self.stopped.emit()

            threading.Thread(target=run, name="api server stop", daemon=True).start()


class ApiServerDialog(QDialog):
    """Settings → Local API server…: the switch, the port, the address and the key."""

    def __init__(
        self,
        control: ApiServerControl,
        parent: QWidget | None = None,
        *,
        save: bool = False,
        on_save_changed: Callable[[bool], None] = lambda _on: None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("apiServerDialog")
        self.setWindowTitle(translate("ApiServer", "Local API server"))
        self.setMinimumWidth(560)
        self.control = control
        layout = QVBoxLayout(self)
        intro = QLabel(
            translate(
                "ApiServer",
                "Other programs on this computer can use the model loaded here through an "
                "OpenAI-compatible API. It listens on 127.0.0.1 only and needs the key below.",
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.enabled = named(
            QCheckBox(translate("ApiServer", "&Serve the loaded model")),
            "apiServerEnabled",
            translate("ApiServer", "Serve the loaded model"),
            translate(
                "ApiServer",
                "Let other programs on this computer chat with the loaded model, OpenAI-style",
            ),
        )
        layout.addWidget(self.enabled)
        self.save = named(
            QCheckBox(translate("ApiServer", "Save API c&onversations in the history")),
            "apiServerSave",
            translate("ApiServer", "Save API conversations in the history"),
        )
        self.save.setToolTip(
            translate(
                "ApiServer",
                "Each request and its reply become a conversation (from the next start)",
            )
        )
        self.save.setChecked(save)
        self.save.toggled.connect(on_save_changed)
        layout.addWidget(self.save)
        form = QFormLayout()
        self.port = named(
            QSpinBox(),
            "apiServerPort",
            translate("ApiServer", "Port"),
            translate("ApiServer", "The port the server listens on, on this computer only"),
        )
        self.port.setRange(1024, 65535)
        self.port.setValue(DEFAULT_PORT)
        port_label = QLabel(translate("ApiServer", "&Port:"))
        port_label.setBuddy(self.port)
        form.addRow(port_label, self.port)
        self.url = self._copyable(
            form,
            translate("ApiServer", "&Address:"),
            "apiServerUrl",
            translate("ApiServer", "Address"),
            translate("ApiServer", "The address other programs send their requests to"),
        )
        self.key = self._copyable(
            form,
            translate("ApiServer", "&Key:"),
            "apiServerKey",
            translate("ApiServer", "Key"),
            translate("ApiServer", "The key other programs must send with each request"),
        )
        layout.addLayout(form)
        self.status = QLabel()
        self.status.setObjectName("apiServerStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        control.started.connect(self._started)
        control.failed.connect(self._failed)
        self._show()
        self.enabled.toggled.connect(self._toggled)

    def _copyable(
        self, form: QFormLayout, label: str, name: str, accessible: str, description: str
    ) -> QLineEdit:
        edit = named(QLineEdit(), name, accessible, description)
        edit.setReadOnly(True)
        copy = named(
            QPushButton(translate("ApiServer", "Copy")),
            f"{name}Copy",
            translate("ApiServer", "Copy: {what}").format(what=accessible),
            translate("ApiServer", "Copy it to the clipboard"),
        )
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(edit.text()))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(copy)
        caption = QLabel(label)
        caption.setBuddy(edit)
        form.addRow(caption, row)
        return edit

    def _show(self) -> None:
        c = self.control
        self.enabled.setChecked(c.running)
        self.port.setEnabled(not c.running)
        self.url.setText(c.url or "")
        self.key.setText(c.key or "")
        if c.running:
            self.status.setText(
                translate("ApiServer", "Serving. The key is {where}.").format(
                    where=translate("ApiServer", "kept in the system keyring")
                    if c.where == "kept in the system keyring"  # core's words for it
                    else c.where
                )
            )
        elif not self.status.text():
            self.status.setText(translate("ApiServer", "Not serving."))

    def _toggled(self, on: bool) -> None:
        if on and not self.control.running:
            self.status.setText(translate("ApiServer", "Starting…"))
            self.port.setEnabled(False)
            self.control.start(self.port.value(), save=self.save.isChecked())
        elif not on and self.control.running:
            self.control.stop()
            self.status.setText(translate("ApiServer", "Stopped."))
            self._show()

    def _started(self, _url: str, _key: str, _where: str) -> None:
        self._show()

    def _failed(self, message: str) -> None:
        self.status.setText(
            translate("ApiServer", "The server could not start: {error}").format(error=message)
        )
        self.enabled.blockSignals(True)
        self.enabled.setChecked(False)
        self.enabled.blockSignals(False)
        self.port.setEnabled(True)
