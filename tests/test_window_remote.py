"""The window and remote servers: a reply from a server says so, and the servers' models are
chosen from the status bar and chatted with like the local one. A real OpenAI-compatible server
on 127.0.0.1 (llama-cpp-python's, serving the tiny model), real SQLite, real widgets."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from chatapp.core.chat.service import ChatService
from chatapp.core.config.appsettings import SETTINGS_FILENAME, AppSettings, SettingsFile
from chatapp.core.config.backends import BACKENDS_FILENAME, BackendsFile, ServerConfig
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.metrics import StopReason
from chatapp.core.inference.remote import RemoteBackend
from chatapp.core.storage.store import Store
from chatapp.ui.main.window import MainWindow
from tests.faultproxy import Fault, FaultProxy
from tests.helpers import TIMEOUT, MakeWindow, send, shown_text


def _remote_conversation(data: Path, url: str) -> tuple[str, str]:
    """A conversation whose reply a server ``lab`` wrote (as ``chatapp chat --backend`` does)."""
    backend = RemoteBackend(ServerConfig("lab", url), "tiny", None)
    with Store.open_dir(data) as store:
        chats = ChatService(store, lambda: GenerationSettings(max_tokens=6, seed=1))
        conv, user = chats.send(None, "Hello, server", model="tiny")
        list(chats.reply(backend, conv.id, user.id))
        backend.close()
        reply = store.thread(conv.id)[-1]
        assert reply.backend == "lab" and reply.content
        return conv.id, reply.id


def test_a_reply_from_a_server_says_where_it_came_from(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, openai_server: str
) -> None:
    data = tmp_path / "data"
    conv_id, reply_id = _remote_conversation(data, openai_server)
    window = make_window(data=data)
    window.open_conversation(conv_id)
    qtbot.waitUntil(lambda: reply_id in window.chat_view.widgets, timeout=TIMEOUT)
    user_id = window.thread_messages[0].id
    header = window.chat_view.widgets[reply_id].header
    assert header.text() == "<b>Assistant · tiny · via lab</b>"
    assert header.toolTip() == "from the server lab"
    assert "via" not in window.chat_view.widgets[user_id].header.text()  # "You"


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def _add_servers(data: Path, url: str) -> None:
    """``lab`` (the test server, its key in the keyring) and ``dead`` (nothing listens)."""
    servers = BackendsFile(data / BACKENDS_FILENAME)
    servers.add(ServerConfig("lab", url), key="sk-lab-key")
    servers.add(ServerConfig("dead", _closed_port_url()))


def _open_model_menu(qtbot: QtBot, window: MainWindow) -> list[QAction]:
    """Open the status bar's model menu as a click does; its entries once the servers answered."""
    window.model_menu.popup(window.model_button.mapToGlobal(QPoint(0, 0)))
    qtbot.waitUntil(window.model_menu.isVisible, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.status.asking_servers, timeout=TIMEOUT)
    return window.model_menu.actions()


def _pick(qtbot: QtBot, window: MainWindow, text: str) -> None:
    action = next(a for a in _open_model_menu(qtbot, window) if a.text() == text)
    assert action.isEnabled()
    action.trigger()
    window.model_menu.hide()


def test_a_servers_model_is_chosen_from_the_model_menu_and_chatted_with(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    openai_server: str,
    test_keyring: Path,
) -> None:
    data = tmp_path / "data"
    _add_servers(data, openai_server)
    window = make_window(tiny_model, data=data)
    # asked as the window starts, on the servers thread
    qtbot.waitUntil(lambda: window.status.servers is not None, timeout=TIMEOUT)

    entries = _open_model_menu(qtbot, window)
    texts = [a.text() for a in entries]
    assert "On lab" in texts and "On dead" in texts  # a section per server
    assert "tiny · lab (remote)" in texts
    dead = next(a for a in entries if a.text().startswith("dead: "))
    assert not dead.isEnabled() and "127.0.0.1" in dead.text()  # why, in words
    assert texts.index("Open a GGUF model file…") < texts.index("On lab")  # local ones first
    window.model_menu.hide()

    _pick(qtbot, window, "tiny · lab (remote)")
    qtbot.waitUntil(lambda: window.state.remote is not None, timeout=TIMEOUT)
    assert window.model_button.text() == "tiny · lab (remote) ▾"
    assert window.backend_label.text() == openai_server
    assert not window.context_meter.isVisible()  # the server does not say its context

    pieces: list[str] = []
    window.reply_piece.connect(pieces.append)
    reply_id = send(qtbot, window, "Hello over there")
    assert len(pieces) > 1  # it streamed
    assert shown_text(window, reply_id).strip()
    header = window.chat_view.widgets[reply_id].header.text()
    assert header == "<b>Assistant · tiny · via lab</b>"
    assert window.current is not None
    with Store.open_dir(data) as store:
        assert store.get_conversation(window.current.id).model == "tiny"
        user, reply = store.thread(window.current.id)
        assert user.content == "Hello over there"
        assert (reply.id, reply.model, reply.backend) == (reply_id, "tiny", "lab")
        assert reply.content and reply.metrics is not None

    # the menu marks the model in use; the loaded local model is a click away
    entries = _open_model_menu(qtbot, window)
    assert next(a for a in entries if a.text() == "tiny · lab (remote)").isChecked()
    local = next(a for a in entries if a.toolTip() == str(tiny_model))
    local.trigger()
    window.model_menu.hide()
    qtbot.waitUntil(lambda: window.state.remote is None, timeout=TIMEOUT)
    assert window.model_button.text().startswith("Tiny Test Chat · ")
    local_id = send(qtbot, window, "And here?")
    assert "via" not in window.chat_view.widgets[local_id].header.text()
    with Store.open_dir(data) as store:
        assert store.get_message(local_id).backend is None  # written on this computer


def test_stop_ends_a_servers_reply_and_keeps_its_text(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, fault_proxy: FaultProxy
) -> None:
    data = tmp_path / "data"
    BackendsFile(data / BACKENDS_FILENAME).add(ServerConfig("lab", fault_proxy.url))
    window = make_window(data=data, generation=GenerationSettings(max_tokens=500, seed=1))
    qtbot.waitUntil(lambda: window.status.servers is not None, timeout=TIMEOUT)
    _pick(qtbot, window, "tiny · lab (remote)")
    qtbot.waitUntil(lambda: window.state.remote is not None, timeout=TIMEOUT)
    # the server sends a little, then nothing: only Stop can end this reply
    fault_proxy.fault = Fault(stall_after=1500)
    window.composer.setPlainText("Tell me a long story")
    with qtbot.waitSignal(window.reply_piece, timeout=TIMEOUT):
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert window.stop_button.isVisible()
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert fault_proxy.client_closed.wait(10)  # the server saw the client go
    reply = window.thread_messages[-1]
    assert reply.id == blocker.args[1] and reply.backend == "lab"
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.CANCELLED
    assert reply.content and shown_text(window, reply.id).strip() == reply.content.strip()
    assert window.send_button.isVisible() and not window.stop_button.isVisible()


def test_offline_mode_blocks_servers_that_are_not_local(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, openai_server: str
) -> None:
    data = tmp_path / "data"
    servers = BackendsFile(data / BACKENDS_FILENAME)
    servers.add(ServerConfig("cloud", "http://gpu-box.invalid:8000/v1"))
    servers.add(ServerConfig("here", openai_server))  # 127.0.0.1: nothing leaves the computer
    SettingsFile(data / SETTINGS_FILENAME).save(AppSettings(offline=True))  # File → Work offline
    window = make_window(data=data)
    assert window.offline_action.isChecked()
    entries = _open_model_menu(qtbot, window)
    cloud = next(a for a in entries if a.text().startswith("cloud: "))
    assert cloud.text() == "cloud: offline mode is on (the server is not marked local)"
    assert not cloud.isEnabled()
    window.model_menu.hide()
    _pick(qtbot, window, "tiny · here (remote)")
    qtbot.waitUntil(lambda: window.state.remote is not None, timeout=TIMEOUT)
    # no local model, yet not the first-run screen: there is a model to talk to
    assert not window.first_run.isVisible() and "On the server here" in window.empty_label.text()
    reply_id = send(qtbot, window, "Still here?")
    assert window.chat_view.widgets[reply_id].header.text() == "<b>Assistant · tiny · via here</b>"


def test_servers_are_added_and_removed_in_settings(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, openai_server: str, test_keyring: Path
) -> None:
    import json

    import keyring

    data = tmp_path / "data"
    window = make_window(data=data)
    dialog = window.open_servers()  # Settings → Servers…
    qtbot.waitUntil(lambda: window.servers.listing is not None, timeout=TIMEOUT)
    assert dialog.server_list.count() == 0

    # a URL that is not one is refused at once, in words, and nothing is saved
    qtbot.keyClicks(dialog.name, "lab")
    qtbot.keyClicks(dialog.url, "gpu-box:8000")
    dialog.add_button.click()
    assert "is not a server URL" in dialog.status.text()
    assert not (data / BACKENDS_FILENAME).exists()

    dialog.url.clear()
    qtbot.keyClicks(dialog.url, openai_server)
    qtbot.keyClicks(dialog.key, "sk-typed-in-the-window")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.server_list.count() == 1, timeout=TIMEOUT)
    assert dialog.server_list.item(0).text() == f"lab — {openai_server}: tiny"
    assert dialog.status.text() == "Saved." and dialog.name.text() == ""
    saved = (data / BACKENDS_FILENAME).read_text()
    assert json.loads(saved)["servers"][0]["base_url"] == openai_server
    assert "sk-typed-in-the-window" not in saved  # the key went to the keyring
    assert keyring.get_password("chatapp", "lab") == "sk-typed-in-the-window"
    # its model is in the status bar's menu at once
    assert "tiny · lab (remote)" in [a.text() for a in _open_model_menu(qtbot, window)]
    window.model_menu.hide()

    dialog.server_list.setCurrentRow(0)
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: dialog.server_list.count() == 0, timeout=TIMEOUT)
    assert json.loads((data / BACKENDS_FILENAME).read_text())["servers"] == []
    assert keyring.get_password("chatapp", "lab") is None
    assert "On lab" not in [a.text() for a in _open_model_menu(qtbot, window)]
    window.model_menu.hide()


def test_a_server_whose_key_is_missing_is_not_chosen_and_the_window_says_why(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    openai_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHATAPP_TEST_LAB_KEY", raising=False)
    data = tmp_path / "data"
    BackendsFile(data / BACKENDS_FILENAME).add(
        ServerConfig("lab", openai_server, key_env="CHATAPP_TEST_LAB_KEY")
    )
    window = make_window(tiny_model, data=data)
    qtbot.waitUntil(lambda: window.status.servers is not None, timeout=TIMEOUT)
    line = next(a for a in _open_model_menu(qtbot, window) if a.text().startswith("lab: "))
    assert "$CHATAPP_TEST_LAB_KEY, which is not set" in line.text() and not line.isEnabled()
    window.model_menu.hide()
    # the key is set: the server answers; then it is gone again as the model is chosen (the
    # key is read at that moment, on the engine thread)
    monkeypatch.setenv("CHATAPP_TEST_LAB_KEY", "sk-now")
    entries = _open_model_menu(qtbot, window)
    remote = next(a for a in entries if a.text() == "tiny · lab (remote)")
    monkeypatch.delenv("CHATAPP_TEST_LAB_KEY")
    remote.trigger()
    window.model_menu.hide()
    qtbot.waitUntil(window.banner.isVisible, timeout=TIMEOUT)
    assert "Cannot use the server's model" in window.error_label.text()
    assert "$CHATAPP_TEST_LAB_KEY, which is not set" in window.error_label.text()
    assert window.state.remote is None and window.model_button.text().startswith("Tiny Test Chat")


def test_compare_against_a_servers_model_runs_both_and_names_the_server(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    openai_server: str,
    test_keyring: Path,
) -> None:
    data = tmp_path / "data"
    _add_servers(data, openai_server)
    window = make_window(tiny_model, data=data, generation=GenerationSettings(max_tokens=8))
    qtbot.waitUntil(lambda: window.servers.listing is not None, timeout=TIMEOUT)
    send(qtbot, window, "Name a colour")
    dialog = window.chat_panel.compare()
    assert dialog is not None
    labels = [dialog.model_b.itemText(i) for i in range(dialog.model_b.count())]
    dialog.model_b.setCurrentIndex(labels.index("tiny · lab (remote)"))
    assert dialog.how.text() == "At the same time: B runs on lab."
    with qtbot.waitSignal(dialog.finished_both, timeout=TIMEOUT * 2):
        dialog.run_button.click()
    assert dialog.metas[1].text().startswith("tiny via lab · ")
    with Store.open_dir(data) as store:
        assert store.get_message(dialog.ids[1]).backend == "lab"
        assert store.get_message(dialog.ids[0]).backend is None
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        dialog.keeps[1].click()
    assert dialog.cancel.is_set()  # Keep stops anything still running
    qtbot.waitUntil(lambda: window.state.thread_messages[-1].id == dialog.ids[1], timeout=TIMEOUT)
