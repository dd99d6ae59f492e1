"""The keyboard alone: every command has a key, the menus have mnemonics, Help lists the keys,
and a whole session (open a model, chat, search, rename, export) needs no mouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMenu, QWidget
from pytestqt.qtbot import QtBot

from chatapp.ui.main.message_widget import MessageWidget
from chatapp.ui.main.shortcuts_dialog import ShortcutsDialog
from chatapp.ui.main.widgets import announcements
from tests.helpers import TIMEOUT, MakeWindow, send


def _focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def _active(qtbot: QtBot, window: QWidget) -> None:
    """The window active, with the focus in it: its shortcuts work (as for a user)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow() and QApplication.focusWidget() is not None)


class _NoMouse(QObject):
    """Counts the mouse events any widget gets (a keyboard-only test must see none)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[QEvent.Type] = []

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        ):
            self.seen.append(event.type())
        return False


def _mnemonic(text: str) -> str | None:
    at = text.replace("&&", "").find("&")
    return text.replace("&&", "")[at + 1].lower() if at >= 0 else None


def _menus(menu: QMenu, where: str) -> list[tuple[str, QMenu]]:
    found = [(where, menu)]
    for action in menu.actions():
        sub = action.menu()
        if isinstance(sub, QMenu):
            found += _menus(sub, f"{where} → {action.text()}")
    return found


def test_every_menu_command_has_a_mnemonic_of_its_own(make_window: MakeWindow) -> None:
    window = make_window()
    bar = window.menuBar().actions()
    letters = [_mnemonic(a.text()) for a in bar]
    assert None not in letters and len(set(letters)) == len(letters), letters
    problems = []
    for top in bar:
        menu = top.menu()
        assert isinstance(menu, QMenu)
        for where, each in _menus(menu, top.text()):
            mine = [a for a in each.actions() if not a.isSeparator() and a.text()]
            keys = [_mnemonic(a.text()) for a in mine]
            problems += [
                f"{where}: {a.text()!r} has no &" for a, k in zip(mine, keys, strict=True) if not k
            ]
            dup = {k for k in keys if k and keys.count(k) > 1}
            problems += [f"{where}: more than one &{k}" for k in sorted(dup)]
    assert not problems, "\n".join(problems)


def test_help_lists_every_shortcut_read_from_the_actions_themselves(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    _active(qtbot, window)
    qtbot.keyClick(window.composer, Qt.Key.Key_F1)  # Help → Keyboard shortcuts…
    dialog = window.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    listed = {(r[1], r[2]) for r in dialog.rows}
    native = QKeySequence.SequenceFormat.NativeText
    wanted = {
        (a.text().replace("&", ""), ", ".join(k.toString(native) for k in a.shortcuts()))
        for a in window.actions()
        if a.shortcuts()
    }
    assert len(wanted) >= 15 and wanted <= listed, wanted - listed
    table = dialog.table
    shown = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert ("Search", QKeySequence(QKeySequence.StandardKey.Find).toString(native)) in shown
    assert ("Clear the search", "Esc") in shown
    # a command added later is listed the next time: nothing to keep up to date by hand
    extra = QAction("Frobnicate", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+F"))
    window.addAction(extra)
    assert ("Frobnicate", "Ctrl+Alt+F") in {(r[1], r[2]) for r in window.show_shortcuts().rows}


def test_esc_clears_the_search_box_and_down_goes_to_the_messages_found(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    send(qtbot, window, "Name a colour")
    _active(qtbot, window)
    qtbot.keyClick(window.composer, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert _focused() is window.search_box
    said: list[str] = []
    announcements.said.connect(lambda text, _assertive: said.append(text))
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.keyClicks(window.search_box, "colour")
    assert window.results.isVisible() and window.results.count() == 1
    assert said == ["1 message found"]  # once, when the results came: not per key typed
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    assert _focused() is window.results and window.results.currentRow() == 0
    qtbot.keyClick(window.results, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    window.search_box.setFocus()
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    assert window.search_box.text() == "" and not window.results.isVisible()
    assert _focused() is window.search_box


def test_each_message_action_and_its_menu_are_reached_from_the_keyboard(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    reply = send(qtbot, window, "Name a colour")
    widget = window.chat_view.widgets[reply]
    _active(qtbot, window)
    window.composer.setFocus()
    reached: set[str] = set()
    for _ in range(30):  # backwards from the message box, into the reply's buttons
        qtbot.keyClick(_focused(), Qt.Key.Key_Backtab)
        if widget.isAncestorOf(_focused()):
            reached.add(_focused().objectName())
        if _focused() is widget.copy_button:
            break
    assert {"regenerate", "messageMore", "copyMessage"} <= reached
    qtbot.keyClick(_focused(), Qt.Key.Key_Space)  # Copy
    assert QApplication.clipboard().text() == widget.text
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    assert _focused() is widget.more_button
    chosen: list[str] = []

    def in_the_menu() -> None:  # the menu runs its own loop: act in it from a timer
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        chosen.extend(a.text() for a in menu.actions())
        qtbot.keyClick(menu, Qt.Key.Key_Down)  # Fork
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(200, in_the_menu)
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        qtbot.keyClick(widget.more_button, Qt.Key.Key_Space)
    assert chosen and chosen[0].startswith("Fork")
    qtbot.waitUntil(lambda: len(window.conversations) == 2, timeout=TIMEOUT)


@pytest.mark.parametrize("export_as", [".md"])
def test_a_session_from_the_keyboard_alone_open_a_model_chat_search_rename_export(
    qtbot: QtBot,
    make_window: MakeWindow,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    export_as: str,
) -> None:
    # the file dialogs are the system's: they answer at once, as a user choosing would
    target = tmp_path / f"colours{export_as}"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(tiny_model), ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    window = make_window()
    mouse = _NoMouse()
    QApplication.instance().installEventFilter(mouse)  # type: ignore[union-attr]
    _active(qtbot, window)
    ctrl = Qt.KeyboardModifier.ControlModifier
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        qtbot.keyClick(_focused(), Qt.Key.Key_O, ctrl)  # File → Open model…
    # chat
    assert _focused() is window.composer
    qtbot.keyClicks(window.composer, "Name a colour")
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT):
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.conversations) == 1, timeout=TIMEOUT)
    # search, and open what was found
    qtbot.keyClick(_focused(), Qt.Key.Key_F, ctrl)
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.keyClicks(_focused(), "colour")
    qtbot.keyClick(_focused(), Qt.Key.Key_Down)
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    # rename: F2 edits the title in the list
    found = _focused()  # the message found, scrolled to, with the focus (a screen reader says it)
    assert isinstance(found, MessageWidget) and found.message.content == "Name a colour"
    qtbot.keyClick(found, Qt.Key.Key_F, ctrl)
    with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
        qtbot.keyClick(_focused(), Qt.Key.Key_Escape)  # the search cleared
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)  # the conversation list
    assert _focused() is window.conv_list
    qtbot.keyClick(_focused(), Qt.Key.Key_F2)
    editor = _focused()
    assert isinstance(editor, QLineEdit) and editor is not window.search_box
    qtbot.keyClick(editor, Qt.Key.Key_A, ctrl)
    qtbot.keyClicks(editor, "Colours")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.sidebar.titles() == ["Colours"], timeout=TIMEOUT)
    # export it
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT):
        qtbot.keyClick(_focused(), Qt.Key.Key_E, ctrl | Qt.KeyboardModifier.ShiftModifier)
    text = target.read_text(encoding="utf-8")
    assert "Colours" in text and "Name a colour" in text
    QApplication.instance().removeEventFilter(mouse)  # type: ignore[union-attr]
    assert mouse.seen == []
