"""Every collected real chat template renders a chat with a system prompt.

The templates are in tests/data/chat_templates, each with its source in its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatapp.core.inference.chat_template import ChatMessage, ChatTemplate

DATA = Path(__file__).parent / "data" / "chat_templates"
TEMPLATES = sorted(DATA.glob("*.jinja"))
# Templates that need what a GGUF does not carry: GigaChat's indexes the tokenizer's
# ``additional_special_tokens``, a list only Hugging Face's tokenizer object has.
CANNOT_RENDER = {"inline-ai-sage-GigaChat-20B-A3B-instruct.jinja"}
# Templates with no system role (they raise on one, or drop it): the system prompt is folded.
FOLDS_SYSTEM = {
    "google-gemma-2-2b-it.jinja",
    "inline-google-gemma-7b-it.jinja",
    "inline-mistralai-Mistral-7B-Instruct-v0.2.jinja",
    "inline-OrionStarAI-Orion-14B-Chat.jinja",
    "inline-Phi-3-medium.jinja",
    "inline-Phi-3-mini.jinja",
    "inline-yandex-YandexGPT-5-Lite-8B-instruct.jinja",
}
CHAT: list[ChatMessage] = [
    {"role": "system", "content": "You are a terse pirate."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris, matey."},
    {"role": "user", "content": "And of Italy?"},
]


def test_every_template_has_its_source_in_the_manifest() -> None:
    manifest = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest) == [p.name for p in TEMPLATES]
    assert len(TEMPLATES) >= 80


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.stem for p in TEMPLATES])
def test_a_real_template_renders_a_chat_with_a_system_prompt(path: Path) -> None:
    if path.name in CANNOT_RENDER:
        pytest.xfail("needs the tokenizer's additional_special_tokens")
    t = ChatTemplate(
        path.read_text(encoding="utf-8"),
        bos_token="<s>",
        eos_token="</s>",
        model_name=path.stem,
        source="from the file",
    )
    prompt = t.render(CHAT)
    for m in CHAT:
        assert m["content"] in prompt, m["role"]
    assert t.folds_system == (path.name in FOLDS_SYSTEM)
    if t.folds_system:  # the system text opens the first user turn
        assert prompt.index(CHAT[0]["content"]) < prompt.index(CHAT[1]["content"])
    # it ends with the assistant's turn opened: something follows the last user text, and
    # where the template reads add_generation_prompt, leaving it out takes nothing away
    # (YandexGPT's reads it and opens the turn either way)
    tail = prompt[prompt.rindex(CHAT[-1]["content"]) + len(CHAT[-1]["content"]) :]
    assert tail.strip()
    if "add_generation_prompt" in t.template:
        without = t.render(CHAT, add_generation_prompt=False)
        assert len(prompt) >= len(without)


def _real(name: str) -> ChatTemplate:
    return ChatTemplate(
        (DATA / name).read_text(encoding="utf-8"),
        bos_token="<s>",
        eos_token="</s>",
        model_name=name,
        source="from the file",
    )


def test_gpt_oss_gets_the_reasoning_effort_the_user_chose() -> None:
    t = _real("openai-gpt-oss-120b.jinja")
    assert "Reasoning: medium" in t.render(CHAT)  # unset: the template's own default
    high = t.render(CHAT, reasoning_effort="high")
    assert "Reasoning: high" in high and "Reasoning: medium" not in high
    assert "Reasoning: low" in t.render(CHAT, reasoning_effort="low")


def test_qwen3_thinks_unless_the_switch_is_off() -> None:
    t = _real("Qwen-Qwen3-0.6B.jinja")
    assert "<think>\n\n</think>" not in t.render(CHAT)
    # off: the template opens the answer with an empty thinking block
    assert t.render(CHAT, thinking=False).endswith("<think>\n\n</think>\n\n")
