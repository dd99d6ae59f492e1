"""Template variables, the system-prompt fold, and the turn format of a file with no template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from chatapp.core.config.settings import GenerationSettings
from chatapp.core.inference.chat_template import (
    PLAIN,
    TURN_FORMATS,
    ChatMessage,
    ChatTemplate,
    choose_turn_format,
)
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.metrics import StopReason
from chatapp.core.models.modelinfo import TURN_MARKER_TOKENS, read_model_info
from chatapp.core.models.synthetic import write_chat_model

CHAT: list[ChatMessage] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "hello there"},
]


def template(text: str) -> ChatTemplate:
    return ChatTemplate(text, bos_token="<s>", eos_token="</s>", model_name="m", source="test")


def test_tools_are_left_out_for_templates_that_test_whether_they_are_defined() -> None:
    t = template(
        "{% if tools is defined %}{% for t in tools %}{{ t.name }}{% endfor %}TOOLS{% endif %}"
        "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:"
    )
    assert t.render(CHAT) == "system: Be brief.\nuser: hello there\nassistant:"


def test_tools_are_none_for_templates_that_test_for_none_and_iterate() -> None:
    t = template(
        "{% if tools is not none %}{{ tools | tojson }}{% endif %}"
        "{% for m in messages %}{{ m.content }} {% endfor %}>"
    )
    assert t.render(CHAT) == "Be brief. hello there >"


def test_firefunction_gets_its_functions_as_json_text_and_a_date() -> None:
    t = template(
        "{{ 'Functions: ' + functions + '. Today is ' + datetime + '.' }}"
        "{% for m in messages %}{{ m.content }} {% endfor %}>"
    )
    assert t.render(CHAT).startswith(f"Functions: []. Today is {datetime.now():%Y-%m-%d}.")


def test_date_string_and_strftime_now_give_today() -> None:
    t = template(
        "{{ date_string }}|{{ strftime_now('%Y') }}|"
        "{% for m in messages %}{{ m.content }} {% endfor %}>"
    )
    now = datetime.now()
    assert t.render(CHAT).startswith(f"{now:%d %b %Y}|{now:%Y}|")


def test_a_template_wanting_content_as_parts_gets_parts() -> None:
    t = template(
        "{% for m in messages %}{% for p in m.content %}{{ p.text }}{% endfor %}|{% endfor %}>"
    )
    assert t.render(CHAT) == "Be brief.|hello there|>"


@pytest.mark.parametrize(
    "body",
    [
        "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
        "{% endif %}",
        "",  # drops the system message without a word
    ],
    ids=["raises", "drops"],
)
def test_a_template_without_a_system_role_gets_it_in_the_first_user_turn(body: str) -> None:
    t = template(
        body + "{% for m in messages %}{% if m.role != 'system' %}"
        "<{{ m.role }}>{{ m.content }}{% endif %}{% endfor %}<assistant>"
    )
    assert t.folds_system
    assert t.render(CHAT) == "<user>Be brief.\n\nhello there<assistant>"
    alone: list[ChatMessage] = [{"role": "system", "content": "Only this."}]
    assert t.render(alone) == "<user>Only this.<assistant>"


def test_a_template_with_a_system_role_keeps_it() -> None:
    t = template("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>")
    assert not t.folds_system
    assert t.render(CHAT) == "<system>Be brief.<user>hello there<assistant>"


def test_the_header_reader_looks_for_every_marker_a_turn_format_needs() -> None:
    assert {m for f in TURN_FORMATS for m in f.markers} <= TURN_MARKER_TOKENS


@pytest.mark.parametrize(
    ("tokens", "architecture", "expected"),
    [
        ({"<start_of_turn>", "<end_of_turn>"}, "gemma2", "Gemma"),
        ({"<|im_start|>", "<|im_end|>"}, "qwen2", "ChatML"),
        ({"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}, "llama", "Llama 3"),
        ({"[INST]", "[/INST]"}, "llama", "Mistral"),
        ({"<|user|>", "<|assistant|>", "<|end|>"}, "phi3", "Phi-3"),
        ({"<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>"}, "command-r", "Command-R"),
        ({"<\uff5cUser\uff5c>", "<\uff5cAssistant\uff5c>"}, "deepseek2", "DeepSeek"),
        # both ChatML and Llama 3 markers: the architecture's own format wins
        (
            {
                "<|im_start|>",
                "<|im_end|>",
                "<|start_header_id|>",
                "<|end_header_id|>",
                "<|eot_id|>",
            },
            "qwen2",
            "ChatML",
        ),
        ({"<|im_start|>"}, "qwen2", "plain transcript"),  # half a format is none
        (set(), "gemma", "plain transcript"),  # no markers: not even the architecture's
    ],
)
def test_the_turn_format_follows_the_vocabulary(
    tokens: set[str], architecture: str, expected: str
) -> None:
    assert choose_turn_format(tokens, architecture).name == expected


@pytest.mark.parametrize("fmt", [*TURN_FORMATS, PLAIN], ids=lambda f: f.name)
def test_every_turn_format_renders_a_chat_with_a_system_prompt(fmt: object) -> None:
    assert fmt in (*TURN_FORMATS, PLAIN)
    t = template(fmt.template)  # type: ignore[attr-defined]
    chat: list[ChatMessage] = [
        *CHAT,
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": "bye"},
    ]
    prompt = t.render(chat)
    assert all(m["content"] in prompt for m in chat)
    if "add_generation_prompt" in t.template:  # Mistral's [/INST] opens the reply itself
        assert prompt != t.render(chat, add_generation_prompt=False)
    if fmt is PLAIN:
        assert t.render(CHAT) == "Be brief.\n\nUser: hello there\nAssistant:"


def test_a_base_model_without_markers_gets_a_transcript_that_stops_at_the_next_turn(
    tmp_path: Path,
) -> None:
    path = write_chat_model(
        tmp_path / "base.gguf",
        name="Tiny Base",
        chat_template=None,
        specials=("<s>", "</s>"),
        extra_tokens={"ĊUser:": 0.6},  # now and then the model writes the user's next turn
    )
    assert read_model_info(path).marker_tokens == frozenset()
    e = Engine()
    m = e.load(path)
    assert m.template_source == "plain transcript: the file has no chat template"
    assert not m.system_folded and "plain transcript" in m.describe()
    reply = e.stream_chat(CHAT, GenerationSettings(max_tokens=400, seed=1))
    reply.run()
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.STOP_STRING
    assert reply.text and "User:" not in reply.text
    assert 1 < reply.metrics.completion_tokens < 400


def test_a_file_without_a_template_but_with_gemma_tokens_chats_as_gemma(tmp_path: Path) -> None:
    path = write_chat_model(
        tmp_path / "gemma-like.gguf",
        chat_template=None,
        specials=("<bos>", "<eos>"),
        extra_specials=("<start_of_turn>", "<end_of_turn>"),
    )
    e = Engine()
    m = e.load(path)
    assert m.template_source == "chosen from the vocabulary: Gemma (the file has no chat template)"
    assert m.system_folded  # Gemma has no system role
    assert "system prompt sent in the first user turn" in m.describe()
    assert e.stream_chat(CHAT, GenerationSettings(max_tokens=5, seed=1)).run().completion_tokens
    e.set_chat_template("{% for m in messages %}{{ m.content }}{% endfor %}")
    assert e.model is not None and e.model.template_source == "set by the user"
    assert not e.model.system_folded


def test_a_file_without_a_template_but_with_chatml_tokens_chats_in_chatml(
    tmp_path: Path,
) -> None:
    path = write_chat_model(tmp_path / "chatml-like.gguf", chat_template=None)
    m = Engine().load(path)
    assert m.template_source == "chosen from the vocabulary: ChatML (the file has no chat template)"
