"""The window in Simplified Chinese: every string a user sees in the main window and in every
dialog is translated (walked widget by widget with the zh_CN translation installed), the .ts files
are complete and hold every string lupdate finds, and counts, dates and numbers follow the locale.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import AppSettings, Language
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.chat_template import PLAIN, TURN_FORMATS
from chatapp.ui.i18n import install_language, resolve_language
from tests.helpers import TIMEOUT, MakeWindow, send

ROOT = Path(__file__).resolve().parents[1]
TS_DIR = ROOT / "resources" / "translations"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# what stays as it is in a Chinese window: names of programs, formats, units, keys, settings
# whose Chinese name is the English one (top-p), and the sample text a placeholder shows
ALLOWED = [
    "chatapp",
    "GGUF",
    "GPU",
    "CPU",
    "API",
    "Hugging Face",
    "Hub",
    "OpenAI",
    "llama.cpp",
    "llama-server",
    "vLLM",
    "Ollama",
    "LM Studio",
    "ChatGPT",
    "Claude",
    "Open WebUI",
    "Markdown",
    "PDF",
    "Jinja",
    "UTF-8",
    "Flash Attention",
    "Top p",
    "Top k",
    "Min p",
    "top-p",
    "token",
    "tok",
    "Ctrl",
    "Shift",
    "Enter",
    "Esc",
    "MB",
    "GB",
    "KB",
    "SHA-256",
    "Qt",
    "Python",
    "User:",
    "Assistant:",
    "qwen",
    "context",
    "rope",
    "lab",
    "none",
    "English",  # the language choice, named in its own language
]


def untranslated(text: str, names: list[str]) -> bool:
    """Whether ``text`` reads as English: no Chinese in it, and words left once the allowed
    terms, ``names`` (models, files, servers), paths, URLs and file patterns are taken out."""
    if not text or CJK.search(text):
        return False
    rest = re.sub(r"<[^>]+>", " ", text)  # rich text's tags
    rest = re.sub(r"https?://\S+|\*\.\w+|(?:~|/)[\w./-]+", " ", rest)
    for word in sorted([*ALLOWED, *names], key=len, reverse=True):
        rest = re.sub(re.escape(word), " ", rest, flags=re.IGNORECASE)
    return re.search(r"[A-Za-z]{2,}", rest) is not None


def shown_texts(top: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every string a user can see in ``top`` and its children: titles, labels,
    buttons, tooltips, placeholders, tabs, group boxes, combo items, table headers, menus,
    progress formats and spin-box texts. The conversation's own text (messages, titles) is left
    out: it is the user's and the model's, not ours."""
    yield f"{type(top).__name__} title", top.windowTitle()
    widgets = [top, *top.findChildren(QWidget)]
    for w in widgets:
        name = w.objectName() or type(w).__name__
        if name in ("messageBody", "conversationList", "searchResults", "thinkingText"):
            continue
        if not w.isVisibleTo(top) and not isinstance(w, QMenu):
            continue
        if w.toolTip():
            yield f"{name} tooltip", w.toolTip()
        # what a screen reader says a control does (a message's is its text: not ours)
        if w.accessibleDescription() and not name.startswith("message-"):
            yield f"{name} description", w.accessibleDescription()
        if isinstance(w, QLabel | QAbstractButton):
            yield name, w.text()
        elif isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit):
            yield f"{name} placeholder", w.placeholderText()
        elif isinstance(w, QComboBox):
            for i in range(w.count()):
                yield f"{name} item {i}", w.itemText(i)
        elif isinstance(w, QTabWidget):
            for i in range(w.count()):
                if w.isTabVisible(i):
                    yield f"{name} tab {i}", w.tabText(i)
                    yield f"{name} tab {i} tooltip", w.tabToolTip(i)
        elif isinstance(w, QGroupBox):
            yield name, w.title()
        elif isinstance(w, QDockWidget):
            yield name, w.windowTitle()
        elif isinstance(w, QProgressBar) and w.isTextVisible():
            yield f"{name} format", w.format()
        elif isinstance(w, QAbstractSpinBox):
            yield f"{name} special", w.specialValueText()
            if isinstance(w, QSpinBox):
                yield f"{name} suffix", w.suffix()
        if isinstance(w, QTableWidget):
            for c in range(w.columnCount()):
                item = w.horizontalHeaderItem(c)
                if item is not None and not w.isColumnHidden(c):
                    yield f"{name} column {c}", item.text()
        if isinstance(w, QMenu):
            yield f"{name} menu", w.title()
            for action in w.actions():
                yield f"{name} action", action.text()
                if action.toolTip() != action.text().replace("&", ""):
                    yield f"{name} action tooltip", action.toolTip()


@pytest.fixture
def chinese(qapp: QCoreApplication, qm_dir: Path) -> Iterator[None]:
    """The window in Simplified Chinese for one test; English again after it."""
    assert install_language(Language.CHINESE_SIMPLIFIED, qm_dir) == Language.CHINESE_SIMPLIFIED
    yield
    install_language(Language.ENGLISH, qm_dir)


def _english_left(top: QWidget, names: list[str]) -> list[str]:
    return [f"{where}: {text!r}" for where, text in shown_texts(top) if untranslated(text, names)]


def test_the_window_and_every_dialog_speak_chinese(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, chinese: None
) -> None:
    from chatapp.core.models.metadata import read_metadata
    from chatapp.ui.main.api_server import ApiServerDialog
    from chatapp.ui.main.conversation_settings import ConversationSettingsDialog
    from chatapp.ui.main.settings_dialog import SettingsDialog
    from chatapp.ui.main.text_viewer import TextViewer
    from chatapp.ui.models.metadata_dialog import MetadataDialog

    window = make_window(tiny_model, generation=GenerationSettings(max_tokens=12, seed=1))
    send(qtbot, window, "Name a colour")
    model = window.state.model
    assert model is not None
    names = [
        model.info.name,
        model.info.quantization,
        model.info.architecture,
        tiny_model.name,
        *(f.name for f in (*TURN_FORMATS, PLAIN)),
        *(m.name for m in window._model_services().recommended),
    ]
    left = _english_left(window, names)
    # the menus, which are not children of the window until shown
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        assert isinstance(menu, QMenu)
        left += [f"menu {t!r}" for _, t in shown_texts(menu) if untranslated(t, names)]

    conv = window.current
    assert conv is not None
    compare = window.chat_panel.compare()
    assert compare is not None
    dialogs: list[QWidget] = [
        window.open_models(),
        window.open_prompts(),
        SettingsDialog(AppSettings(), window),
        ConversationSettingsDialog(
            AppSettings(load=LoadSettings(n_ctx=2048)), conv, window, model=model
        ),
        ApiServerDialog(window.api_server, window),
        MetadataDialog(tiny_model.name, read_metadata(tiny_model), window),
        TextViewer(tiny_model.name, "一段很长的文字", 21, window),
        compare,
    ]
    dialogs.append(window.open_servers())
    documents = window.open_documents()
    assert documents is not None
    dialogs.append(documents)
    for dialog in dialogs:
        dialog.show()
        qtbot.waitExposed(dialog, timeout=TIMEOUT)
        tabs = dialog.findChildren(QTabWidget)
        for tab_widget in tabs or [None]:  # every tab of a tabbed dialog, shown in turn
            for i in range(tab_widget.count() if tab_widget else 1):
                if tab_widget is not None:
                    tab_widget.setCurrentIndex(i)
                left += [f"{type(dialog).__name__}: {x}" for x in _english_left(dialog, names)]
        dialog.close()
    assert not sorted(set(left)), "\n".join(sorted(set(left)))


def test_the_first_run_panel_and_about_speak_chinese(
    qtbot: QtBot, make_window: MakeWindow, chinese: None
) -> None:
    window = make_window()
    assert window.first_run.isVisibleTo(window)
    names = [
        *(m.name for m in window._model_services().recommended),
        *(f.name for f in (*TURN_FORMATS, PLAIN)),
    ]
    assert _english_left(window, names) == []
    assert not untranslated(window.about_text(), [])
    # the months of the sidebar's older chats and a message's date, the Chinese way
    from datetime import UTC, datetime

    from chatapp.ui.main.message_widget import message_time

    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC).astimezone()
    assert message_time("2025-01-05T09:07:00.000Z", now).startswith("2025年1月5日 ")


def test_counts_numbers_and_dates_follow_the_language(qapp: QCoreApplication, qm_dir: Path) -> None:
    from datetime import UTC, datetime

    from chatapp.ui.i18n import file_size_label, format_number, translate
    from chatapp.ui.main.message_widget import message_time

    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC).astimezone()
    try:
        install_language(Language.ENGLISH, qm_dir)
        assert (
            translate("Sidebar", "Deleted %n conversation(s)", None, 1) == "Deleted 1 conversation"
        )
        assert translate("Sidebar", "Deleted %n conversation(s)", None, 2) == (
            "Deleted 2 conversations"
        )
        assert translate("MetadataDialog", "%Ln tensor(s)", None, 12345) == "12,345 tensors"
        assert format_number(1234567.5, 1) == "1,234,567.5"
        assert message_time("2025-01-05T09:07:00.000Z", now).startswith("5 Jan 2025, ")
        install_language(Language.CHINESE_SIMPLIFIED, qm_dir)
        assert translate("Sidebar", "Deleted %n conversation(s)", None, 2) == "已删除 2 个对话"
        assert QLocale().name() == "zh_CN"
        assert file_size_label(1_500_000) == "1.5 MB"
        assert message_time("2025-01-05T09:07:00.000Z", now).startswith("2025年1月5日 ")
    finally:
        install_language(Language.ENGLISH, qm_dir)


def test_the_language_follows_the_system_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATAPP_LANG", raising=False)
    china, taiwan, france = QLocale("zh_CN"), QLocale("zh_TW"), QLocale("fr_FR")
    assert resolve_language(Language.SYSTEM, china) == Language.CHINESE_SIMPLIFIED
    assert resolve_language(Language.SYSTEM, taiwan) == Language.ENGLISH  # Traditional script
    assert resolve_language(Language.SYSTEM, france) == Language.ENGLISH  # no French yet
    assert resolve_language(Language.ENGLISH, china) == Language.ENGLISH  # the choice wins
    monkeypatch.setenv("CHATAPP_LANG", "zh_CN")
    assert resolve_language(Language.SYSTEM, france) == Language.CHINESE_SIMPLIFIED


def test_the_settings_dialog_offers_each_language_in_its_own_words(
    qtbot: QtBot, chinese: None
) -> None:
    from chatapp.ui.main.settings_dialog import SettingsDialog

    dialog = SettingsDialog(AppSettings(language=Language.ENGLISH))
    qtbot.addWidget(dialog)
    combo = dialog.language
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == ["系统默认", "English", "简体中文"]
    assert combo.currentText() == "English"
    combo.setCurrentIndex(2)
    dialog.accept()
    assert dialog.result_settings().language == Language.CHINESE_SIMPLIFIED
    assert dialog.language_note.text() == "语言将在 chatapp 下次启动时切换。"


def _messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    return {
        (ctx.findtext("name") or "", msg.findtext("source") or ""): msg
        for ctx in root.iter("context")
        for msg in ctx.iter("message")
    }


def test_every_string_lupdate_finds_is_translated(tmp_path: Path) -> None:
    """lupdate, run afresh over the UI, finds no string the Chinese .ts lacks, and none of the
    .ts is unfinished: a new string without a translation fails here."""
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "chatapp" / "ui").rglob("*.py"))
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    subprocess.run(
        [str(lupdate), *sources, "-locations", "none", "-ts", str(fresh)],
        check=True,
        capture_output=True,
    )
    found = set(_messages(fresh))
    assert len(found) > 600
    chinese = _messages(TS_DIR / "chatapp_zh_CN.ts")
    assert sorted(found - set(chinese)) == []
    unfinished = [
        key
        for key, msg in chinese.items()
        if (tr := msg.find("translation")) is None
        or tr.get("type") == "unfinished"
        or not "".join(tr.itertext()).strip()
    ]
    assert unfinished == []
    english = _messages(TS_DIR / "chatapp_en.ts")
    plural = {key for key in found if "%n" in key[1] or "%Ln" in key[1]}
    assert plural and plural <= set(english)
    assert all(chinese[k].get("numerus") == "yes" for k in plural)


def test_the_descriptions_from_core_are_all_listed_for_translation() -> None:
    from chatapp.ui.main.settings_text import DESCRIPTIONS
    from chatapp.ui.models.catalogue_text import ABOUT, KIND_LABELS

    for model in (LoadSettings, GenerationSettings, AppSettings):
        for name, field in model.model_fields.items():
            assert not field.description or field.description in DESCRIPTIONS, name
    recommended = json.loads((ROOT / "chatapp" / "data" / "recommended.json").read_text())
    for entry in recommended["models"]:
        assert entry["about"] in ABOUT, entry["name"]
        assert entry["kind"] in KIND_LABELS, entry["name"]


def test_chinese_text_is_as_large_as_latin_text(qapp: QApplication) -> None:
    """With the app's font, a Chinese line is as tall as a Latin one: the CJK face comes from
    the families the theme names, not from a fallback with smaller glyphs (Linux's Droid Sans
    Fallback, picked by fontconfig, draws Chinese a size smaller)."""
    from chatapp.core.config.appsettings import Theme
    from chatapp.ui.main.theme import CJK_FAMILIES, apply_theme

    if not set(CJK_FAMILIES) & set(QFontDatabase.families()):
        pytest.skip("no Simplified Chinese font here (Debian: apt-get install fonts-noto-cjk)")
    before = QFont(qapp.font())
    try:
        apply_theme(Theme.SYSTEM, 11)
        font = qapp.font()
        assert font.families()[1:] == [f for f in CJK_FAMILIES if f != font.families()[0]]
        metrics = QFontMetrics(font)
        latin = metrics.tightBoundingRect("Hxg").height()
        chinese = metrics.tightBoundingRect("模型对话").height()
        assert chinese >= latin * 0.95, (latin, chinese)
    finally:
        qapp.setFont(before)
