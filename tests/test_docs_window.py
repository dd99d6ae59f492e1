"""Documents in the window: a collection made in Settings → Documents…, indexed on the docs
thread with progress and pause, chosen for a chat as a chip, its passages shown under the reply
as sources whose [n] citations and rows work; folders watched while the app runs.

Real llama.cpp (tiny generated models), real SQLite, real widgets (offscreen). Opening a file
goes through Qt's own URL handler hook, so nothing is launched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from chatapp.core.docs.index import IndexResult
from chatapp.core.storage.store import Store
from chatapp.ui.main.docs_worker import IndexStatus
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow, send


class Opened(QObject):
    """Qt's handler for file: URLs in tests: records them instead of starting a program."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[Opened]:
    handler = Opened()
    QDesktopServices.setUrlHandler("file", handler, "open")
    yield handler
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    (root / "warranty.md").write_text(
        "# Warranty\n\nThe kettle's warranty lasts three years from the day of purchase.\n"
    )
    (root / "garden.md").write_text("# Garden\n\nWater the tomatoes every morning in July.\n")
    (root / "run.sh").write_text("#!/bin/sh\necho the kettle is on\n")
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return root


def collection_ready(window: MainWindow, name: str, files: int) -> bool:
    return any(c.name == name and c.files >= files for c in window.state.collections) and (
        window.state.index_status is None
    )


def make_collection(
    qtbot: QtBot, window: MainWindow, folder: Path, model: Path, name: str = "home"
) -> None:
    dialog = window.open_documents()
    assert dialog is not None
    dialog.new_collection(name, str(model), [folder])
    qtbot.waitUntil(lambda: collection_ready(window, name, 3), timeout=TIMEOUT)


def test_a_collection_is_indexed_from_the_window_and_lists_what_it_skipped(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, notes: Path
) -> None:
    window = make_window()
    make_collection(qtbot, window, notes, tiny_model)
    dialog = window.documents_dialog
    assert dialog is not None
    assert dialog.list.item(0).text() == "home  (3 files)"  # warranty, garden, run.sh
    assert dialog.model_label.text().startswith(f"{tiny_model.name} · runs on ")  # CPU here
    assert dialog.roots.item(0).text() == str(notes.resolve())
    skipped = [dialog.skipped.item(i).text() for i in range(dialog.skipped.count())]
    assert skipped == ["photo.png — a binary file (.png is not a text format)"]
    assert dialog.status_label.text() == "Up to date."
    # the default model for the next collection is remembered in settings.json
    assert window.settings.embedding_model == str(tiny_model)


def test_a_chat_answers_from_a_chosen_collection_and_shows_its_sources(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, notes: Path, opened: Opened
) -> None:
    window = make_window(tiny_model)
    make_collection(qtbot, window, notes, tiny_model)
    bar = window.chat_panel.docs_bar
    bar.chosen.emit(("home",))  # Documents ▸ home, before the chat begins
    assert [c.text() for c in bar.chips] == ["home  \u2715"]
    reply_id = send(qtbot, window, "How long is the kettle warranty?")
    assert window.current is not None and window.current.collections == ("home",)
    widget = window.chat_view.widgets[reply_id]
    assert widget.sources_view is not None
    rows = widget.sources_view.rows
    assert rows and "[1] warranty.md, Warranty" in rows[0].text()
    assert "three years" in rows[0].text()
    assert widget.sources_view.toggle.text().startswith("Sources · ")
    with Store.open_dir(window.db.worker.store.path.parent) as store:
        user, reply = store.thread(window.current.id)
    assert user.content == "How long is the kettle warranty?"
    assert reply.sources is not None and reply.sources.items[0].path.endswith("warranty.md")
    # a click on the source opens its file, through the desktop (here: the test's handler)
    rows[0].linkActivated.emit("open:1")
    qtbot.waitUntil(lambda: bool(opened.urls), timeout=TIMEOUT)
    assert opened.urls[0].toLocalFile() == str(notes.resolve() / "warranty.md")
    # the reply's own [1] marks the source
    widget._link("cite:1")
    assert rows[0].autoFillBackground()
    # a chip's close mark stops answering from it, and the choice is saved
    with qtbot.waitSignal(window.chat_panel.conversation_updated, timeout=TIMEOUT):
        bar.chips[0].click()
    assert window.current.collections == ()


def test_a_script_among_the_sources_is_never_run_its_folder_is_shown(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, notes: Path, opened: Opened
) -> None:
    window = make_window()
    make_collection(qtbot, window, notes, tiny_model)
    window.chat_panel.open_source(str(notes / "run.sh"), None)
    qtbot.waitUntil(lambda: bool(opened.urls), timeout=TIMEOUT)
    assert opened.urls == [QUrl.fromLocalFile(str(notes))]
    window.chat_panel.open_source(str(notes / "gone.md"), None)
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as blocker:
        pass
    assert "gone.md is not there any more" in blocker.args[0]


def test_a_pdf_source_opens_at_its_page(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, notes: Path, opened: Opened
) -> None:
    from tests.test_docs import write_pdf

    write_pdf(notes / "manual.pdf", ["Unpacking.", "The warranty lasts five years."])
    window = make_window()
    make_collection(qtbot, window, notes, tiny_model)
    window.chat_panel.open_source(str(notes / "manual.pdf"), 2)
    qtbot.waitUntil(lambda: bool(opened.urls), timeout=TIMEOUT)
    assert opened.urls[0].fragment() == "page=2"


def test_pausing_keeps_the_finished_files_and_resuming_embeds_only_the_rest(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, tmp_path: Path
) -> None:
    many = tmp_path / "many"
    many.mkdir()
    for i in range(40):
        (many / f"note{i:02d}.txt").write_text(f"Note {i}. " + "words of a long note " * 50)
    window = make_window()
    client = window.docs_client
    assert client is not None
    results: list[IndexResult] = []
    client.worker.indexed.connect(
        lambda _name, result: results.append(result), Qt.ConnectionType.DirectConnection
    )

    def pause_after_two(status: IndexStatus) -> None:  # on the docs thread, as it reports
        if status.progress is not None and status.progress.files_done >= 2:
            client.worker.pause.set()  # what the Pause button raises

    client.worker.status.connect(pause_after_two, Qt.ConnectionType.DirectConnection)
    dialog = window.open_documents()
    assert dialog is not None
    dialog.new_collection("many", str(tiny_model), [many])
    qtbot.waitUntil(lambda: bool(results), timeout=TIMEOUT)
    client.worker.status.disconnect(pause_after_two)
    first = results[0]
    assert first.cancelled
    done = len(first.embedded)
    assert 2 <= done < 40
    qtbot.waitUntil(lambda: "paused" in dialog.status_label.text(), timeout=TIMEOUT)
    assert dialog.pause_button.text() == "Resume"
    dialog.pause_button.click()  # Resume
    qtbot.waitUntil(lambda: collection_ready(window, "many", 40), timeout=TIMEOUT * 3)
    second = results[-1]
    assert len(second.embedded) == 40 - done  # nothing embedded twice
    assert second.unchanged == done


def test_a_file_dropped_into_a_watched_folder_is_indexed(
    qtbot: QtBot,
    make_window: MakeWindow,
    tiny_model: Path,
    notes: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("chatapp.ui.main.docs_worker.SETTLE_MS", 200)
    window = make_window()
    make_collection(qtbot, window, notes, tiny_model)
    (notes / "recipes.md").write_text("# Soup\n\nSimmer the lentils for twenty minutes.\n")
    qtbot.waitUntil(lambda: collection_ready(window, "home", 4), timeout=TIMEOUT)
    (notes / "garden.md").unlink()
    qtbot.waitUntil(
        lambda: any(c.name == "home" and c.files == 3 for c in window.state.collections),
        timeout=TIMEOUT,
    )


def test_a_restart_brings_the_collections_up_to_date(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, notes: Path, tmp_path: Path
) -> None:
    from chatapp.core.docs.service import DocsService

    data = tmp_path / "data"
    with DocsService.open_dir(data) as docs:
        docs.add("home", [notes], tiny_model)
    # while chatapp was closed: a file changed and one was added
    (notes / "warranty.md").write_text("# Warranty\n\nNow five years.\n")
    (notes / "recipes.md").write_text("# Soup\n\nSimmer the lentils for twenty minutes.\n")
    window = make_window(data=data)
    # the start-up run loads the embedding model and embeds two files on the docs thread: on
    # two cores shared with another test process that took more than 20 s twice
    qtbot.waitUntil(lambda: collection_ready(window, "home", 4), timeout=3 * TIMEOUT)
    assert window.docs is not None
    hits, _ = window.docs.search(["home"], "five years", 1)
    assert hits and "Now five years" in hits[0].text


def test_a_documents_html_is_shown_as_text_never_rendered(qtbot: QtBot) -> None:
    from chatapp.core.docs.sources import Source, Sources
    from chatapp.ui.main.sources_view import SourcesView

    hostile = '<img src="http://x.test/t.png"><a href="file:///etc/passwd">click</a> <b>bold</b>'
    view = SourcesView(Sources("passages", (Source(1, "/d/<i>x.html", hostile),)))
    qtbot.addWidget(view)
    (row,) = view.rows
    assert "&lt;img" in row.text() and "<img" not in row.text()
    assert 'href="file:' not in row.text() and "&lt;b&gt;bold&lt;/b&gt;" in row.text()
    assert "[1] &lt;i&gt;x.html" in row.text()
