"""The model manager window: find a model on the (fake) Hub, download it, load it, chat."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chatapp.ui.main.window import MainWindow
from tests.fakehub import FakeHub
from tests.helpers import TIMEOUT, MakeWindow, send, serve_recommended

REPO = "tester/tiny-chat-GGUF"


def _select_row(table: object, row: int) -> None:
    table.selectRow(row)  # type: ignore[attr-defined]


def test_search_download_load_and_chat(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
    quantized_model: Path,
) -> None:
    hub.add_repo(
        REPO,
        {
            "tiny-chat-F32.gguf": tiny_model.read_bytes(),
            "tiny-chat-Q4_K_M.gguf": quantized_model.read_bytes(),
            "README.md": b"# Tiny chat\nA very small test model.\n",
        },
        downloads=42,
    )
    hub.bytes_per_second = 1_500_000
    window: MainWindow = make_window()
    assert window.get_button.isVisible()  # no model yet: the window offers downloads
    window.get_button.click()
    dialog = window.models_dialog
    assert dialog is not None
    assert dialog.files_table.rowCount() == 7  # the Recommended list, before any search

    qtbot.keyClicks(dialog.search_box, "tiny")
    with qtbot.waitSignal(dialog.results_shown, timeout=TIMEOUT):
        qtbot.keyClick(dialog.search_box, Qt.Key.Key_Return)
    assert dialog.results.rowCount() == 1
    assert dialog.results.item(0, 0).text() == REPO and dialog.results.item(0, 1).text() == "42"

    with qtbot.waitSignal(dialog.files_shown, timeout=TIMEOUT):
        _select_row(dialog.results, 0)
    qtbot.waitUntil(lambda: len(dialog.fits) == 2, timeout=TIMEOUT)
    files = [dialog.files_table.item(r, 0).text() for r in range(dialog.files_table.rowCount())]
    assert files == ["tiny-chat-F32.gguf", "tiny-chat-Q4_K_M.gguf"] or sorted(files) == files
    fit_texts = [dialog.files_table.item(r, 3).text() for r in range(2)]
    assert all(("CPU only" in t) or ("GPU" in t) for t in fit_texts)
    assert any("recommended" in t for t in fit_texts)
    assert "A very small test model." in dialog.card.toPlainText()

    row = files.index("tiny-chat-F32.gguf")
    _select_row(dialog.files_table, row)
    progress: list[int] = []
    dialog.services.downloads.progress.connect(lambda p: progress.append(p.done))
    with qtbot.waitSignal(dialog.download_finished, timeout=TIMEOUT) as blocker:
        dialog.download_button.click()
    item = blocker.args[0]
    assert item.state.value == "done", item.error
    assert dialog.tabs.currentIndex() == 1  # the Downloads tab
    assert dialog.progress_bars[item.id].value() == 1000
    assert progress

    qtbot.waitUntil(lambda: dialog.library_table.rowCount() == 1, timeout=TIMEOUT)
    assert dialog.library_table.item(0, 3).text() == "F32"
    _select_row(dialog.library_table, 0)
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        dialog.library_table.doubleClicked.emit(dialog.library_table.model().index(0, 0))
    dialog.close()
    assert "Tiny Test Chat" in window.model_button.text()
    reply_id = send(qtbot, window, "hello from a downloaded model")
    assert window.chat_view.widgets[reply_id].body.toPlainText()


def test_a_gated_repo_asks_for_a_token_and_then_lists_its_files(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QInputDialog

    hub.add_repo("corp/gated-GGUF", {"g-Q8_0.gguf": tiny_model.read_bytes()}, gated=True)
    window: MainWindow = make_window()
    window.open_models()
    dialog = window.models_dialog
    assert dialog is not None
    asked: list[str] = []

    def answer() -> None:  # the user, typing a token into the box when it appears
        box = QApplication.activeModalWidget()
        if isinstance(box, QInputDialog):
            asked.append(box.labelText())
            box.setTextValue(hub.token)
            box.accept()

    user = QTimer()
    user.timeout.connect(answer)
    user.start(20)
    try:
        with qtbot.waitSignal(dialog.files_shown, timeout=TIMEOUT):
            dialog.open_repo("corp/gated-GGUF")
    finally:
        user.stop()
    assert asked and "gated" in asked[0]
    assert dialog.files_table.item(0, 0).text() == "g-Q8_0.gguf"
    from huggingface_hub import constants

    assert Path(constants.HF_TOKEN_PATH).read_text().strip() == hub.token  # kept by huggingface_hub


def test_a_recommended_model_downloads_with_one_click(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = serve_recommended(
        hub, monkeypatch, tiny_model.read_bytes(), others={"other-Q8_0.gguf": b"x"}
    )
    window: MainWindow = make_window()
    window.open_models()
    dialog = window.models_dialog
    assert dialog is not None
    assert first.name in dialog.files_table.item(0, 0).text()
    _select_row(dialog.files_table, 0)
    with qtbot.waitSignal(dialog.download_finished, timeout=TIMEOUT) as blocker:
        dialog.download_button.click()
    assert blocker.args[0].filename == first.filename and blocker.args[0].state.value == "done"
    assert blocker.args[0].sha256 == {first.filename: first.sha256}  # verified against the list
    qtbot.waitUntil(lambda: dialog.library_table.rowCount() == 1, timeout=TIMEOUT)


def test_adding_and_deleting_a_library_file_updates_the_list_and_the_disk(
    qtbot: QtBot,
    make_window: MakeWindow,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both happen on the model files thread (the audit hook fails the test otherwise)."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    mine = tmp_path / "mine" / "my-model.gguf"
    mine.parent.mkdir()
    mine.write_bytes(tiny_model.read_bytes())
    window = make_window()
    dialog = window.open_models()
    dialog.tabs.setCurrentIndex(2)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(mine), ""))
    with qtbot.waitSignal(dialog.library_shown, timeout=TIMEOUT):
        dialog.add_file()

    def listed() -> list[str]:
        t = dialog.library_table
        return [t.item(r, 0).toolTip() for r in range(t.rowCount())]

    qtbot.waitUntil(lambda: str(mine) in listed(), timeout=TIMEOUT)
    row = listed().index(str(mine))
    dialog.library_table.selectRow(row)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dialog.library_changed, timeout=TIMEOUT):
        dialog.delete_selected()
    assert not mine.exists()
    assert "freed" in dialog.status.text()
    qtbot.waitUntil(lambda: str(mine) not in listed(), timeout=TIMEOUT)


def test_a_search_without_network_fails_at_once_in_words_and_offers_to_work_offline(
    qtbot: QtBot, make_window: MakeWindow, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    # a reserved name: it never resolves, and the lookup never leaves the machine
    monkeypatch.setattr(constants, "ENDPOINT", "http://huggingface.chatapp-test.invalid")
    window: MainWindow = make_window()
    dialog = window.open_models()
    assert not dialog.work_offline_button.isVisible()
    began = time.monotonic()
    qtbot.keyClicks(dialog.search_box, "qwen")
    qtbot.keyClick(dialog.search_box, Qt.Key.Key_Return)
    assert dialog.status.text() == "Searching the Hub…"
    qtbot.waitUntil(lambda: dialog.work_offline_button.isVisible(), timeout=TIMEOUT)
    assert time.monotonic() - began < 3  # not five retries' worth of "Searching…"
    said = dialog.status.text()
    assert said.startswith(
        "cannot reach the Hugging Face Hub: the name huggingface.chatapp-test.invalid does "
        "not resolve — are you offline?"
    ), said
    assert "Errno" not in said and "Work offline" in said

    qtbot.mouseClick(dialog.work_offline_button, Qt.MouseButton.LeftButton)
    assert dialog.offline.isChecked() and not dialog.work_offline_button.isVisible()
    assert window.offline_action.isChecked()  # File > Work offline shows it too
    qtbot.waitUntil(lambda: window.settings.offline, timeout=TIMEOUT)
    qtbot.keyClick(dialog.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("offline mode is on"), timeout=TIMEOUT)
    assert hub.requests == []  # nothing asked of the network, ever

    window.offline_action.trigger()  # and the menu turns it off again, everywhere
    assert not dialog.offline.isChecked() and not window.settings.offline


def test_the_lists_are_one_line_a_row_and_say_something_when_empty(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    from chatapp.core.models.hub import recommended

    window: MainWindow = make_window()
    dialog = window.open_models()
    files = dialog.files_table
    headers = [files.horizontalHeaderItem(c).text() for c in range(files.columnCount())]
    assert headers == ["Model", "Kind", "Size", "Fit on this machine", "About"]
    one_line = files.verticalHeader().defaultSectionSize()
    models = recommended()
    assert files.rowCount() == len(models)  # the embedding model too, labelled
    for row, r in enumerate(models):
        assert files.item(row, 0).text() == r.name  # the name, not wrapped with its file name
        assert files.rowHeight(row) == one_line  # not grown to wrap a long name or text
        assert (
            r.filename in files.item(row, 0).toolTip() and r.about in files.item(row, 4).toolTip()
        )
        kind = files.item(row, 1)
        assert kind.text() == r.kind_label and kind.toolTip() == r.kind_tip
        # the name and the kind are read in full, not elided
        for col in (0, 1):
            width = files.fontMetrics().horizontalAdvance(files.item(row, col).text())
            assert width < files.columnWidth(col), files.item(row, col).text()
    kinds = [files.item(row, 1).text() for row in range(files.rowCount())]
    assert {"Reasoning", "Code", "For documents"} <= set(kinds)
    embedding = kinds.index("For documents")
    assert "cannot chat" in files.item(embedding, 1).toolTip()
    # every header is readable in full at the dialog's size
    header = files.horizontalHeader()
    for c, text in enumerate(headers):
        assert header.fontMetrics().horizontalAdvance(text) < header.sectionSize(c), text

    files.selectRow(1)  # the card says all that the row elides
    card = dialog.card.toPlainText()
    assert models[1].about in card and models[1].kind_tip in card and models[1].sha256 in card
    assert dialog.download_button.isEnabled()

    assert dialog.results_empty.isVisible() and "Search the Hub" in dialog.results_empty.text()
    dialog.tabs.setCurrentIndex(1)
    assert dialog.downloads_empty.isVisible()
    assert dialog.downloads_empty.text().startswith("No downloads yet")
    assert not any(
        b.isEnabled() for b in (dialog.pause_button, dialog.resume_button, dialog.cancel_button)
    )
    dialog.tabs.setCurrentIndex(2)
    assert dialog.library_tab.library_empty.isVisible()
    assert dialog.library_tab.library_empty.text().startswith("No models in your library yet")
    buttons = dialog.library_tab.buttons
    assert not buttons["loadModel"].isEnabled() and not buttons["modelMetadata"].isEnabled()
    assert buttons["addModelFile"].isEnabled()


def test_pause_resume_and_cancel_are_enabled_only_where_they_act(
    qtbot: QtBot, make_window: MakeWindow, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chatapp.core.models.downloads import State

    serve_recommended(hub, monkeypatch, bytes(4 << 20))
    hub.bytes_per_second = 1_000_000  # 4 s: time to look at the buttons while it runs
    window: MainWindow = make_window()
    dialog = window.open_models()
    dialog.files_table.selectRow(0)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.pause_button.isEnabled(), timeout=TIMEOUT)
    assert dialog.downloads.selectionModel().selectedRows()  # the only download is chosen
    assert dialog.cancel_button.isEnabled() and not dialog.resume_button.isEnabled()

    with qtbot.waitSignal(dialog.download_finished, timeout=TIMEOUT) as paused:
        qtbot.mouseClick(dialog.pause_button, Qt.MouseButton.LeftButton)
    assert paused.args[0].state == State.PAUSED
    qtbot.waitUntil(lambda: dialog.resume_button.isEnabled(), timeout=TIMEOUT)
    assert not dialog.pause_button.isEnabled() and dialog.cancel_button.isEnabled()

    hub.bytes_per_second = None  # as fast as it goes
    with qtbot.waitSignal(dialog.download_finished, timeout=TIMEOUT) as done:
        qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    assert done.args[0].state == State.DONE
    assert not any(
        b.isEnabled() for b in (dialog.pause_button, dialog.resume_button, dialog.cancel_button)
    )


def _library_with(tmp_path: Path, *models: Path) -> Path:
    """A data folder whose library holds ``models`` (written before the window opens)."""
    from chatapp.core.models.library import Library

    data = tmp_path / "data"
    library = Library(data)
    for m in models:
        library.add_file(m)
    return data


def test_metadata_is_a_searchable_table_of_every_key(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, tiny_model: Path
) -> None:
    window: MainWindow = make_window(data=_library_with(tmp_path, tiny_model))
    dialog = window.open_models()
    tab = dialog.library_tab
    qtbot.waitUntil(lambda: dialog.library_table.rowCount() == 1, timeout=TIMEOUT)
    dialog.library_table.selectRow(0)
    qtbot.mouseClick(tab.buttons["modelMetadata"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.metadata_dialog is not None, timeout=TIMEOUT)
    meta = tab.metadata_dialog
    assert meta is not None and meta.isVisible()
    assert meta.width() >= 800 and meta.height() >= 500  # a window, not a 270x90 box
    keys = meta.shown_keys()
    assert keys == sorted(keys) and "general.name" in keys and "tokenizer.ggml.tokens" in keys
    assert meta.summary.text().startswith(f"21 tensors · {len(keys)} keys")
    row = keys.index("tokenizer.ggml.tokens")
    assert meta.table.item(row, 1).text() == "array of 263 string"
    assert meta.table.item(row, 2).text().startswith("[263 items: ")  # summarized, not dumped
    assert "… 255 more]" in meta.table.item(row, 2).text()

    qtbot.keyClicks(meta.filter, "context")
    assert meta.shown_keys() == ["llama.context_length"]
    assert meta.summary.text().endswith(f"1 of {len(keys)} keys")
    meta.filter.clear()
    qtbot.keyClicks(meta.filter, "Tiny Test")  # values are searched too
    assert meta.shown_keys() == ["general.name"]
    meta.filter.setText("no such key anywhere")
    assert meta.shown_keys() == [] and meta.empty.isVisible()

    meta.filter.setText("chat_template")
    meta.table.selectRow(keys.index("tokenizer.chat_template"))
    assert "{% for message in messages %}" in meta.value.toPlainText()  # all of it, below


def test_the_library_shows_the_loaded_model_and_the_context_it_runs_with(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, tiny_model: Path, long_model: Path
) -> None:
    from chatapp.core.config.settings import LoadSettings

    data = _library_with(tmp_path, tiny_model, long_model)
    window: MainWindow = make_window(tiny_model, load=LoadSettings(n_ctx=2048), data=data)
    dialog = window.open_models()
    t = dialog.library_table
    qtbot.waitUntil(lambda: t.rowCount() == 2, timeout=TIMEOUT)
    header = t.horizontalHeaderItem(5).text()
    assert header == "Context: used / trained"

    def rows() -> dict[str, str]:
        return {t.item(r, 0).text(): t.item(r, 5).text() for r in range(t.rowCount())}

    shown = rows()
    loaded = [name for name in shown if name.endswith("— loaded")]
    assert loaded == [f"● {window.model.info.name} — loaded"]  # type: ignore[union-attr]
    assert t.item(list(shown).index(loaded[0]), 0).font().bold()
    trained = window.model.info.context_length  # type: ignore[union-attr]
    assert shown[loaded[0]] == f"2,048 / {trained:,}"  # what runs, next to what it knows

    # with the setting at 0 (the model's own, capped), the other file would get its trained
    # length up to 8,192: the Library says so as soon as the setting changes
    window.settings = window.settings.updated(load=LoadSettings(n_ctx=0))
    other = next(name for name in rows() if not name.endswith("loaded"))
    other_trained = int(rows()[other].split(" / ")[1].replace(",", ""))
    assert rows()[other] == f"{min(other_trained, 8192):,} / {other_trained:,}"


def test_recent_models_are_listed_by_their_model_name(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, tiny_model: Path, long_model: Path
) -> None:
    data = _library_with(tmp_path, tiny_model, long_model)
    window: MainWindow = make_window(tiny_model, data=data)
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        window.load_model(long_model)
    for menu in (window.recent_menu, window.model_menu):  # File > Recent, the status bar's
        window.status.fill_recent(menu)
        names = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert names[0].startswith("Tiny Long · ") and names[1].startswith("Tiny Test Chat · ")
        assert not any(n.endswith(".gguf") for n in names)
        assert names[-1] == "Open a GGUF model file…"
        assert menu.actions()[0].toolTip() == str(long_model)  # the file, where to find it
