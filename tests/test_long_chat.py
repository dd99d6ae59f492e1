"""Long conversations in the chat view: a bounded window of widgets, paging, jumps, widths.

Real widgets (offscreen), no sleeps: everything waits with qtbot.waitUntil.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Message, Store
from chatapp.ui.main.messages import MAX_WIDGETS, ChatView, MessageWidget
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT

REPLY = (
    "Sure, here it is:\n\n```python\ndef mean(xs):\n    return sum(xs) / len(xs)\n```\n\n"
    "It works on any *sequence* of numbers."
)


def thread(n: int) -> list[Message]:
    return [
        Message(
            id=f"m{i}",
            conversation_id="c",
            parent_id=f"m{i - 1}" if i else None,
            role="user" if i % 2 == 0 else "assistant",
            content=f"Question number {i}?" if i % 2 == 0 else f"Answer {i}. {REPLY}",
            created_at="2026-01-01T00:00:00",
            model=None if i % 2 == 0 else "tiny",
        )
        for i in range(n)
    ]


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[ChatView]:
    win = QMainWindow()
    chat = ChatView(win)
    win.setCentralWidget(chat)
    win.resize(1000, 700)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield chat
    chat.clear()


def settled(view: ChatView) -> bool:
    return not view._fill_timer.isActive()


def in_viewport(view: ChatView, w: MessageWidget) -> bool:
    top = w.mapTo(view.viewport(), QPoint(0, 0)).y()
    return w.isVisible() and top >= 0 and top < view.viewport().height()


def count(view: ChatView) -> int:
    return sum(1 for w in view.widget().findChildren(MessageWidget) if w.parent() is not None)


def test_a_long_thread_opens_at_its_end_with_a_bounded_number_of_widgets(
    qtbot: QtBot, view: ChatView
) -> None:
    messages = thread(5000)
    view.show_messages(messages)
    assert 0 < len(view.widgets) <= 12  # the first paint needs only what fills the viewport
    qtbot.waitUntil(lambda: settled(view))
    assert len(view.widgets) <= MAX_WIDGETS
    assert count(view) <= MAX_WIDGETS
    last = view.widgets["m4999"]
    qtbot.waitUntil(lambda: in_viewport(view, last))
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum()  # following the end


def test_ctrl_home_reaches_the_first_message_and_ctrl_end_comes_back(
    qtbot: QtBot, view: ChatView
) -> None:
    view.show_messages(thread(5000))
    qtbot.waitUntil(lambda: settled(view))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "m0" in view.widgets and in_viewport(view, view.widgets["m0"]))
    qtbot.waitUntil(lambda: settled(view))
    assert view.verticalScrollBar().value() == 0
    assert len(view.widgets) <= MAX_WIDGETS
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "m4999" in view.widgets and in_viewport(view, view.widgets["m4999"]))


def test_scrolling_up_adds_older_pages_without_moving_what_is_shown(
    qtbot: QtBot, view: ChatView
) -> None:
    n = 400
    view.show_messages(thread(n))
    qtbot.waitUntil(lambda: settled(view))
    bar = view.verticalScrollBar()
    seen_max = len(view.widgets)
    for _ in range(60):  # drag to the top, again and again, until message 1 is there
        lo = view.lo
        bar.setValue(0)
        top = next(iter(view.widgets.values()))
        offset = top.y() - bar.value()
        if lo == 0:
            break
        qtbot.waitUntil(lambda lo=lo: view.lo < lo and settled(view), timeout=TIMEOUT)
        # the message that was at the top stays where it was on the screen
        assert top.y() - bar.value() == offset
        seen_max = max(seen_max, len(view.widgets), count(view))
    assert view.lo == 0
    assert "m0" in view.widgets
    qtbot.waitUntil(lambda: in_viewport(view, view.widgets["m0"]))
    assert seen_max <= MAX_WIDGETS
    assert f"m{n - 1}" not in view.widgets  # the far end was dropped on the way


def test_scroll_to_a_search_hit_deep_in_the_history_lands_on_it(
    qtbot: QtBot, view: ChatView
) -> None:
    view.show_messages(thread(5000))
    qtbot.waitUntil(lambda: settled(view))
    view.scroll_to("m2500")
    assert "m2500" in view.widgets
    hit = view.widgets["m2500"]
    qtbot.waitUntil(lambda: settled(view) and in_viewport(view, hit))
    assert len(view.widgets) <= MAX_WIDGETS
    assert view.lo <= 2500 < view.hi
    # scrolling on from there pages in both directions
    bar = view.verticalScrollBar()
    lo, hi = view.lo, view.hi
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: view.hi > hi and settled(view))
    bar.setValue(0)
    qtbot.waitUntil(lambda: view.lo < lo and settled(view))


def test_appending_and_showing_the_same_thread_again_keep_the_widgets(
    qtbot: QtBot, view: ChatView
) -> None:
    messages = thread(500)
    view.show_messages(messages)
    qtbot.waitUntil(lambda: settled(view))
    before = dict(view.widgets)
    new = Message(
        id="new",
        conversation_id="c",
        parent_id="m499",
        role="user",
        content="More?",
        created_at="2026-01-01T00:00:01",
    )
    view.append(new)
    assert all(view.widgets[k] is w for k, w in before.items())
    reply = Message(
        id="reply",
        conversation_id="c",
        parent_id="new",
        role="assistant",
        content="",
        created_at="2026-01-01T00:00:02",
        model="tiny",
    )
    view.show_messages([*messages, new, reply])  # what the window does after a send
    assert all(view.widgets[k] is w for k, w in before.items())
    assert "reply" in view.widgets
    view.update_text("reply", "Partial *answer*")
    assert view.widgets["reply"].body.toPlainText() == "Partial answer"
    # every message can be edited (a question) or regenerated (a reply): a new branch
    hidden = [k for k, w in view.widgets.items() if w.action_button and w.action_button.isHidden()]
    assert hidden == []
    view.clear()
    assert view.widgets == {}
    qtbot.waitUntil(lambda: count(view) == 0)


def test_branch_and_busy_apply_to_widgets_built_later(qtbot: QtBot, view: ChatView) -> None:
    view.show_messages(thread(1000))
    view.set_branch("m11", 1, 3)
    view.set_busy(True)
    view.scroll_to("m11")
    w = view.widgets["m11"]
    assert w.branch_label.text() == "2/3"
    assert not w.prev_button.isHidden()
    view.set_busy(False)
    qtbot.waitUntil(lambda: settled(view))


def long_footer_reply() -> Message:
    metrics = ReplyMetrics(
        prompt_tokens=100,
        prompt_eval_tokens=100,
        completion_tokens=4000,
        ttft_ms=1234.0,
        decode_tps=12.3,
        stop_reason=StopReason.MAX_TOKENS,
        dropped_turns=123,
    )
    return Message(
        id="wide",
        conversation_id="c",
        parent_id="m0",
        role="assistant",
        content=(
            "A long unbroken word: "
            + "x" * 400
            + "\n\n```python\nvalue = "
            + "'a very long line of code that goes on' + " * 20
            + "'end'\n```\n"
            + "And a [link](https://example.com/"
            + "p" * 300
            + ")."
        ),
        created_at="2026-01-01T00:00:00",
        model="a-model-with-a-rather-long-name-" + "q" * 80,
        metrics=metrics,
    )


@pytest.mark.parametrize("width", [800, 1024, 1280])
def test_no_message_is_wider_than_the_window(qtbot: QtBot, view: ChatView, width: int) -> None:
    messages = [
        Message(
            id="m0",
            conversation_id="c",
            parent_id=None,
            role="user",
            content="y" * 500,
            created_at="2026-01-01T00:00:00",
        ),
        long_footer_reply(),
    ]
    view.window().resize(width, 600)
    view.show_messages(messages)
    view.set_branch("wide", 0, 2)
    view.set_branch("m0", 1, 2)
    qtbot.waitUntil(lambda: settled(view))
    viewport = view.viewport()

    def fits() -> bool:
        for w in view.widgets.values():
            right = w.mapTo(viewport, QPoint(w.width(), 0)).x()
            if right > viewport.width() or w.body.document().size().width() > w.body.width():
                return False
            for b in (w.copy_button, w.action_button, w.prev_button, w.next_button):
                if b is not None and not b.isHidden() and b.width() < b.sizeHint().width():
                    return False
        return True

    qtbot.waitUntil(fits)
    assert view.widget().width() <= viewport.width()
    # narrower still, then wider again: nothing keeps the old width
    view.window().resize(width - 150, 600)
    qtbot.waitUntil(fits)
    view.window().resize(width, 600)
    qtbot.waitUntil(fits)


def test_a_streamed_reply_ends_as_the_one_shot_document(qtbot: QtBot, view: ChatView) -> None:
    from PySide6.QtWidgets import QTextBrowser

    from chatapp.ui.main.render import render_markdown
    from chatapp.ui.main.render_stream import STATS

    reply = (REPLY + "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n") * 4 + "The end."
    view.show_messages(thread(3))
    placeholder = Message(
        id="s",
        conversation_id="c",
        parent_id="m2",
        role="assistant",
        content="",
        created_at="2026-01-01T00:00:00",
        model="tiny",
    )
    w = view.append(placeholder, streaming=True)
    ref = QTextBrowser()
    STATS.reset()
    for end in range(1, len(reply) + 1, 11):
        view.update_text("s", reply[:end])
        ref.setHtml(render_markdown(reply[:end], dark=False).html)
        lines = [x.strip() for x in w.body.toPlainText().splitlines() if x.strip()]
        expected = [x.strip() for x in ref.toPlainText().splitlines() if x.strip()]
        assert lines == expected
        assert len(w.body.document().rootFrame().childFrames()) == len(
            ref.document().rootFrame().childFrames()
        )
    assert STATS.block_misses <= reply.count("\n\n") + 1  # each finished block rendered once
    view.finish(dataclasses.replace(placeholder, content=reply))
    ref.setHtml(render_markdown(reply, dark=False).html)
    assert w.body.toHtml() == ref.toHtml()
    assert w.code_blocks == render_markdown(reply, dark=False).code_blocks
    assert view.messages[-1].content == reply


def test_the_window_opens_a_5000_message_conversation_from_the_store(
    qtbot: QtBot, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    store = Store.open_dir(data)
    conv = store.create_conversation(model="tiny", system_prompt=None)
    for i in range(5000):
        if i % 2 == 0:
            store.add_message(conv.id, "user", f"Question {i}? " + "w" * (300 if i == 4998 else 0))
        else:
            store.add_message(conv.id, "assistant", f"Answer {i}. {REPLY}", model="tiny")
    first = store.messages(conv.id)[0]
    # a second version of the last question: the "< 1/2 >" switcher
    last = store.messages(conv.id)[4998]
    store.add_message(conv.id, "user", "An edited question", parent_id=last.parent_id)
    store.set_current_leaf(conv.id, store.messages(conv.id)[4999].id)
    settings_file = SettingsFile(data / SETTINGS_FILENAME)
    settings, problem = settings_file.load()
    window = MainWindow(
        store=store,
        engine=Engine(),
        settings_file=settings_file,
        settings=settings,
        settings_problem=problem,
    )
    qtbot.addWidget(window)
    window.resize(800, 600)
    window.show()
    try:
        with qtbot.waitSignal(window.conversation_shown, timeout=20_000):
            window.open_conversation(conv.id)
        view = window.chat_view
        assert len(view.messages) == 5000
        qtbot.waitUntil(lambda: settled(view))
        assert len(view.widgets) <= MAX_WIDGETS
        viewport = view.viewport()
        for w in view.widgets.values():
            assert w.mapTo(viewport, QPoint(w.width(), 0)).x() <= viewport.width()
            for b in (w.copy_button, w.action_button):
                if b is not None and not b.isHidden():
                    assert b.width() >= b.sizeHint().width()
        # a search hit deep in the history
        hit = store.messages(conv.id)[2500]
        with qtbot.waitSignal(window.conversation_shown, timeout=20_000):
            window.open_conversation(conv.id, focus_message=hit.id)
        qtbot.waitUntil(lambda: hit.id in view.widgets and in_viewport(view, view.widgets[hit.id]))
        assert len(view.widgets) <= MAX_WIDGETS
        assert first.id not in view.widgets
        window.new_chat()  # switching away
        assert view.widgets == {}
    finally:
        window.close()
        store.close()
