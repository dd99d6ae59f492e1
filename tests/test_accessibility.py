"""Screen readers: every control of every window and dialog has an accessible name, read
through Qt's accessibility tree (QAccessible), as Orca, NVDA and VoiceOver read it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QTabBar,
    QTextEdit,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import AppSettings, Theme
from chatapp.core.models.metadata import read_metadata
from chatapp.ui.main.conversation_settings import ConversationSettingsDialog
from chatapp.ui.main.focus import ring_around, ring_colour
from chatapp.ui.main.message_widget import MessageWidget
from chatapp.ui.main.settings_dialog import SettingsDialog
from chatapp.ui.main.text_viewer import TextViewer
from chatapp.ui.main.theme import apply_theme
from chatapp.ui.main.widgets import announcements
from chatapp.ui.models.metadata_dialog import MetadataDialog
from tests.helpers import TIMEOUT, MakeWindow, send

R = QAccessible.Role
#: The roles a user acts on: each must say what it is.
INTERACTIVE = {
    R.PushButton,
    R.CheckBox,
    R.RadioButton,
    R.ComboBox,
    R.EditableText,
    R.SpinBox,
    R.Slider,
    R.Dial,
    R.List,
    R.ListItem,
    R.Tree,
    R.TreeItem,
    R.Table,
    R.Cell,
    R.PageTab,
    R.PageTabList,
    R.Link,
    R.ButtonMenu,
    R.ButtonDropDown,
    R.ButtonDropGrid,
    R.MenuItem,
    R.HotkeyField,
}


def walk(
    root: QAccessibleInterface | None, path: str = ""
) -> Iterator[tuple[str, QAccessibleInterface]]:
    """Every interface below ``root`` (itself included), with the names above it."""
    if root is None or not root.isValid():
        return
    here = f"{path} > {_describe(root)}" if path else _describe(root)
    yield here, root
    for i in range(root.childCount()):
        yield from walk(root.child(i), here)


def _describe(iface: QAccessibleInterface) -> str:
    obj: QObject | None = iface.object()
    name = iface.text(QAccessible.Text.Name).strip()
    kind = type(obj).__name__ if obj is not None else "item"
    oname = obj.objectName() if obj is not None and obj.objectName() else ""
    said = f" {name[:30]!r}" if name else ""
    return f"{iface.role().name}[{kind}{'#' + oname if oname else ''}]{said}"


def unnamed(widget: QWidget) -> list[str]:
    """The interactive elements of ``widget``'s window (and of its menus) without a name."""
    roots = [widget, *widget.findChildren(QMenu)]
    found = []
    for root in roots:
        for path, iface in walk(QAccessible.queryAccessibleInterface(root)):
            if iface.role() in INTERACTIVE and not iface.text(QAccessible.Text.Name).strip():
                found.append(path)
    return found


#: The widgets a user acts on: each also says what it does (its description; Qt reads the
#: tooltip when none is set). List items, cells and menu items: their name is enough.
DESCRIBED = {
    R.PushButton,
    R.CheckBox,
    R.RadioButton,
    R.ComboBox,
    R.EditableText,
    R.SpinBox,
    R.Slider,
    R.PageTab,
    R.Link,
    R.ButtonMenu,
    R.ButtonDropDown,
}
#: Exempt: the standard dialog buttons whose name says all (and Qt's own tab-bar scroll arrows).
UNDESCRIBED_NAMES = {"OK", "Cancel", "Close"}


def undescribed(widget: QWidget) -> list[str]:
    """The interactive widgets of ``widget``'s window without an accessible description."""
    found = []
    for path, iface in walk(QAccessible.queryAccessibleInterface(widget)):
        if iface.role() not in DESCRIBED or iface.text(QAccessible.Text.Description).strip():
            continue
        obj = iface.object()
        name = iface.text(QAccessible.Text.Name).strip().replace("&", "")
        parent = obj.parent() if obj is not None else None
        if isinstance(parent, QDialogButtonBox) and name in UNDESCRIBED_NAMES:
            continue  # a dialog's own OK, Cancel or Close
        if isinstance(obj, QToolButton) and isinstance(parent, QTabBar):
            continue  # a QTabBar's ScrollLeft/ScrollRight arrows: Qt's, named by Qt
        found.append(path)
    return found


def assert_all_described(widget: QWidget) -> None:
    missing = undescribed(widget)
    assert not missing, f"{len(missing)} control(s) without a description:\n" + "\n".join(missing)


def assert_all_named(widget: QWidget) -> None:
    missing = unnamed(widget)
    assert not missing, f"{len(missing)} element(s) without an accessible name:\n" + "\n".join(
        missing
    )


INPUTS = (QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QAbstractItemView)


def unlabelled(dialog: QWidget) -> list[str]:
    """The form rows whose label does not lead to its field (no buddy: the label's mnemonic
    does nothing, and a screen reader does not connect the two)."""
    found = []
    for form in dialog.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label = label_item.widget() if label_item is not None else None
            if not isinstance(label, QLabel) or not label.text().strip() or field_item is None:
                continue
            inner = field_item.layout()
            fields = (
                [field_item.widget()]
                if inner is None
                else [
                    inner.itemAt(i).widget()
                    for i in range(inner.count())  # type: ignore[union-attr]
                ]
            )
            if any(isinstance(f, INPUTS) for f in fields) and label.buddy() is None:
                found.append(f"{type(dialog).__name__}: {label.text()!r}")
    return found


def interactive(widget: QWidget) -> int:
    """How many interactive elements the walk met (so an empty walk cannot pass)."""
    return sum(
        iface.role() in INTERACTIVE
        for _p, iface in walk(QAccessible.queryAccessibleInterface(widget))
    )


def test_the_main_window_names_every_control_a_screen_reader_reaches(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window()
    assert interactive(window) > 20
    assert_all_named(window)  # the first run: no model, no conversation
    assert_all_described(window)
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.load_model(tiny_model)
    send(qtbot, window, "Name a colour")
    window.search_box.setText("colour")
    qtbot.waitUntil(lambda: window.results.isVisible() and window.results.count() > 0)
    assert_all_named(window)  # a conversation, its messages, search results
    assert_all_described(window)
    # what a control does, said after its name: its tooltip, which a sighted user sees too
    send_said = QAccessible.queryAccessibleInterface(window.send_button)
    assert send_said.text(QAccessible.Text.Description) == window.send_button.toolTip()
    assert window.send_button.toolTip().startswith("Send the message to the model (Enter)")
    reply = window.chat_view.widgets[window.state.thread_messages[-1].id].action_button
    assert reply is not None and reply.objectName() == "regenerate"
    regenerate = QAccessible.queryAccessibleInterface(reply).text(QAccessible.Text.Description)
    assert regenerate.startswith("Ask the model again for this reply")
    # the header's name says what it is; its description, what it says (Orca read only the name)
    header = QAccessible.queryAccessibleInterface(window.header)
    assert header.text(QAccessible.Text.Name) == "Conversation details"
    assert header.text(QAccessible.Text.Description).startswith("Name a colour\nSystem prompt: ")


def test_every_dialog_names_every_control(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, test_keyring: Path
) -> None:
    from chatapp.ui.main.api_server import ApiServerDialog

    window = make_window(tiny_model)
    send(qtbot, window, "Name a colour")
    assert window.current is not None
    dialogs: list[QWidget] = [
        SettingsDialog(AppSettings(), window),
        ConversationSettingsDialog(window.settings, window.current, window, model=window.model),
    ]
    with ThreadPoolExecutor(1) as pool:  # read off the GUI thread, as the Library reads it
        metadata = pool.submit(read_metadata, tiny_model).result()
    dialogs.append(MetadataDialog("tiny-chat.gguf", metadata, window))
    dialogs.append(window.open_models())
    dialogs.append(window.open_prompts())
    dialogs.append(window.open_servers())
    docs = window.open_documents()
    assert docs is not None
    dialogs.append(docs)
    dialogs.append(ApiServerDialog(window.api_server, window))
    dialogs.append(TextViewer("Reply", "some text", 9, window))
    compare = window.chat_panel.compare()
    assert compare is not None
    dialogs.append(compare)
    about = QMessageBox(QMessageBox.Icon.Information, "About chatapp", window.about_text())
    about.setParent(window, about.windowFlags())
    dialogs.append(about)
    dialogs.append(window.show_shortcuts())
    failures = []
    for dialog in dialogs:
        dialog.show()
        assert interactive(dialog) > 0, type(dialog).__name__
        failures += unnamed(dialog) + unlabelled(dialog) + undescribed(dialog)
        dialog.close()
    assert not failures, (
        f"{len(failures)} element(s) without a name, label or description:\n" + "\n".join(failures)
    )


def test_each_message_tells_a_screen_reader_who_wrote_it_with_which_model_and_what(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    question = send(qtbot, window, "Name a colour")
    reply = window.state.thread_messages[-1]
    assert reply.id == question and reply.role == "assistant" and reply.content
    mine = window.state.thread_messages[-2]
    said = {
        m.id: QAccessible.queryAccessibleInterface(window.chat_view.widgets[m.id])
        for m in (mine, reply)
    }
    assert said[mine.id].text(QAccessible.Text.Name) == "You: Name a colour"
    assert said[mine.id].text(QAccessible.Text.Description) == "Name a colour"
    name = said[reply.id].text(QAccessible.Text.Name)
    start = " ".join(reply.content.split())[:40]
    assert name.startswith(f"Assistant, {reply.model}: {start}"), name
    assert said[reply.id].text(QAccessible.Text.Description) == reply.content
    # and the messages are there in the tree, in order, under the conversation
    names = [
        iface.text(QAccessible.Text.Name)
        for _p, iface in walk(QAccessible.queryAccessibleInterface(window.chat_view))
        if isinstance(iface.object(), MessageWidget)
    ]
    assert names == [said[mine.id].text(QAccessible.Text.Name), name]


def test_a_finished_reply_is_announced_once_and_nothing_while_it_streams(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    announced: list[str] = []
    while_streaming: list[tuple[int, str]] = []  # (announcements so far, the reply's name)
    announcements.said.connect(lambda text, _assertive: announced.append(text))

    def piece(_text: str) -> None:
        stream = window.state.stream
        assert stream is not None
        w = window.chat_view.widgets.get(stream.message_id)
        while_streaming.append((len(announced), w.accessibleName() if w else ""))

    window.reply_piece.connect(piece)
    first = send(qtbot, window, "Name a colour")
    assert len(while_streaming) > 5  # it streamed, a piece at a time
    assert {n for n, _name in while_streaming} == {0}  # no announcement before the end
    model = window.model.info.name if window.model else ""
    # its name says it is being written, not each token (a screen reader would re-read it)
    assert {name for _n, name in while_streaming} <= {"", f"Assistant, {model}: writing…"}
    reply = " ".join(next(m for m in window.state.thread_messages if m.id == first).content.split())
    assert len(announced) == 1 and announced[0].startswith("Reply finished: ")
    spoken = announced[0].removeprefix("Reply finished: ")
    assert len(spoken) <= 200 and reply.startswith(spoken.removesuffix("…"))
    assert len(spoken) > 20
    send(qtbot, window, "And another")
    assert len(announced) == 2  # one per reply


def ring_pixels(window: QWidget, widget: QWidget) -> int:
    """How many pixels of the focus ring's colour the window shows around ``widget``."""
    colour = ring_colour().rgb()
    ring = ring_around(widget)
    assert ring is not None, f"no focus ring around {widget.objectName() or widget}"
    image = window.grab().toImage()
    scale = image.devicePixelRatio()
    box = QRect(ring.mapTo(window, QPoint(0, 0)), ring.size())
    return sum(
        image.pixel(int(x * scale), int(y * scale)) == colour
        for x in range(max(0, box.left()), min(window.width(), box.right() + 1))
        for y in (box.top(), box.top() + 1, box.bottom() - 1, box.bottom())
        if 0 <= y < window.height()
    ) + sum(
        image.pixel(int(x * scale), int(y * scale)) == colour
        for y in range(max(0, box.top() + 2), min(window.height(), box.bottom() - 1))
        for x in (box.left(), box.left() + 1, box.right() - 1, box.right())
        if 0 <= x < window.width()
    )


def test_tab_goes_through_the_window_in_reading_order_and_every_stop_shows_the_focus(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    send(qtbot, window, "Name a colour")
    window.activateWindow()
    window.new_button.setFocus()
    stops: list[QWidget] = []
    for _ in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        stops.append(focused)
        # a ring in the focus colour, 2 px wide, most of the way round (a parent may clip it)
        ring = ring_around(focused)
        assert ring is not None
        perimeter = 2 * (ring.width() + ring.height())
        assert ring_pixels(window, focused) >= perimeter, focused.objectName()
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        if QApplication.focusWidget() is stops[0]:
            break
    message = ["messageBody", "copyMessage", "messageMore"]
    assert [s.objectName() for s in stops] == [
        "newChat",
        "searchBox",
        "conversationList",
        "conversationHeader",  # the conversation's title and settings,
        "conversationHeader",  # then its "change" link (Enter: the settings)
        "chatView",
        *message,
        "editMessage",  # yours
        *message,
        "regenerate",  # the reply
        "composer",
        "sendButton",
        "documentsButton",
        "modelButton",
    ]
    # and back again with Shift+Tab
    qtbot.keyClick(stops[0], Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is stops[-1]


def clipped(window: QWidget) -> list[str]:
    """The visible labels, buttons and boxes of ``window`` smaller than their text needs."""
    found = []
    for bar in window.findChildren(QProgressBar):
        room = bar.width() - 8
        if bar.isVisible() and bar.fontMetrics().horizontalAdvance(bar.text()) > room:
            found.append(f"QProgressBar#{bar.objectName()} {bar.width()} px for {bar.text()!r}")
    for w in window.findChildren(QWidget):
        if not isinstance(w, QLabel | QAbstractButton | QLineEdit) or not w.isVisible():
            continue
        if isinstance(w.parentWidget(), QLineEdit):  # Qt's own clear button, sized by Qt
            continue
        need = w.minimumSizeHint()
        wrapped = isinstance(w, QLabel) and w.wordWrap()
        height = w.heightForWidth(w.width()) if wrapped else need.height()
        if w.width() < need.width() or w.height() < height:
            found.append(f"{type(w).__name__}#{w.objectName()} {w.size().toTuple()} < {need}")
    return found


def test_at_twice_the_font_size_in_800_by_600_nothing_is_cut_and_search_results_grow(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()
    window = make_window(tiny_model)
    try:
        apply_theme(Theme.HIGH_CONTRAST, 22)  # 200 % of the default 11 pt
        window.resize(800, 600)
        assert window.minimumSizeHint().width() <= 800
        assert window.minimumSizeHint().height() <= 600
        for n in ("one", "two", "three"):
            send(qtbot, window, f"Name colour {n}, in words long enough to wrap in the sidebar")
        with qtbot.waitSignal(window.search_done, timeout=TIMEOUT):
            window.search_box.setText("colour")
        results = window.results
        assert results.count() == 3
        qtbot.waitUntil(lambda: results.itemWidget(results.item(0)).width() > 1)
        rows = [results.visualItemRect(results.item(i)) for i in range(3)]
        labels = [results.itemWidget(results.item(i)) for i in range(3)]
        width = results.viewport().width()
        for row, below, label in zip(rows, [*rows[1:], None], labels, strict=True):
            assert row.width() <= width  # no sideways scrolling: the text wraps
            assert label.height() >= label.heightForWidth(label.width())  # all of it shows
            assert below is None or not row.intersects(below)  # rows never overlap
        assert clipped(window) == []
        box = window.composer  # empty: its hint wraps, and all of it shows
        hint = box.fontMetrics().boundingRect(
            QRect(0, 0, box.viewport().width() - 8, 10_000),
            Qt.TextFlag.TextWordWrap,
            box.placeholderText(),
        )
        assert hint.height() > box.fontMetrics().lineSpacing()  # two lines or more
        assert box.viewport().height() >= hint.height()
        model = window.model_button  # the model's name gives way, with "…"; all of it is said
        assert model.text().endswith("▾") and model.accessibleDescription().startswith("Tiny")
        # smaller again: the rows shrink with it
        tall = labels[0].height()
        apply_theme(Theme.HIGH_CONTRAST, 11)
        qtbot.waitUntil(lambda: results.itemWidget(results.item(0)).height() < tall * 0.7)
    finally:
        apply_theme(Theme.SYSTEM, before.pointSize())
        app.setFont(before)
