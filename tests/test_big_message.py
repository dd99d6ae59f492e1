"""A conversation holding a huge message (an imported log, a pasted dump): the window opens it at
once and shows its start with a note, Show all and Save to file; the context budget refuses or
drops it without tokenizing it; export still carries all of it.

Real SQLite, real widgets (offscreen), real llama.cpp on the tiny generated models. The messages
are 5 MB (Show all opens it) and 20 MB (over the Show all limit: save only); the thresholds are
the app's own.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from chatapp.core.chat.conversation import history
from chatapp.core.chat.service import PREVIEW_BYTES, ChatService
from chatapp.core.config.settings import GenerationSettings, LoadSettings, OverflowPolicy
from chatapp.core.inference.engine import ContextOverflowError, Engine
from chatapp.core.storage.store import Store
from chatapp.ui.main.text_viewer import SHOW_ALL_BYTES
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow, run_cli

LINE = "2026-11-22 08:52:36.123 INFO worker-3: processed item 123456 in 12 ms — ok ✓\n"


def big_text(n_bytes: int) -> str:
    """About ``n_bytes`` of UTF-8 log lines (not ASCII: multi-byte characters on every line)."""
    line = LINE.encode()
    return LINE * (n_bytes // len(line)) + "the end, line " + "x" * 10


def conversation_with(data: Path, text: str) -> tuple[str, str]:
    """A conversation: a question, the huge text as the user's second turn, then a reply."""
    with Store.open_dir(data) as store:
        conv = store.create_conversation(title="Log dump")
        store.add_message(conv.id, "user", "What does this log say?")
        store.add_message(conv.id, "assistant", "Paste it and I will look.")
        big = store.add_message(conv.id, "user", text)
        store.add_message(conv.id, "assistant", "It is a long log of items processed.")
        return conv.id, big.id


@pytest.fixture(scope="module")
def text5() -> str:
    return big_text(5_000_000)


@pytest.fixture(scope="module")
def text20() -> str:
    return big_text(20_000_000)


# -- the window ----------------------------------------------------------------------------------


def open_window(qtbot: QtBot, make_window: MakeWindow, data: Path, conv_id: str) -> MainWindow:
    window = make_window(data=data)
    qtbot.waitUntil(lambda: window.current is not None, timeout=TIMEOUT)  # opened by itself
    assert window.current is not None and window.current.id == conv_id
    return window


def test_the_window_opens_a_5_mb_message_with_its_start_a_note_and_show_all(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, text5: str
) -> None:
    conv_id, big_id = conversation_with(tmp_path / "data", text5)
    window = open_window(qtbot, make_window, tmp_path / "data", conv_id)
    qtbot.waitUntil(lambda: big_id in window.chat_view.widgets, timeout=TIMEOUT)
    w = window.chat_view.widgets[big_id]
    qtbot.waitUntil(w.note_box.isVisible, timeout=TIMEOUT)
    assert w.truncated
    size = len(text5.encode())
    assert w.note.text().startswith(f"Showing the first 64.0 KB of {size / 1e6:.1f} MB")
    shown = w.body.toPlainText()
    assert text5.startswith(shown) and PREVIEW_BYTES // 2 < len(shown.encode()) <= PREVIEW_BYTES
    assert w.show_all_button.isVisible() and w.save_button.isVisible()
    assert not w.copy_button.isVisible()  # the whole text is one click away, not 5 MB pasted
    # the messages around it look as always
    last = window.chat_view.widgets[window.thread_messages[-1].id]
    assert last.body.toPlainText().strip() == "It is a long log of items processed."
    # the window's own copy of the thread holds the start only
    held = {m.id: m for m in window.thread_messages}[big_id]
    assert held.partial and held.full_size == size and len(held.content) < PREVIEW_BYTES

    w.show_all_button.click()
    qtbot.waitUntil(lambda: window.chat_panel.viewer is not None, timeout=TIMEOUT)
    viewer = window.chat_panel.viewer
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.complete, timeout=TIMEOUT)
    assert viewer.isVisible() and viewer.text() == text5
    assert "The whole message: " in viewer.status.text()
    viewer.close()


def test_save_to_file_writes_the_whole_20_mb_text_byte_for_byte(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    text20: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(text20.encode()) > SHOW_ALL_BYTES
    conv_id, big_id = conversation_with(tmp_path / "data", text20)
    window = open_window(qtbot, make_window, tmp_path / "data", conv_id)
    qtbot.waitUntil(lambda: big_id in window.chat_view.widgets, timeout=TIMEOUT)
    w = window.chat_view.widgets[big_id]
    qtbot.waitUntil(w.note_box.isVisible, timeout=TIMEOUT)
    assert "of 20.0 MB" in w.note.text() and "save it" in w.note.text()
    assert not w.show_all_button.isVisible()  # too long for the viewer: saving only
    target = tmp_path / "out" / "log.txt"
    target.parent.mkdir()
    asked: list[str] = []

    def choose(_parent: object, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    with qtbot.waitSignal(window.chat_panel.message_saved, timeout=TIMEOUT) as saved:
        w.save_button.click()
    assert asked and asked[0].endswith(f"message-{big_id[:8]}.txt")
    assert saved.args == [str(target), len(text20.encode())]
    assert target.read_bytes() == text20.encode()
    assert f"Saved 20.0 MB to {target}" in w.note.text()
    assert [p.name for p in target.parent.iterdir()] == ["log.txt"]  # no temporary left


def test_saving_where_it_cannot_be_written_says_so(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    text5: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conv_id, big_id = conversation_with(tmp_path / "data", text5)
    window = open_window(qtbot, make_window, tmp_path / "data", conv_id)
    qtbot.waitUntil(lambda: big_id in window.chat_view.widgets, timeout=TIMEOUT)
    missing = tmp_path / "no-such-folder" / "log.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(missing), ""))
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        window.chat_view.widgets[big_id].save_button.click()
    assert shown.args[0].startswith(f"Could not save the message: cannot write {missing}")
    assert window.error_label.isVisible()


def test_a_huge_message_cannot_be_put_in_the_composer_to_edit(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, text5: str
) -> None:
    conv_id, big_id = conversation_with(tmp_path / "data", text5)
    window = open_window(qtbot, make_window, tmp_path / "data", conv_id)
    qtbot.waitUntil(lambda: big_id in window.chat_view.widgets, timeout=TIMEOUT)
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        window.edit_message(big_id)
    assert "too long to edit here (5.0 MB)" in shown.args[0]
    assert window.composer.toPlainText() == "" and window.editing is None


def test_sending_in_the_window_drops_the_huge_turn_and_answers(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, text5: str, tiny_model: Path
) -> None:
    conversation_with(tmp_path / "data", text5)
    window = make_window(tiny_model, data=tmp_path / "data")
    qtbot.waitUntil(lambda: window.current is not None, timeout=TIMEOUT)
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as done:
        window.send("And now?")
    reply = {m.id: m for m in window.thread_messages}[done.args[1]]
    # the huge turn, everything before it, and the reply to it (the kept part starts with "you")
    assert reply.metrics is not None and reply.metrics.dropped_turns == 4
    footer = window.chat_view.widgets[reply.id].meta.text()
    assert "4 old messages left out to fit" in footer and reply.metrics.completion_tokens > 0
    assert not window.error_label.isVisible()


# -- the context budget --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Engine:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=1024))
    return e


def test_the_engine_refuses_a_huge_last_message_at_once(engine: Engine, text20: str) -> None:
    settings = GenerationSettings(max_tokens=16)
    started = time.perf_counter()
    with pytest.raises(ContextOverflowError) as refused:
        engine.stream_chat([{"role": "user", "content": text20}], settings)
    assert time.perf_counter() - started < 2  # no tokenizing 20 MB (that takes minutes)
    assert str(refused.value).startswith(
        "your message of 20.0 MB cannot fit the context of 1024 tokens"
    )


def test_an_old_huge_turn_is_dropped_or_refused_by_the_policy(
    engine: Engine, tmp_path: Path, text20: str
) -> None:
    conv_id, _big_id = conversation_with(tmp_path / "data", text20)
    with Store.open_dir(tmp_path / "data") as store:
        store.add_message(conv_id, "user", "hi")
        limit = engine.message_limit(GenerationSettings())
        assert limit is not None and limit < 1_000_000
        turns = history(store, conv_id, limit=limit)
        # the 20 MB turn is not read: only its start and its size
        assert turns[2]["size"] == len(text20.encode()) and len(turns[2]["content"]) <= limit
        reply = engine.stream_chat(turns, GenerationSettings(max_tokens=4, seed=1))
        metrics = reply.run()
        assert reply.dropped_turns == 4 and metrics.dropped_turns == 4  # it and all before it
        assert metrics.completion_tokens == 4
        refuse = GenerationSettings(max_tokens=4, overflow=OverflowPolicy.REFUSE)
        with pytest.raises(ContextOverflowError, match=r"^a message of 20\.0 MB cannot fit"):
            engine.stream_chat(turns, refuse)
        # the whole text, read in full, is refused as fast
        full = history(store, conv_id)
        assert full[2]["content"] == text20
        with pytest.raises(ContextOverflowError, match="allow dropping old turns"):
            engine.stream_chat(full, refuse)


# -- the command line ----------------------------------------------------------------------------


def exported(tmp_path: Path, text: str) -> Path:
    """An export file whose conversation holds ``text``, as `chatapp import` reads it."""
    data = tmp_path / "source"
    conversation_with(data, text)
    out = tmp_path / "export.json"
    r = run_cli("export", "--data-dir", data, "-o", out)
    assert r.returncode == 0, r.stderr
    return out


def test_chat_continue_drops_the_huge_turn_and_answers_and_export_keeps_it(
    tmp_path: Path, tiny_model: Path, text20: str
) -> None:
    data = tmp_path / "data"
    r = run_cli("import", "--data-dir", data, exported(tmp_path, text20))
    assert r.returncode == 0, r.stderr
    doc = json.loads(run_cli("export", "--data-dir", data).stdout)
    conv_id = doc["conversations"][0]["id"]
    args = ("chat", "--data-dir", data, "--model", tiny_model, "--ctx", "1024")
    started = time.perf_counter()
    r = run_cli(*args, "--max-tokens", "5", "--continue", conv_id, "hi")
    assert time.perf_counter() - started < 30  # a process, a model load, 5 tokens
    assert r.returncode == 0, r.stderr
    assert "4 old turns dropped to fit the context" in r.stderr, r.stderr
    assert r.stdout.strip()

    refused = run_cli(*args, "--refuse-overflow", "--continue", conv_id, "hi again")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert lines[0].startswith("chatapp: a message of 20.0 MB cannot fit the context of 1024")
    assert lines[0].endswith(f"(conversation {conv_id})")

    # the export still carries the whole message, byte for byte
    again = json.loads(run_cli("export", "--data-dir", data, "--conversation", conv_id).stdout)
    contents = [m["content"] for m in again["conversations"][0]["messages"]]
    assert text20 in contents


def test_chat_refuses_a_huge_new_message_in_one_line(
    tmp_path: Path, tiny_model: Path, text5: str
) -> None:
    r = run_cli(
        "chat", "--data-dir", tmp_path, "--model", tiny_model, "--ctx", "1024", "-", stdin=text5
    )
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert lines[0].startswith("chatapp: your message of 5.0 MB cannot fit the context of 1024")


def test_the_open_thread_reads_only_the_start_of_a_huge_message(
    tmp_path: Path, text20: str
) -> None:
    conv_id, big_id = conversation_with(tmp_path / "data", text20)
    with Store.open_dir(tmp_path / "data") as store:
        view = ChatService(store, GenerationSettings).open_thread(conv_id)
        big = next(m for m in view.messages if m.id == big_id)
        assert big.partial and big.full_size == len(text20.encode())
        assert text20.startswith(big.content) and len(big.content.encode()) <= PREVIEW_BYTES
        assert [m.partial for m in view.messages] == [False, False, True, False]
        assert store.get_message(big_id).content == text20  # the store keeps all of it
