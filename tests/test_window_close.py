"""Closing the window takes under a second whatever the model is doing, and keeps the reply;
Stop pressed before the first token ends the reply with nothing (real llama.cpp, real SQLite)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.metrics import StopReason
from chatapp.core.storage.store import Message, Store
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow

CLOSE_LIMIT = 1.0  # seconds, whatever is running


def _close(window: MainWindow) -> float:
    began = time.monotonic()
    window.close()
    return time.monotonic() - began


def _saved_reply(window: MainWindow, conv_id: str) -> Message:
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        return store.thread(conv_id)[-1]


def test_closing_while_a_reply_streams_takes_under_a_second_and_keeps_it(
    qtbot: QtBot, make_window: MakeWindow, long_model: Path
) -> None:
    window = make_window(
        long_model,
        generation=GenerationSettings(max_tokens=30_000, seed=1),
        load=LoadSettings(n_ctx=32768),
    )
    window.composer.setPlainText("write forever")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.stream is not None and len(window.stream.text) > 50, timeout=TIMEOUT
    )
    assert window.current is not None and window.stream is not None
    conv_id, received = window.current.id, window.stream.text

    took = _close(window)

    assert took < CLOSE_LIMIT, took
    reply = _saved_reply(window, conv_id)
    assert reply.role == "assistant" and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert reply.content.startswith(received)  # what had arrived is kept, and no more is lost


def test_closing_while_a_long_prompt_is_read_takes_under_a_second(
    qtbot: QtBot, make_window: MakeWindow, long_model: Path
) -> None:
    # ~16k prompt tokens, 32 at a time: several seconds of prompt processing on a CPU
    window = make_window(
        long_model,
        generation=GenerationSettings(max_tokens=100, seed=1),
        load=LoadSettings(n_ctx=32768, n_batch=32),
    )
    window.composer.setPlainText("word " * 4000)
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)

    def reading() -> bool:
        s = window.stream
        w = window.chat_view.widgets.get(s.message_id) if s is not None else None
        return w is not None and "reading the prompt" in w.meta.text()

    qtbot.waitUntil(reading, timeout=TIMEOUT)
    assert window.current is not None and window.stream is not None
    assert window.stream.text == ""  # still reading the prompt
    conv_id = window.current.id

    took = _close(window)

    assert took < CLOSE_LIMIT, took
    reply = _saved_reply(window, conv_id)
    assert reply.role == "assistant" and reply.content == "" and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert reply.metrics.completion_tokens == 0


def test_stop_right_after_send_ends_the_reply_with_no_tokens(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=300, seed=1))
    window.composer.setPlainText("hello")
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
        qtbot.keyClick(window, Qt.Key.Key_Escape)  # before the message is even saved
    reply_id = blocker.args[1]
    reply = window.thread_messages[-1]
    assert reply.id == reply_id and reply.content == "" and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert reply.metrics.completion_tokens == 0
    footer = window.chat_view.widgets[reply_id].meta.text()
    assert "stopped" in footer
    assert "first token" not in footer and "tok/s" not in footer
    assert window.send_button.isVisible() and not window.stop_button.isVisible()


def test_a_second_send_before_the_reply_begins_is_refused_and_stop_still_works(
    qtbot: QtBot, make_window: MakeWindow, long_model: Path
) -> None:
    window = make_window(long_model, generation=GenerationSettings(max_tokens=100_000, seed=1))
    window.composer.setPlainText("first")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    window.composer.setPlainText("second")  # Enter again before the first reply has begun
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as refused:
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert "still streaming" in refused.args[0]
    with qtbot.waitSignal(window.reply_piece, timeout=TIMEOUT):
        pass  # the first reply is under way
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as done:
        qtbot.keyClick(window, Qt.Key.Key_Escape)  # and Stop still reaches it
    reply = window.thread_messages[-1]
    assert reply.id == done.args[1] and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert [m.content for m in window.thread_messages if m.role == "user"] == ["first"]
