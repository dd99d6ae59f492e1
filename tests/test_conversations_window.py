"""Organising conversations in the window: delete with Undo (and the Delete key), duplicate,
fork from a message, Copy that says so. Real SQLite, real widgets (offscreen)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chatapp.core.chat.service import ChatService
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.storage.store import Store
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow


def seed(data: Path) -> tuple[str, str]:
    """Two conversations; the first has an edited question (two branches)."""
    with Store.open_dir(data) as store:
        first, _ = store.start_conversation("Penguins?")
        a1 = store.begin_reply(first.id, model="m")
        store.checkpoint_reply(a1.id, "They eat krill.")
        store.add_message(first.id, "user", "Penguins, really?", parent_id=None)
        second, _ = store.start_conversation("Tides?")
        return first.id, second.id


def listed(window: MainWindow) -> list[str]:
    return window.sidebar.titles()


def stored(window: MainWindow) -> list[str]:
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        return sorted(c.title for c in store.list_conversations())


def open_listed(qtbot: QtBot, window: MainWindow, title: str) -> None:
    """Open the listed conversation ``title`` and wait until its thread is on screen (the
    newest one opens by itself at start: that may still be on its way)."""
    qtbot.waitUntil(lambda: title in listed(window), timeout=TIMEOUT)

    def shown() -> bool:
        conv, thread = window.current, window.state.thread_messages
        return (
            conv is not None
            and conv.title == title
            and bool(thread)
            and all(m.conversation_id == conv.id for m in thread)
            and set(window.chat_view.widgets) == {m.id for m in thread}
        )

    if not shown():
        items = [window.conv_list.item(i) for i in range(window.conv_list.count())]
        item = next(it for it in items if it.text() == title)
        qtbot.waitUntil(lambda: window.current is not None, timeout=TIMEOUT)  # the first open
        window.conv_list.setCurrentItem(item)
    qtbot.waitUntil(shown, timeout=TIMEOUT)


def test_delete_key_hides_a_conversation_and_undo_brings_it_back(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    open_listed(qtbot, window, "Tides?")
    window.conv_list.setFocus()
    qtbot.keyClick(window.conv_list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: listed(window) == ["Penguins?"], timeout=TIMEOUT)
    assert window.sidebar.undo_bar.isVisible()
    assert window.sidebar.undo_label.text() == "Deleted “Tides?”"
    assert window.current is None  # the deleted chat is not left on screen
    window.sidebar.undo_button.click()
    qtbot.waitUntil(lambda: sorted(listed(window)) == ["Penguins?", "Tides?"], timeout=TIMEOUT)
    assert not window.sidebar.undo_bar.isVisible()
    assert stored(window) == ["Penguins?", "Tides?"]


def test_a_delete_not_undone_is_done_when_its_time_is_up_or_the_window_closes(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    first, second = seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=TIMEOUT)
    window.sidebar.delete_current(second)
    qtbot.waitUntil(lambda: listed(window) == ["Penguins?"], timeout=TIMEOUT)
    assert stored(window) == ["Penguins?", "Tides?"]  # still undoable
    window.sidebar._delete_timer.timeout.emit()  # the bar's time is up
    qtbot.waitUntil(lambda: stored(window) == ["Penguins?"], timeout=TIMEOUT)
    window.sidebar.delete_current(first)
    window.close()
    with Store.open_dir(tmp_path / "data") as store:
        assert store.list_conversations() == []


def test_duplicate_copies_every_branch_and_fork_copies_the_thread_to_a_message(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    first, _ = seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=TIMEOUT)
    window.sidebar.duplicate(first)
    qtbot.waitUntil(lambda: "Penguins? (copy)" in listed(window), timeout=TIMEOUT)
    with Store.open_dir(tmp_path / "data") as store:
        convs = {c.title: c for c in store.list_conversations()}
        original, copy = convs["Penguins?"], convs["Penguins? (copy)"]
        assert len(store.messages(copy.id)) == len(store.messages(original.id)) == 3
        assert [m.content for m in store.thread(copy.id)] == [
            m.content for m in store.thread(original.id)
        ]
        (reply,) = [m for m in store.messages(original.id) if m.role == "assistant"]
        store.set_current_leaf(original.id, reply.id)  # the branch with the reply on screen
    open_listed(qtbot, window, "Penguins?")
    reply_widget = window.chat_view.widgets[reply.id]
    reply_widget.fork_action.trigger()
    qtbot.waitUntil(lambda: "Penguins? (fork)" in listed(window), timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: window.current is not None and window.current.title == "Penguins? (fork)",
        timeout=TIMEOUT,
    )
    with Store.open_dir(tmp_path / "data") as store:
        fork = next(c for c in store.list_conversations() if c.title == "Penguins? (fork)")
        assert [m.content for m in store.thread(fork.id)] == ["Penguins?", "They eat krill."]
        assert len(store.messages(fork.id)) == 2  # the other branch stays behind


def test_copy_says_copied(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    open_listed(qtbot, window, "Tides?")
    (widget,) = window.chat_view.widgets.values()
    widget.copy_button.click()
    assert widget.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: widget.copy_button.text() == "Copy", timeout=TIMEOUT)


def test_fork_keeps_the_settings_and_the_documents(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, GenerationSettings)
        conv, msg = chats.send(None, "Hello", model="m", overrides={"temperature": 0.2})
        store.set_collections(conv.id, ["home"])
        fork = chats.fork(conv.id, msg.id)
        assert fork.settings == {"temperature": 0.2} and fork.collections == ("home",)
        assert fork.current_leaf_id is not None and fork.id != conv.id


def test_the_list_is_grouped_by_date_under_headings(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    import sqlite3

    first, _ = seed(tmp_path / "data")
    conn = sqlite3.connect(tmp_path / "data" / "chatapp.sqlite3")
    conn.execute(
        "UPDATE conversations SET updated_at = '2025-03-04T10:00:00.000Z' WHERE id = ?", (first,)
    )
    conn.commit()
    conn.close()
    window = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=TIMEOUT)
    rows = [window.conv_list.item(i).text() for i in range(window.conv_list.count())]
    assert rows == ["Today", "Tides?", "March 2025", "Penguins?"]
    heading = window.conv_list.item(0)
    assert not heading.flags() & Qt.ItemFlag.ItemIsSelectable


def test_each_message_says_when_it_was_written(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    from datetime import datetime, timedelta

    from chatapp.ui.main.message_widget import message_time

    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC).astimezone()
    assert message_time(now.isoformat(), now) == now.strftime("%H:%M")
    earlier = now - timedelta(days=40)
    assert message_time(earlier.isoformat(), now).endswith(earlier.strftime(", %H:%M"))
    assert message_time("2025-01-05T09:07:00.000Z", now).startswith("5 Jan 2025, ")
    seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    open_listed(qtbot, window, "Tides?")
    (widget,) = window.chat_view.widgets.values()
    assert widget.time_label.text() == message_time(widget.message.created_at)
    assert widget.time_label.text()  # today's: hours and minutes


def test_an_earlier_question_can_be_edited_into_a_new_branch(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from tests.helpers import send

    window = make_window(tiny_model)
    send(qtbot, window, "First question")
    send(qtbot, window, "Second question")
    first = next(m for m in window.state.thread_messages if m.content == "First question")
    widget = window.chat_view.widgets[first.id]
    assert widget.action_button is not None and widget.action_button.isVisible()
    widget.action_button.click()  # Edit, on the first question of four messages
    assert window.composer.toPlainText() == "First question"
    window.composer.clear()
    send(qtbot, window, "First question, put better")
    texts = [m.content for m in window.state.thread_messages]
    assert texts[0] == "First question, put better" and len(texts) == 2
    assert "Second question" not in texts  # it stays on the other branch
    assert len(window.state.versions[window.state.thread_messages[0].id]) == 2


def test_the_versions_tree_shows_every_branch_and_opens_the_one_chosen(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    seed(tmp_path / "data")  # "Penguins?" with its reply, and an edit beside it
    window = make_window(data=tmp_path / "data")
    open_listed(qtbot, window, "Penguins?")
    assert [m.content for m in window.state.thread_messages] == ["Penguins, really?"]
    with qtbot.waitSignal(window.versions.built, timeout=TIMEOUT):
        window.versions_dock.show()
    tree = window.versions.tree
    roots = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [r.text(0) for r in roots] == ["You: Penguins?", "You: Penguins, really?"]
    assert roots[0].child(0).text(0) == "Assistant: They eat krill."
    assert roots[1].font(0).bold() and not roots[0].font(0).bold()  # the path on screen
    tree.setFocus()
    tree.setCurrentItem(roots[0].child(0))
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        qtbot.keyClick(tree, Qt.Key.Key_Return)  # the keyboard chooses a branch too
    assert [m.content for m in window.state.thread_messages] == ["Penguins?", "They eat krill."]
    qtbot.waitUntil(
        lambda: window.versions.items[window.state.thread_messages[1].id].font(0).bold(),
        timeout=TIMEOUT,
    )


def small_context_window(make_window: MakeWindow, model: Path) -> MainWindow:
    """A window whose model has 512 tokens of context and replies in at most 8."""
    from chatapp.core.config.settings import LoadSettings

    return make_window(
        model, load=LoadSettings(n_ctx=512), generation=GenerationSettings(max_tokens=8, seed=1)
    )


def test_a_conversation_nearing_the_end_of_the_context_is_warned_once(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from tests.helpers import send

    window = small_context_window(make_window, tiny_model)
    send(qtbot, window, "short question")
    assert not window.notice.isVisible()
    assert "nearly full" not in window.context_meter.format()
    send(qtbot, window, "tell me more about this " * 18)
    assert window.context_meter.value() >= 0.8 * 512
    assert window.notice.isVisible()
    assert "of the model's context" in window.notice.label.text()
    assert "oldest turns will be left out" in window.notice.label.text()
    assert window.context_meter.format().endswith("nearly full")


def test_a_message_deleted_with_its_replies_comes_back_with_undo(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    first, _ = seed(tmp_path / "data")
    with Store.open_dir(tmp_path / "data") as store:
        (reply,) = [m for m in store.messages(first) if m.role == "assistant"]
        store.set_current_leaf(first, reply.id)
        question = reply.parent_id
    window = make_window(data=tmp_path / "data")
    open_listed(qtbot, window, "Penguins?")
    assert [m.content for m in window.state.thread_messages] == ["Penguins?", "They eat krill."]
    assert question is not None
    window.chat_view.widgets[question].delete_action.trigger()
    qtbot.waitUntil(
        lambda: [m.content for m in window.state.thread_messages] == ["Penguins, really?"],
        timeout=TIMEOUT,
    )
    assert window.notice.isVisible() and window.notice.label.text() == "Deleted 2 messages."
    with Store.open_dir(tmp_path / "data") as store:
        assert len(store.messages(first)) == 1
    window.notice.action.click()  # Undo
    qtbot.waitUntil(
        lambda: (
            [m.content for m in window.state.thread_messages] == ["Penguins?", "They eat krill."]
        ),
        timeout=TIMEOUT,
    )
    with Store.open_dir(tmp_path / "data") as store:
        assert len(store.messages(first)) == 3
        assert store.get_message(reply.id).content == "They eat krill."


def rows(window: MainWindow) -> list[str]:
    return [window.conv_list.item(i).text() for i in range(window.conv_list.count())]


def test_folders_nest_hold_chats_fold_and_give_them_back_when_deleted(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    from chatapp.ui.main.sidebar import ROLE_FOLDER

    first, second = seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    side = window.sidebar
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=TIMEOUT)
    side.new_folder(None, name="Work")
    qtbot.waitUntil(lambda: "▾ Work" in rows(window), timeout=TIMEOUT)
    work = next(f for f in side.folders if f.name == "Work")
    side.new_folder(work.id, name="Birds")
    qtbot.waitUntil(lambda: "    ▾ Birds" in rows(window), timeout=TIMEOUT)
    birds = next(f for f in side.folders if f.name == "Birds")

    def item(text: str):
        return window.conv_list.item(rows(window).index(text))

    # a chat dropped on a folder goes into it (what ConversationList.dropEvent reports)
    side._dropped([item("Penguins?")], item("    ▾ Birds"))
    qtbot.waitUntil(lambda: "        Penguins?" in rows(window), timeout=TIMEOUT)
    assert rows(window)[:3] == ["▾ Work", "    ▾ Birds", "        Penguins?"]
    assert item("    ▾ Birds").data(ROLE_FOLDER) == birds.id
    # folding hides what a folder holds
    side._item_clicked(item("▾ Work"))
    assert rows(window)[0] == "▸ Work" and "        Penguins?" not in rows(window)
    side._item_clicked(item("▸ Work"))
    assert "        Penguins?" in rows(window)
    # a folder cannot go inside its own subfolder
    with qtbot.waitSignal(side.error, timeout=TIMEOUT) as blocker:
        side._dropped([item("▾ Work")], item("    ▾ Birds"))
    assert "cannot go inside itself" in blocker.args[0]
    # dropped on the top level's chats, a chat leaves its folder
    side._dropped([item("        Penguins?")], item("Tides?"))
    qtbot.waitUntil(lambda: "Penguins?" in rows(window), timeout=TIMEOUT)
    side._dropped([item("Penguins?")], item("▾ Work"))
    qtbot.waitUntil(lambda: "    Penguins?" in rows(window), timeout=TIMEOUT)
    # deleting a folder keeps its chats, at the top level
    side.delete_folder(work.id)
    qtbot.waitUntil(lambda: not side.folders, timeout=TIMEOUT)
    assert sorted(listed(window)) == ["Penguins?", "Tides?"]
    with Store.open_dir(tmp_path / "data") as store:
        assert store.folders() == []
        assert {c.id: c.folder_id for c in store.list_conversations()} == {
            first: None,
            second: None,
        }


def test_a_folders_chats_export_together(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    from chatapp.ui.main.export import export_to

    first, _ = seed(tmp_path / "data")
    with Store.open_dir(tmp_path / "data") as store:
        folder = store.create_folder("Birds")
        store.move_conversations([first], folder.id)
    window = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: len(listed(window)) == 2, timeout=TIMEOUT)
    target = tmp_path / "birds.md"
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT):
        export_to(window, target, ids=[c.id for c in window.state.conversations if c.folder_id])
    text = target.read_text()
    assert "# Penguins?" in text and "Tides?" not in text


def test_the_turns_left_out_to_fit_the_context_say_so(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from tests.helpers import send

    window = small_context_window(make_window, tiny_model)
    for i in range(3):
        reply_id = send(qtbot, window, f"question {i}: " + "tell me more about this " * 14)
    thread = window.state.thread_messages
    dropped = window.chat_view.widgets[reply_id].message.metrics
    assert dropped is not None and dropped.dropped_turns >= 1
    shown = [window.chat_view.widgets[m.id].left_out_note.isVisibleTo(window) for m in thread]
    assert shown[: dropped.dropped_turns] == [True] * dropped.dropped_turns
    assert not any(shown[dropped.dropped_turns :])
    assert thread[0].content.startswith("question 0")


def test_a_chat_set_to_summarise_shows_the_summary_and_what_it_stands_for(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from chatapp.core.config.settings import LoadSettings, OverflowPolicy
    from tests.helpers import send

    window = make_window(
        tiny_model,
        load=LoadSettings(n_ctx=1024),
        generation=GenerationSettings(max_tokens=8, seed=1, overflow=OverflowPolicy.SUMMARISE),
    )
    notices: list[str] = []
    window.notice.shown.connect(notices.append)
    for i in range(4):
        reply_id = send(qtbot, window, f"question {i}: " + "tell me more about this " * 14)
    assert any("summarising the earlier" in n for n in notices)  # said while it happened
    assert not window.notice.isVisible() or "summarising" not in window.notice.label.text()
    thread = window.state.thread_messages
    summarised = next(m for m in reversed(thread) if m.summary is not None)
    assert summarised.summary is not None
    block = window.chat_view.widgets[summarised.id].summary
    assert block is not None and block.isVisibleTo(window)
    covers = summarised.summary.covers
    assert block.toggle.text() == f"Summary of the earlier {covers} messages, read in their place"
    assert not block.text.isVisibleTo(window)  # folded until asked
    block.toggle.click()
    assert block.text.isVisibleTo(window) and block.text.text() == summarised.summary.text
    notes = [window.chat_view.widgets[m.id].left_out_note for m in thread]
    assert all(n.isVisibleTo(window) and n.text().startswith("Summarised") for n in notes[:covers])
    assert not any(n.isVisibleTo(window) for n in notes[covers:])
    assert reply_id == thread[-1].id


def test_compare_answers_the_last_question_twice_and_keeps_the_one_chosen(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    from tests.helpers import send

    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=12, seed=1))
    first = send(qtbot, window, "Name a colour")
    dialog = window.chat_panel.compare()
    assert dialog is not None
    dialog.temperature.setValue(1.5)
    dialog.seed.setValue(7)
    with qtbot.waitSignal(dialog.finished_both, timeout=TIMEOUT * 2):
        dialog.run_button.click()
    a, b = dialog.ids
    assert a and b and a != b and first not in (a, b)
    assert "tok/s" in dialog.metas[0].text() and "tok/s" in dialog.metas[1].text()
    assert dialog.views[1].toPlainText()
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        dialog.keeps[1].click()  # Keep B
    qtbot.waitUntil(lambda: window.state.thread_messages[-1].id == b, timeout=TIMEOUT)
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        assert window.current is not None
        replies = [m for m in store.messages(window.current.id) if m.role == "assistant"]
        assert {first, a, b} <= {m.id for m in replies}  # every reply kept as a version


def test_compare_against_a_second_local_model_loads_it_beside_and_names_both(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, eos_model: Path
) -> None:
    from tests.helpers import send

    window = make_window(eos_model, generation=GenerationSettings(max_tokens=12, seed=1))
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.load_model(tiny_model)  # the EOS model is now a recent one, not loaded
    first = send(qtbot, window, "Name a colour")
    dialog = window.chat_panel.compare()
    assert dialog is not None
    labels = [dialog.model_b.itemText(i) for i in range(dialog.model_b.count())]
    assert labels[0] == "This model, other settings"
    assert not any("Tiny Test Chat" in label for label in labels)  # the loaded one is A
    index = next(i for i, label in enumerate(labels) if label.startswith("Tiny EOS"))
    dialog.model_b.setCurrentIndex(index)
    assert dialog.other == eos_model and "loaded beside this one" in dialog.how.text()
    with qtbot.waitSignal(dialog.finished_both, timeout=TIMEOUT * 2):
        dialog.run_button.click()
    a, b = dialog.ids
    assert a and b and first not in (a, b)
    assert dialog.metas[1].text().startswith("Tiny EOS")  # who answered, then the metrics
    assert dialog.metas[0].text().startswith("Tiny Test Chat")
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        assert "EOS" in (store.get_message(b).model or "")
        assert "EOS" not in (store.get_message(a).model or "")
    dialog.reject()
    assert window.state.model is not None and window.state.model.info.path == tiny_model


def test_compare_refuses_a_second_model_that_does_not_fit_beside_the_first(
    qtbot: QtBot,
    make_window: MakeWindow,
    tiny_model: Path,
    eos_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chatapp.core.models import hardware
    from tests.helpers import send

    window = make_window(eos_model, generation=GenerationSettings(max_tokens=8, seed=1))
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.load_model(tiny_model)
    send(qtbot, window, "Name a colour")
    # a machine with 1 MB free once the first model is loaded
    monkeypatch.setattr(hardware, "machine", lambda: hardware.Machine(2**20, 2**30, ()))
    dialog = window.chat_panel.compare()
    assert dialog is not None
    labels = [dialog.model_b.itemText(i) for i in range(dialog.model_b.count())]
    dialog.model_b.setCurrentIndex(next(i for i, t in enumerate(labels) if "EOS" in t))
    dialog.run_button.click()
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled(), timeout=TIMEOUT)
    said = dialog.metas[1].text()
    assert "tiny-eos.gguf does not fit beside the model in use (needs about" in said
    assert dialog.metas[0].text() == "not run" and dialog.ids == ["", ""]
    assert not dialog.keeps[0].isEnabled() and not dialog.keeps[1].isEnabled()
    dialog.reject()  # a modal dialog left open would take the next tests' keys
