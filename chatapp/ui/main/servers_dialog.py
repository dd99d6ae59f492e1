"""Settings → Servers…: the OpenAI-compatible servers the window can chat with, added and removed.

What is typed is checked here (names and URLs are plain text rules); saving ``backends.json``
and the key's keyring entry happen on the "servers" thread (``ServersClient``), which then asks
the servers again, and the list below shows that answer.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.config.backends import BackendsError, ServerConfig, check_name, check_url
from chatapp.ui.i18n import translate
from chatapp.ui.main.servers import ServerModels, ServersClient
from chatapp.ui.main.widgets import named

_NAME_ROLE = Qt.ItemDataRole.UserRole  # an item's server name


class ServersDialog(QDialog):
    """The servers, each with its models or what is wrong; a form to add one; Remove."""

    def __init__(self, servers: ServersClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serversDialog")
        self.setWindowTitle(translate("ServersDialog", "Servers"))
        self.servers = servers
        layout = QVBoxLayout(self)
        intro = QLabel(
            translate(
                "ServersDialog",
                "Chat with models on other machines: llama-server, vLLM, Ollama, LM Studio or any "
                "OpenAI-compatible API. Their models appear in the status bar's model menu. Keys "
                "are kept in the system's keyring, never in a file.",
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.server_list = named(
            QListWidget(self), "serverList", translate("ServersDialog", "Servers")
        )
        layout.addWidget(self.server_list, 1)
        self.remove_button = named(
            QPushButton(translate("ServersDialog", "&Remove"), self),
            "removeServer",
            translate("ServersDialog", "Remove server"),
            translate("ServersDialog", "Remove the chosen server from the list"),
        )
        self.remove_button.clicked.connect(self._remove)
        self.remove_button.setEnabled(False)
        self.server_list.currentItemChanged.connect(
            lambda item, _old: self.remove_button.setEnabled(item is not None)
        )
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout.addLayout(row)

        form = QFormLayout()
        self.name = self._field(
            form,
            translate("ServersDialog", "&Name:"),
            "serverName",
            translate("ServersDialog", "Server name"),
            "lab",
        )
        self.url = self._field(
            form,
            translate("ServersDialog", "&URL:"),
            "serverUrl",
            translate("ServersDialog", "Server URL"),
            "http://gpu-box:8000/v1",
        )
        self.key = self._field(
            form,
            translate("ServersDialog", "API &key:"),
            "serverKey",
            translate("ServersDialog", "API key"),
            translate("ServersDialog", "none"),
        )
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.local = named(
            QCheckBox(
                translate("ServersDialog", "On my own &network: offline mode may still use it"),
                self,
            ),
            "serverLocal",
            translate("ServersDialog", "Local server"),
            translate(
                "ServersDialog",
                "Tick for a server on your own network: offline mode still lets you use it",
            ),
        )
        form.addRow("", self.local)
        layout.addLayout(form)
        self.add_button = named(
            QPushButton(translate("ServersDialog", "&Add server"), self),
            "addServer",
            translate("ServersDialog", "Add server"),
            translate("ServersDialog", "Add the server at this address and list its models"),
        )
        self.add_button.clicked.connect(self._add)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        self.status = named(QLabel(self), "serversStatus", translate("ServersDialog", "Status"))
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        servers.changed.connect(self._show)
        servers.saved.connect(self._saved)
        self._show()

    def _field(
        self, form: QFormLayout, label: str, name: str, accessible: str, hint: str
    ) -> QLineEdit:
        edit = named(QLineEdit(self), name, accessible)
        edit.setPlaceholderText(hint)
        caption = QLabel(label, self)
        caption.setBuddy(edit)
        form.addRow(caption, edit)
        return edit

    def _show(self) -> None:
        """The servers as last listed (the "servers" thread's answer)."""
        listing = self.servers.listing
        current = self.server_list.currentItem()
        chosen = current.data(_NAME_ROLE) if current is not None else None
        self.server_list.clear()
        if listing is None:
            item = QListWidgetItem(
                translate("ServersDialog", "Asking the servers…"), self.server_list
            )
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            return
        if listing.problem:
            self.status.setText(listing.problem)
        for answer in listing.servers:
            item = QListWidgetItem(_describe(answer), self.server_list)
            item.setData(_NAME_ROLE, answer.server.name)
            item.setToolTip(answer.server.base_url)
            if answer.server.name == chosen:
                self.server_list.setCurrentItem(item)
        if not listing.servers:
            self.remove_button.setEnabled(False)

    def _add(self) -> None:
        try:
            name = check_name(self.name.text().strip())
            url = check_url(self.url.text())
        except BackendsError as exc:
            self.status.setText(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
            return
        key = self.key.text().strip() or None
        self.status.setText(translate("ServersDialog", "Saving {name}…").format(name=name))
        self.add_button.setEnabled(False)
        self.servers.add(ServerConfig(name, url, local=self.local.isChecked()), key)

    def _remove(self) -> None:
        item = self.server_list.currentItem()
        name = item.data(_NAME_ROLE) if item is not None else None
        if not name:
            return
        self.status.setText(translate("ServersDialog", "Removing {name}…").format(name=name))
        self.remove_button.setEnabled(False)
        self.servers.remove(str(name))

    def _saved(self, problem: str) -> None:
        self.add_button.setEnabled(True)
        if problem:
            self.status.setText(
                translate("ServersDialog", "Not saved: {error}.").format(error=problem)
            )
            return
        self.status.setText(translate("ServersDialog", "Saved."))
        self.name.clear()
        self.url.clear()
        self.key.clear()
        self.local.setChecked(False)


def _describe(answer: ServerModels) -> str:
    """``lab — http://gpu-box:8000/v1 (local): tiny, qwen``"""
    server = answer.server
    mark = translate("ServersDialog", " (local)") if server.local else ""
    if answer.blocked:
        shown = translate("ServersDialog", "not asked: offline mode")
    elif answer.error is not None:
        shown = answer.error
    else:
        shown = (
            ", ".join(answer.models) if answer.models else translate("ServersDialog", "no models")
        )
    return f"{server.name} — {server.base_url}{mark}: {shown}"
