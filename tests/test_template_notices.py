"""What the window, the Library and ``chatapp models list`` say about the chat template a model
gets: a file with no template (a format chosen from its vocabulary, or a plain transcript), a
template with no system role, and the user changing the choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.models.synthetic import write_chat_model
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow, run_cli

NO_SYSTEM_ROLE = (
    "{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def chatml_no_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No template, but ChatML's turn markers in the vocabulary."""
    path = tmp_path_factory.mktemp("tpl") / "chatml-like.gguf"
    return write_chat_model(path, name="Tiny ChatML-ish", chat_template=None)


@pytest.fixture(scope="module")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No template and no known turn markers: a base model."""
    path = tmp_path_factory.mktemp("tpl") / "base.gguf"
    return write_chat_model(path, name="Tiny Base", chat_template=None, specials=("<s>", "</s>"))


@pytest.fixture(scope="module")
def no_system_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "nosystem.gguf"
    return write_chat_model(path, name="Tiny No-System", chat_template=NO_SYSTEM_ROLE)


def _notice(window: MainWindow) -> str:
    return window.notice.label.text() if window.notice.isVisible() else ""


def test_a_file_without_a_template_says_it_uses_chatml_and_offers_a_change(
    make_window: MakeWindow, chatml_no_template: Path
) -> None:
    window = make_window(chatml_no_template)
    assert _notice(window) == (
        "This file has no chat template; using ChatML (its vocabulary has ChatML's turn markers)."
    )
    assert window.notice.action.isVisible() and window.notice.action.text() == "Change template…"
    assert not window.banner.isVisible()  # a notice, not an error
    window.notice.action.click()
    menu = window.template_notice.menu
    assert menu.isVisible()
    names = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert names[:3] == [
        "Gemma (markers not in this file)",
        "Llama 3 (markers not in this file)",
        "ChatML",  # the one whose markers the vocabulary has
    ]
    assert "Plain transcript (User: / Assistant:)" in names
    assert names[-2:] == ["Choose a Jinja file…", "Back to the automatic choice"]
    assert window.template_notice.actions["ChatML"].isChecked()  # the one in use
    menu.close()


def test_a_base_model_gets_a_plain_transcript_and_the_window_says_so(
    make_window: MakeWindow, base_model: Path
) -> None:
    window = make_window(base_model)
    assert _notice(window) == (
        "This file has no chat template; using a plain transcript (“User: … / Assistant:”), "
        "as its vocabulary has no known turn markers."
    )


def test_a_template_without_a_system_role_says_the_prompt_is_folded(
    make_window: MakeWindow, no_system_model: Path
) -> None:
    window = make_window(no_system_model)
    assert _notice(window) == (
        "Tiny No-System's template has no system role: your system prompt is sent at the "
        "start of your first message."
    )
    assert not window.notice.action.isVisible()  # the file's own template: nothing to choose


def test_a_file_with_its_own_template_gets_no_notice(
    make_window: MakeWindow, tiny_model: Path
) -> None:
    window = make_window(tiny_model)
    assert _notice(window) == ""


def test_choosing_another_format_applies_it_to_the_loaded_model(
    qtbot: QtBot, make_window: MakeWindow, chatml_no_template: Path
) -> None:
    window = make_window(chatml_no_template)
    window.notice.action.click()
    with qtbot.waitSignal(window.state.model_changed, timeout=TIMEOUT):
        window.template_notice.actions["plain transcript"].trigger()
    assert window.model is not None
    assert window.model.template_source == "set by the user: plain transcript"
    assert _notice(window) == (
        "Tiny ChatML-ish now uses a plain transcript, until the model is loaded again."
    )
    dialog = window.open_models()
    t = dialog.library_table
    qtbot.waitUntil(lambda: t.rowCount() == 1, timeout=TIMEOUT)
    assert t.item(0, 6).text() == "plain transcript, set by you"
    with qtbot.waitSignal(window.state.model_changed, timeout=TIMEOUT):
        window.template_notice.own_action.trigger()
    assert _notice(window).endswith(
        "chosen from the vocabulary: ChatML (the file has no chat template)."
    )
    assert t.item(0, 6).text() == "ChatML, from the vocabulary"


def test_a_jinja_file_of_the_users_can_be_chosen(
    qtbot: QtBot,
    make_window: MakeWindow,
    base_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chatapp.ui.main import template_notice

    mine = tmp_path / "mine.jinja"
    mine.write_text(NO_SYSTEM_ROLE)
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% for m in messages %}{{ m.content }")
    window = make_window(base_model)
    for path, said in (
        (
            mine,
            "Tiny Base now uses your chat template, until the model is loaded again.\n"
            "Tiny Base's template has "
            "no system role: your system prompt is sent at the start of your first message.",
        ),
        (broken, "Tiny Base's chat template is invalid: "),
    ):
        monkeypatch.setattr(
            template_notice.QFileDialog, "getOpenFileName", lambda *_a, p=path: (str(p), "")
        )
        with qtbot.waitSignal(window.state.model_changed, timeout=TIMEOUT):
            window.template_notice.jinja_action.trigger()
        assert _notice(window).startswith(said)
    monkeypatch.setattr(
        template_notice.QFileDialog,
        "getOpenFileName",
        lambda *_a: (str(tmp_path / "gone.jinja"), ""),
    )
    window.template_notice.jinja_action.trigger()
    qtbot.waitUntil(window.banner.isVisible, timeout=TIMEOUT)
    assert window.error_label.text() == "Could not read gone.jinja: No such file or directory."


def test_the_library_and_models_list_show_each_files_template_and_where_it_came_from(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    chatml_no_template: Path,
    base_model: Path,
) -> None:
    from chatapp.core.models.library import Library

    data = tmp_path / "data"
    library = Library(data)
    for m in (tiny_model, chatml_no_template, base_model):
        library.add_file(m)
    listed = run_cli("models", "list", "--data-dir", data)
    assert listed.returncode == 0
    lines = {line.split("  ")[0]: line for line in listed.stdout.splitlines()}
    assert "template from the file  " in lines["tiny-chat.gguf"]
    assert (
        "template chosen from the vocabulary: ChatML (the file has no chat template)  "
        in lines["chatml-like.gguf"]
    )
    assert "template plain transcript: the file has no chat template  " in lines["base.gguf"]

    window = make_window(chatml_no_template, data=data)
    dialog = window.open_models()
    t = dialog.library_table
    qtbot.waitUntil(lambda: t.rowCount() == 3, timeout=TIMEOUT)
    assert t.horizontalHeaderItem(6).text() == "Template"
    cells = {t.item(r, 0).text(): t.item(r, 6) for r in range(3)}
    assert cells["Tiny Test Chat"].text() == "from the file"
    assert cells["Tiny Base"].text() == "plain transcript"
    assert cells["Tiny Base"].toolTip() == (
        "The chat template it gets: plain transcript: the file has no chat template"
    )
    loaded = cells["● Tiny ChatML-ish — loaded"]
    assert loaded.text() == "ChatML, from the vocabulary"
    assert loaded.toolTip().startswith("The chat template in effect: chosen from the vocabulary")


def test_a_file_without_a_template_chosen_as_gemma_says_both_on_their_own_lines(
    make_window: MakeWindow, tmp_path: Path
) -> None:
    path = write_chat_model(
        tmp_path / "gemma-like.gguf",
        name="Tiny Gemma-ish",
        chat_template=None,
        specials=("<bos>", "<eos>"),
        extra_specials=("<start_of_turn>", "<end_of_turn>"),
    )
    window = make_window(path)
    assert _notice(window).splitlines() == [
        "This file has no chat template; using Gemma (its vocabulary has Gemma's turn markers).",
        "Tiny Gemma-ish's template has no system role: your system prompt is sent at the start "
        "of your first message.",
    ]


def test_the_template_set_in_preferences_is_the_one_listed_for_every_model(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path, tiny_model: Path, base_model: Path
) -> None:
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, AppSettings, SettingsFile
    from chatapp.core.inference.chat_template import CHATML_TEMPLATE
    from chatapp.core.models.library import Library

    data = tmp_path / "data"
    library = Library(data)
    for m in (tiny_model, base_model):
        library.add_file(m)
    SettingsFile(data / SETTINGS_FILENAME).save(AppSettings(chat_template=CHATML_TEMPLATE))
    listed = run_cli("models", "list", "--data-dir", data)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert all("template set by the user: ChatML  " in line for line in lines)

    window = make_window(data=data)
    window.settings = window.settings.updated(chat_template=CHATML_TEMPLATE)
    dialog = window.open_models()
    t = dialog.library_table
    qtbot.waitUntil(lambda: t.rowCount() == 2, timeout=TIMEOUT)
    assert [t.item(r, 6).text() for r in range(2)] == ["ChatML, set by you"] * 2
