"""The prompt library: shipped prompts, variables (rendered in Jinja's sandbox), few-shot
examples the model reads before the conversation, import and export; in the window too."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.chat.conversation import history
from chatapp.core.chat.prompts import (
    SHIPPED,
    Example,
    Prompt,
    PromptError,
    PromptLibrary,
    export_prompts,
    render,
)
from chatapp.core.chat.service import ChatService
from chatapp.core.chat.transfer import export_json, import_json
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.storage.store import Store
from tests.helpers import TIMEOUT, MakeWindow

NOW = datetime(2026, 12, 2, 9, 30)


def test_variables_are_filled_in_and_unknown_ones_are_named() -> None:
    text = "Today is {{weekday}} {{date}} at {{time}}; answer in {{language}}."
    assert render(text, language="Chinese", now=NOW) == (
        "Today is Wednesday 2026-12-02 at 09:30; answer in Chinese."
    )
    with pytest.raises(PromptError, match="'mood' is undefined: the variables are"):
        render("Be {{mood}}.")
    with pytest.raises(PromptError, match="cannot be read"):
        render("Broken {{ date")
    with pytest.raises(PromptError):  # the sandbox: no way into Python
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    assert render("No variables, {curly} stays") == "No variables, {curly} stays"


def test_the_library_ships_prompts_saves_and_imports(tmp_path: Path) -> None:
    library = PromptLibrary.open_dir(tmp_path)
    assert [p.name for p in library.prompts] == [p.name for p in SHIPPED]
    mine = Prompt("Pirate", "Talk like a pirate on {{date}}.", (Example("Hi", "Ahoy!"),))
    library.put(mine)
    library.remove("Concise")
    again = PromptLibrary.open_dir(tmp_path)
    assert again.get("Pirate") == mine and "Concise" not in [p.name for p in again.prompts]
    with pytest.raises(PromptError, match="'mood' is undefined"):
        again.put(Prompt("Moody", "Be {{mood}}."))
    exported = export_prompts([mine])
    fresh = PromptLibrary(tmp_path / "other.json")
    assert fresh.import_text(exported) == [mine]
    before = list(fresh.prompts)
    with pytest.raises(PromptError):
        fresh.import_text(json.dumps({"format": "chatapp-prompts", "prompts": [{"x": 1}]}))
    assert fresh.prompts == before  # nothing half-imported
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "prompts.json").write_text("{not json")
    broken = PromptLibrary.open_dir(tmp_path / "broken")
    assert broken.problem and "cannot be read" in broken.problem
    assert broken.prompts == list(SHIPPED)


def test_examples_go_to_the_model_before_the_conversation_and_travel_with_it(
    tmp_path: Path,
) -> None:
    sentiment = next(p for p in SHIPPED if p.examples)
    with Store.open_dir(tmp_path / "a") as store:
        chats = ChatService(store, GenerationSettings)
        conv = chats.apply_prompt(None, sentiment)
        assert len(conv.examples) == 3 and conv.system_prompt == sentiment.system
        conv, _ = chats.send(conv, "I love this kettle", model="m")
        turns = history(store, conv.id)
        assert [t["role"] for t in turns] == [
            "system", "user", "assistant", "user", "assistant", "user", "assistant", "user"
        ]  # fmt: skip
        assert turns[1]["content"] == sentiment.examples[0].user
        assert turns[-1]["content"] == "I love this kettle"
        assert [m.content for m in store.thread(conv.id)] == ["I love this kettle"]  # not shown
        exported = export_json(store)
    with Store.open_dir(tmp_path / "b") as store:
        import_json(store, exported)
        (copy,) = store.list_conversations()
        assert copy.examples == conv.examples


def test_the_window_uses_a_few_shot_prompt_in_a_new_chat(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    dialog = window.open_prompts()
    names = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    dialog.list.setCurrentRow(names.index("Sentiment (few-shot)"))
    assert dialog.examples.rowCount() == 3
    with qtbot.waitSignal(window.chat_panel.conversations_stale, timeout=TIMEOUT):
        dialog.use_new_button.click()
    qtbot.waitUntil(lambda: window.current is not None, timeout=TIMEOUT)
    assert window.current is not None and len(window.current.examples) == 3
    qtbot.waitUntil(lambda: "3 examples" in window.header.text(), timeout=TIMEOUT)


def test_a_prompt_with_an_unknown_variable_is_not_saved(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    dialog = window.open_prompts()
    dialog.new_button.click()
    dialog.name.setText("Moody")
    dialog.system.setPlainText("Be {{mood}}.")
    dialog.save_button.click()
    assert dialog.problem.isVisible() and "'mood' is undefined" in dialog.problem.text()
    assert "Moody" not in [p.name for p in window.prompts.prompts]
    dialog.system.setPlainText("Be kind on {{weekday}}.")
    dialog.save_button.click()
    qtbot.waitUntil(
        lambda: "Moody" in [dialog.list.item(i).text() for i in range(dialog.list.count())],
        timeout=TIMEOUT,
    )
    assert (window.settings_file.path.parent / "prompts.json").is_file()
