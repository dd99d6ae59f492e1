"""The window and remote servers: a reply from a server says so, and the servers' models are
chosen from the status bar and chatted with like the local one. A real OpenAI-compatible server
on 127.0.0.1 (llama-cpp-python's, serving the tiny model), real SQLite, real widgets."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from chatapp.core.chat.service import ChatService
from chatapp.core.config.backends import ServerConfig
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.remote import RemoteBackend
from chatapp.core.storage.store import Store
from tests.helpers import TIMEOUT, MakeWindow


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
