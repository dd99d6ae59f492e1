"""Chinese text where the app shapes it: conversation titles cut to a width, not a count of
characters, and bold beside Chinese punctuation (which CommonMark alone leaves as asterisks),
in the window's Markdown and in the HTML export."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.chat.export_html import _MD as EXPORT_MD
from chatapp.core.storage.store import TITLE_MAX, title_from_text
from chatapp.ui.main.render import render_markdown


def test_a_chinese_title_is_cut_to_the_width_of_an_english_one_after_its_punctuation() -> None:
    text = "用一句话解释什么是大型语言模型，并且给出三个例子。然后再详细说明它们的训练方法。"
    title = title_from_text(text)
    # cut after the 。, not in the middle of a phrase
    assert title == "用一句话解释什么是大型语言模型，并且给出三个例子…"
    assert 2 * (len(title) - 1) <= TITLE_MAX
    assert title_from_text("短标题") == "短标题"
    assert title_from_text("我" * 80) == "我" * 30 + "…"  # no punctuation: cut at the width
    english = "Hello there, how are you doing today? I would like to ask about something long"
    assert title_from_text(english) == "Hello there, how are you doing today? I would like to ask…"


@pytest.mark.parametrize(
    ("source", "bold"),
    [
        ("**注意：**请小心", "注意："),
        ("他说**“你好”**然后走了", "“你好”"),
        ("**第一步：**安装Python", "第一步："),
        ("这是**粗体**文字。", "粗体"),
        ("価格は**¥1,000**です", "¥1,000"),
        # CJK punctuation inside, a Latin letter outside: the reference plugin's cases
        ("**第一步：**Install Python", "第一步："),
        ("**（注）**a", "（注）"),
        ("foo**「bar」**baz", "「bar」"),
        ("Python**「リスト」**です", "「リスト」"),
    ],
)
def test_bold_beside_chinese_punctuation_is_bold(source: str, bold: str) -> None:
    assert f"<strong>{bold}</strong>" in EXPORT_MD.render(source)
    shown = render_markdown(source, dark=False).html
    assert "**" not in shown and bold in shown


@pytest.mark.parametrize(
    "source", ["snake_case_name", "中文_下划线_中文", "2 * 3 * 4", "a **b** c"]
)
def test_text_without_cjk_beside_a_marker_parses_as_commonmark_says(source: str) -> None:
    from markdown_it import MarkdownIt

    assert EXPORT_MD.render(source) == MarkdownIt("commonmark", {"breaks": True}).render(source)


def test_the_composer_takes_chinese_from_an_input_method_and_enter_picks_not_sends(
    qtbot: QtBot,
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    from chatapp.ui.main.composer import Composer

    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    composer.setFocus()
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    QApplication.sendEvent(composer, QInputMethodEvent("nihao", []))  # pinyin being typed
    qtbot.keyClick(composer, Qt.Key.Key_Return)  # picks the candidate, in the input method
    assert sent == []
    done = QInputMethodEvent("", [])
    done.setCommitString("你好")
    QApplication.sendEvent(composer, done)
    assert composer.toPlainText() == "你好"
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == ["你好"]
    # a program clears the box mid-composition (a sent message, another chat opened):
    # Enter works again at once
    QApplication.sendEvent(composer, QInputMethodEvent("zai", []))
    assert composer.composing
    composer.clear()
    qtbot.keyClicks(composer, "again")
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == ["你好", "again"]
