"""The window on real llama.cpp (tiny generated models), real SQLite, real widgets (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import SETTINGS_FILENAME
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.metrics import StopReason
from chatapp.core.storage.store import Store
from tests.helpers import TIMEOUT, MakeWindow, send, shown_text


def test_sending_streams_a_reply_into_the_view_and_the_store(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=300, seed=2))
    assert "Tiny Test Chat" in window.model_button.text()
    assert window.backend_label.text()  # "CPU" or the GPU backend
    pieces: list[str] = []
    window.reply_piece.connect(pieces.append)
    reply_id = send(qtbot, window, "Hello there")
    assert len(pieces) > 10  # it streamed
    assert window.composer.toPlainText() == "" and window.composer.hasFocus()
    text = shown_text(window, reply_id)
    assert len(text) > 50
    assert "tok/s" in window.chat_view.widgets[reply_id].meta.text()
    assert window.context_meter.value() > 300
    assert window.current is not None
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        user, reply = store.thread(window.current.id)
        assert user.content == "Hello there" and reply.id == reply_id
        assert reply.content and reply.metrics is not None
    assert window.sidebar.titles() == ["Hello there"]
    assert window.conv_list.item(0).text() == "Today"  # its date heading


def test_stop_keeps_the_partial_reply(
    qtbot: QtBot, make_window: MakeWindow, long_model: Path
) -> None:
    window = make_window(
        long_model,
        generation=GenerationSettings(max_tokens=30_000, seed=1),
        load=LoadSettings(n_ctx=32768),
    )
    window.composer.setPlainText("write forever")
    with qtbot.waitSignal(window.reply_piece, timeout=TIMEOUT):
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert window.stop_button.isVisible()
    qtbot.waitUntil(lambda: window.stream is not None and len(window.stream.text) > 50)
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    reply_id = blocker.args[1]
    reply = window.thread_messages[-1]
    assert reply.id == reply_id and reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert 0 < reply.metrics.completion_tokens < 30_000
    assert len(reply.content) > 50
    assert shown_text(window, reply_id).strip() == reply.content.strip()
    assert window.send_button.isVisible() and not window.stop_button.isVisible()


def test_regenerate_and_edit_make_branches(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=20, seed=-1))
    first = send(qtbot, window, "question one")
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as blocker:
        window.chat_view.widgets[first].action_button.click()  # Regenerate
    second = blocker.args[1]
    assert second != first
    assert [m.role for m in window.thread_messages] == ["user", "assistant"]
    assert window.thread_messages[-1].id == second
    store = window.db.worker.store
    user = window.thread_messages[0]
    assert {m.id for m in store.children(user.id)} == {first, second}

    user_widget = window.chat_view.widgets[user.id]
    user_widget.action_button.click()  # Edit
    assert window.composer.toPlainText() == "question one"
    window.composer.selectAll()
    qtbot.keyClicks(window.composer, "question two")
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT):
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert [m.content for m in window.thread_messages if m.role == "user"] == ["question two"]
    roots = [
        m for m in store.messages(window.thread_messages[0].conversation_id) if m.parent_id is None
    ]
    assert sorted(m.content for m in roots) == ["question one", "question two"]


def test_switching_conversations_while_a_reply_streams(
    qtbot: QtBot, make_window: MakeWindow, long_model: Path
) -> None:
    window = make_window(
        long_model,
        generation=GenerationSettings(max_tokens=3000, seed=1),
        load=LoadSettings(n_ctx=8192),
    )
    window.composer.setPlainText("first chat")
    with qtbot.waitSignal(window.reply_piece, timeout=TIMEOUT):
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert window.current is not None
    first_id = window.current.id
    window.new_chat()
    assert window.chat_view.widgets == {}
    assert window.stream is not None  # still streaming, into its own conversation
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        window.open_conversation(first_id)
    streaming = window.stream
    if streaming is not None:  # coming back shows it still streaming
        assert streaming.message_id in window.chat_view.widgets
        assert window.chat_view.widgets[streaming.message_id].meta.text() == "generating…"
        qtbot.waitSignal(window.reply_done, timeout=TIMEOUT).wait()
    thread = window.db.worker.store.thread(first_id)
    assert [m.role for m in thread] == ["user", "assistant"]
    assert thread[1].metrics is not None and thread[1].metrics.completion_tokens == 3000


def test_a_new_window_shows_the_same_conversations(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, tmp_path: Path
) -> None:
    window = make_window(tiny_model)
    reply_id = send(qtbot, window, "remember me")
    text = shown_text(window, reply_id)
    conv_id = window.current.id if window.current else ""
    window.close()
    again = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: again.current is not None, timeout=TIMEOUT)
    assert again.current is not None and again.current.id == conv_id  # last one reopened
    assert again.sidebar.titles()[0] == "remember me"
    assert shown_text(again, reply_id) == text


def test_search_finds_a_message_and_opens_it(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    send(qtbot, window, "where is the zanzibar ferry")
    window.new_chat()
    send(qtbot, window, "something else entirely")
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.keyClicks(window.search_box, "zanzibar")
    assert window.results.isVisible() and window.results.count() == 1
    label = window.results.itemWidget(window.results.item(0))
    assert "<b>zanzibar</b>" in label.text().lower()
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        window.results.itemClicked.emit(window.results.item(0))
    assert window.current is not None and window.current.title == "where is the zanzibar ferry"


def test_a_bad_model_file_shows_an_error_and_the_old_model_keeps_chatting(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, truncated_model: Path
) -> None:
    window = make_window(tiny_model)
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as blocker:
        window.load_model(truncated_model)
    assert "truncated" in blocker.args[0] and "Tiny Test Chat is still loaded" in blocker.args[0]
    assert window.banner.isVisible()
    assert "Tiny Test Chat" in window.model_button.text()
    reply_id = send(qtbot, window, "still there?")
    assert shown_text(window, reply_id)


def test_a_corrupt_settings_file_is_set_aside(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / SETTINGS_FILENAME).write_text('{"version": 1, "theme": ', encoding="utf-8")
    window = make_window(data=data)
    assert window.banner.isVisible()
    assert "could not be read" in window.error_label.text()
    backups = list(data.glob(f"{SETTINGS_FILENAME}.broken-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8").startswith('{"version"')
    assert window.settings.generation.max_tokens == 40  # the test's defaults are in force
    assert window.first_run.isVisible()  # no model: the first-run list is offered


def test_html_in_a_reply_is_shown_as_text(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with Store.open_dir(data) as store:
        conv = store.create_conversation(title="html test")
        user = store.add_message(conv.id, "user", "show me html")
        reply = store.begin_reply(conv.id, parent_id=user.id, model="m")
        content = (
            "Here:\n\n<script>alert('x')</script> and <b>bold?</b>\n\n```python\nprint(1)\n```"
        )
        store.checkpoint_reply(reply.id, content)
    window = make_window(data=data)
    qtbot.waitUntil(lambda: reply.id in window.chat_view.widgets, timeout=TIMEOUT)
    shown = shown_text(window, reply.id)
    assert "<script>alert('x')</script>" in shown and "<b>bold?</b>" in shown
    assert "print(1)" in shown
    assert window.chat_view.widgets[reply.id].meta.text() == "interrupted"


def test_every_interactive_widget_is_named(make_window: MakeWindow) -> None:
    from PySide6.QtWidgets import QWidget

    window = make_window()
    unnamed = [
        type(w).__name__
        for w in window.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus
        and w.isVisibleTo(window)
        and not (w.objectName() and w.accessibleName())
        and not w.objectName().startswith("qt_")
    ]
    assert unnamed == []


def test_a_conversation_can_override_the_system_prompt_and_settings(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialogButtonBox

    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=40, seed=1))
    send(qtbot, window, "first")

    def edit() -> None:
        dialog = window.conversation_dialog
        assert dialog is not None
        assert not dialog.chat_template.isVisible()
        dialog.system_prompt.setPlainText("Answer like a pirate.")
        dialog.max_tokens.setValue(7)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, edit)
    window.edit_system_prompt()
    qtbot.waitUntil(lambda: "Answer like a pirate." in window.header.text(), timeout=TIMEOUT)
    assert "max 7 tokens" in window.header.text()
    assert window.settings.generation.max_tokens == 40  # the defaults are untouched
    reply_id = send(qtbot, window, "second")
    reply = window.db.worker.store.get_message(reply_id)
    assert reply.metrics is not None and reply.metrics.completion_tokens == 7
    assert window.current is not None and window.current.system_prompt == "Answer like a pirate."


def test_an_unused_gpu_is_pointed_out_once(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fake for the rare case: this machine has no GPU, so pretend an NVIDIA one is present
    # next to a CPU-only llama.cpp build.
    import chatapp.core.inference.engine as engine_module
    import chatapp.selftest as selftest

    monkeypatch.setattr(selftest, "unused_gpu", lambda: "nvidia")
    monkeypatch.setattr(
        engine_module, "build_info", lambda: engine_module.BuildInfo("CPU", False, "")
    )
    window = make_window()
    qtbot.waitUntil(window.banner.isVisible, timeout=TIMEOUT)
    assert "GPU (nvidia)" in window.error_label.text()
    assert 'CMAKE_ARGS="-DGGML_CUDA=on"' in window.error_label.text()
    qtbot.waitUntil(lambda: not window.db.busy, timeout=TIMEOUT)  # the settings were saved
    window.close()
    again = make_window(data=tmp_path / "data")
    assert again.settings.gpu_hint_shown
    again._gpu_hint()  # what the start-up timer runs
    assert not again.banner.isVisible()


def test_a_first_window_fits_a_small_screen(make_window: MakeWindow) -> None:
    window = make_window()  # no saved geometry; the offscreen screen is 800x800, not 1100 wide
    free = window.screen().availableGeometry()
    assert window.width() <= free.width() and window.height() <= free.height()
