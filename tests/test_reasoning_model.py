"""A generated reasoning model: its thinking streams and is saved apart from its answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatapp.core.chat.conversation import history, reply_to
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.backend import TextDelta, ThinkingDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.models.synthetic import write_chat_model
from chatapp.core.storage.store import Store

# Qwen3-style: the generation prompt opens the thinking, and the template reads enable_thinking.
THINKING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n"
    "{% else %}<think>\n{% endif %}{% endif %}"
)
SETTINGS = GenerationSettings(max_tokens=60, seed=7)


@pytest.fixture(scope="module")
def thinker(models: Path) -> Path:
    # "</think>" is one ordinary token the model likes to write, so it closes its thinking soon
    return write_chat_model(
        models / "tiny-thinker.gguf",
        name="Tiny Thinker",
        chat_template=THINKING_TEMPLATE,
        extra_tokens={"</think>": 0.6},
    )


@pytest.fixture(scope="module")
def engine(thinker: Path) -> Engine:
    e = Engine()
    e.load(thinker, LoadSettings(n_ctx=2048))
    return e


def test_the_load_report_says_the_template_declares_reasoning(engine: Engine) -> None:
    m = engine.model
    assert m is not None
    assert m.reasoning == "think"
    assert m.reads_enable_thinking and not m.reads_reasoning_effort
    assert "reasoning model (think format)" in m.describe()


def test_thinking_streams_first_and_is_saved_apart_from_the_answer(
    engine: Engine, tmp_path: Path
) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation()
        question = store.add_message(conv.id, "user", "Why is the sky blue?")
        events = list(reply_to(store, engine, conv.id, question, SETTINGS))
        thinking = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
        answer = "".join(e.text for e in events if isinstance(e, TextDelta))
        assert thinking and answer
        kinds = [type(e) for e in events if isinstance(e, TextDelta | ThinkingDelta)]
        assert kinds.index(TextDelta) > 0 and ThinkingDelta not in kinds[kinds.index(TextDelta) :]

        (_, saved) = store.thread(conv.id)
        assert (saved.thinking, saved.content) == (thinking, answer)
        assert "</think>" not in saved.thinking
        assert not saved.content.startswith((" ", "\n"))

        # the next turn sends the answer only: the model never sees its old thinking
        turns = history(store, conv.id)
        assert [t["content"] for t in turns] == ["Why is the sky blue?", answer]
        prompt = engine._require()[1].render(turns)  # what the model is given
        assert thinking not in prompt


def test_a_model_without_reasoning_streams_exactly_as_before(tiny_model: Path) -> None:
    """Plain models never take the splitter's path: one TextDelta per token, as they were."""
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=2048))
    assert e.model is not None and e.model.reasoning is None
    assert "reasoning" not in e.model.describe()
    reply = e.stream_chat([{"role": "user", "content": "Hello"}], SETTINGS)
    events = list(reply.events())
    assert not any(isinstance(ev, ThinkingDelta) for ev in events)
    texts = [ev.text for ev in events if isinstance(ev, TextDelta)]
    assert reply.metrics is not None and len(texts) == reply.metrics.completion_tokens
    assert "".join(texts) == reply.text and reply.thinking == ""


def test_the_window_shows_the_thinking_in_its_own_block_folded_once_the_answer_starts(
    thinker: Path, make_window, qtbot, tmp_path: Path
) -> None:
    from tests.helpers import send

    window = make_window(thinker, generation=SETTINGS)
    reply_id = send(qtbot, window, "hello")
    widget = window.chat_view.widgets[reply_id]
    with Store.open_dir(tmp_path / "data") as store:
        saved = store.get_message(reply_id)
    assert saved.thinking and saved.content
    block = widget.thinking
    assert block.isVisibleTo(widget) and block.toggle.text().startswith("Thought")
    assert not block.text.isVisibleTo(widget)  # folded
    block.toggle.click()
    assert block.text.isVisibleTo(widget) and block.text.text() == saved.thinking.strip()
    assert widget.body.toPlainText().strip() == saved.content.strip()  # the answer alone


def test_chatapp_chat_writes_the_thinking_to_stderr_and_only_the_answer_to_stdout(
    thinker: Path, tmp_path: Path
) -> None:
    from tests.helpers import conversation_id, run_cli

    done = run_cli(
        "chat",
        "--data-dir",
        tmp_path,
        "--model",
        thinker,
        "hello",
        "--max-tokens",
        "60",
        "--seed",
        "7",
    )
    assert done.returncode == 0, done.stderr
    with Store.open_dir(tmp_path) as store:
        reply = store.thread(conversation_id(done.stderr))[-1]
    assert reply.thinking and reply.thinking.strip() in done.stderr
    assert done.stdout.strip() == reply.content.strip()  # the answer alone


def test_thinking_off_closes_the_block_in_the_prompt_and_saves_no_thinking(
    engine: Engine, tmp_path: Path
) -> None:
    template = engine._require()[1]
    turns: list[ChatMessage] = [{"role": "user", "content": "hi"}]
    assert template.render(turns).endswith("assistant\n<think>\n")  # the template's default
    assert template.render(turns, thinking=True).endswith("assistant\n<think>\n")
    off = template.render(turns, thinking=False)
    assert off.endswith("assistant\n<think>\n\n</think>\n\n")
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation()
        question = store.add_message(conv.id, "user", "Why is the sky blue?")
        settings = SETTINGS.updated(thinking=False)
        events = list(reply_to(store, engine, conv.id, question, settings))
        assert not any(isinstance(e, ThinkingDelta) for e in events)
        (_, saved) = store.thread(conv.id)
        assert not saved.thinking and saved.content


def test_chatapp_chat_no_thinking_is_saved_as_the_conversation_s_own(
    thinker: Path, tmp_path: Path
) -> None:
    from tests.helpers import conversation_id, run_cli

    done = run_cli(
        "chat", "--data-dir", tmp_path, "--model", thinker, "hello", "--max-tokens", "60",
        "--seed", "7", "--no-thinking",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Store.open_dir(tmp_path) as store:
        conv = store.get_conversation(conversation_id(done.stderr))
        assert conv.settings == {"max_tokens": 60, "seed": 7, "thinking": False}
        reply = store.thread(conv.id)[-1]
    assert not reply.thinking and reply.content


def test_the_conversation_dialog_offers_the_switch_only_where_the_template_reads_it(
    engine: Engine, tiny_model: Path, qtbot
) -> None:
    from chatapp.core.config.appsettings import AppSettings
    from chatapp.core.storage.store import Conversation
    from chatapp.ui.main.conversation_settings import ConversationSettingsDialog

    plain = Engine()
    plain.load(tiny_model, LoadSettings(n_ctx=512))
    conv = Conversation(id="c1", title="t", created_at="", updated_at="")
    shown = AppSettings(generation=SETTINGS.updated(thinking=False))
    dialog = ConversationSettingsDialog(shown, conv, model=engine.model)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.thinking.isVisible() and not dialog.reasoning_effort.isVisible()
    assert dialog.thinking.currentData() is False
    dialog.thinking.setCurrentIndex(dialog.thinking.findData(True))
    dialog.accept()
    assert dialog.overrides(SETTINGS) == {"thinking": True}
    other = ConversationSettingsDialog(AppSettings(), conv, model=plain.model)
    qtbot.addWidget(other)
    other.show()
    assert not other.thinking.isVisible() and not other.reasoning_effort.isVisible()
