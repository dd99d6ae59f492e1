"""Export from the window and the command line: chatapp JSON, Markdown, a safe self-contained
HTML page, and PDF printed by Qt; one conversation or every one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.chat.export_html import export_html
from chatapp.core.docs.sources import Source, Sources
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Store
from chatapp.ui.main.export import export_to
from tests.helpers import TIMEOUT, MakeWindow, run_cli

HOSTILE = "Try <script>alert(1)</script> and [click](javascript:alert(2)) ![t](http://x.test/t.png)"


def seed(data: Path) -> None:
    with Store.open_dir(data) as store:
        conv, _ = store.start_conversation("Kettle warranty?")
        sources = Sources("passages", (Source(1, "/docs/manual.md", "Three years.", page=2),))
        row = store.begin_reply(conv.id, model="tiny", sources=sources)
        metrics = ReplyMetrics(12, 12, 5, 30.0, 9.5, StopReason.END_OF_TURN)
        store.finish_reply(row.id, f"**Three years** [1].\n\n{HOSTILE}", metrics, thinking="Hmm.")
        store.start_conversation("Tides?")


def test_the_html_page_is_safe_and_self_contained(tmp_path: Path) -> None:
    seed(tmp_path)
    with Store.open_dir(tmp_path) as store:
        page = export_html(store)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<strong>Three years</strong>" in page  # the reply's Markdown, rendered
    assert "[1] manual.md, p. 2" in page and "<details><summary>Thought</summary>" in page
    assert "5 tokens" in page
    assert page.count("<h1>") == 2


@pytest.mark.parametrize("suffix", [".json", ".md", ".html", ".pdf"])
def test_the_window_exports_the_conversation_on_screen_in_each_format(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, suffix: str
) -> None:
    seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    qtbot.waitUntil(lambda: len(window.sidebar.titles()) == 2, timeout=TIMEOUT)
    with Store.open_dir(tmp_path / "data") as store:
        conv = next(c for c in store.list_conversations() if c.title == "Kettle warranty?")
    target = tmp_path / f"out{suffix}"
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as blocker:
        export_to(window, target, conversation=conv)
    assert blocker.args == [f"Saved 1 conversation to {target}."]
    data = target.read_bytes()
    if suffix == ".json":
        (only,) = json.loads(data)["conversations"]
        assert only["title"] == "Kettle warranty?"
    elif suffix == ".md":
        assert data.decode().startswith("# Kettle warranty?")
        assert "Tides?" not in data.decode()
    elif suffix == ".html":
        assert b"<h1>Kettle warranty?</h1>" in data and b"Tides?" not in data
    else:
        import pypdfium2 as pdfium

        assert data.startswith(b"%PDF")
        pdf = pdfium.PdfDocument(str(target))
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        pdf.close()
        assert "Kettle warranty?" in text and "Three years" in text
        assert "<script>" in text  # shown as the text it is, not run


def test_export_all_from_the_window(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    seed(tmp_path / "data")
    window = make_window(data=tmp_path / "data")
    target = tmp_path / "all.md"
    with qtbot.waitSignal(window.exported, timeout=TIMEOUT) as blocker:
        export_to(window, target)
    assert blocker.args == [f"Saved 2 conversations to {target}."]
    text = target.read_text()
    assert "# Kettle warranty?" in text and "# Tides?" in text


def test_the_command_line_exports_html(tmp_path: Path) -> None:
    seed(tmp_path)
    out = run_cli("export", "--format", "html", "--data-dir", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("<!DOCTYPE html>") and "&lt;script&gt;" in out.stdout


def test_the_window_imports_a_chatgpt_export_and_says_what_it_skipped(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    from chatapp.ui.main.export import import_from
    from tests.test_importers import CHATGPT

    window = make_window(data=tmp_path / "data")
    with qtbot.waitSignal(window.imported, timeout=TIMEOUT) as blocker:
        import_from(window, CHATGPT)
    assert blocker.args[0].startswith("Imported ") and "from a ChatGPT export" in blocker.args[0]
    assert "skipped: " in blocker.args[0]  # its image, at least
    qtbot.waitUntil(lambda: len(window.sidebar.titles()) == 3, timeout=TIMEOUT)
    with qtbot.waitSignal(window.conversation_shown, timeout=TIMEOUT):
        window.conv_list.setCurrentRow(1)  # the first conversation, under its date heading
    replies = [w for w in window.chat_view.widgets.values() if w.message.role == "assistant"]
    assert replies and replies[0].meta.text() == "imported (ChatGPT export)"
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    count = len(window.sidebar.titles())
    with qtbot.waitSignal(window.imported, timeout=TIMEOUT) as blocker:
        import_from(window, bad)
    assert blocker.args[0].startswith("Nothing was imported from notes.json: not a chatapp export")
    assert window.banner.isVisible()
    assert len(window.sidebar.titles()) == count
