"""The reasoning splitter: thinking apart from the answer however the reply is cut into pieces."""

from __future__ import annotations

import itertools

import pytest

from chatapp.core.inference.backend import TextDelta, ThinkingDelta
from chatapp.core.inference.reasoning import (
    ReasoningFormat,
    ReasoningSplitter,
    detect,
    opens_thinking,
)

THINK = ReasoningFormat.THINK
HARMONY = ReasoningFormat.HARMONY


def split(fmt: ReasoningFormat, pieces: list[str], *, in_thinking: bool = False) -> tuple[str, str]:
    """(thinking, answer) as the splitter streams them out of these pieces."""
    s = ReasoningSplitter(fmt, in_thinking=in_thinking)
    out = [p for piece in pieces for p in s.feed(piece)] + s.flush()
    thinking = "".join(p.text for p in out if isinstance(p, ThinkingDelta))
    answer = "".join(p.text for p in out if isinstance(p, TextDelta))
    # the thinking all comes before the answer: the window can collapse it once the answer starts
    kinds = [type(p) for p in out]
    assert kinds == sorted(kinds, key=lambda k: k is TextDelta)
    return thinking, answer


def every_split(text: str) -> list[list[str]]:
    """The text cut once at every point, and cut into single characters."""
    cuts = [[text[:i], text[i:]] for i in range(len(text) + 1)]
    return [*cuts, list(text)]


R1 = "<think>\nThe user greets me. I greet back.\n</think>\n\nHello! How can I help?"


@pytest.mark.parametrize("pieces", every_split(R1))
def test_think_block_is_split_at_every_cut(pieces: list[str]) -> None:
    assert split(THINK, pieces) == ("The user greets me. I greet back.", "Hello! How can I help?")


OPENED = "Two and two make four.\n</think>\n\nThe answer is 4."


@pytest.mark.parametrize("pieces", every_split(OPENED))
def test_reply_starting_inside_thinking_opened_by_the_template(pieces: list[str]) -> None:
    assert split(THINK, pieces, in_thinking=True) == (
        "Two and two make four.",
        "The answer is 4.",
    )


def test_a_reply_without_thinking_passes_through_unchanged() -> None:
    text = "Paris is the capital of France. A <think> tag in an answer stays text."
    for pieces in every_split(text):
        assert split(THINK, pieces) == ("", text)


def test_a_broken_tag_at_the_end_is_kept_as_text() -> None:
    assert split(THINK, ["The answer </thi"]) == ("", "The answer </thi")
    assert split(THINK, ["<think>still thinking when cut off"]) == (
        "still thinking when cut off",
        "",
    )


def test_thinking_inner_whitespace_is_kept() -> None:
    assert split(THINK, ["<think>a\n\n", "b  \n", "</think>x"]) == ("a\n\nb", "x")


HARMONY_REPLY = (
    "<|channel|>analysis<|message|>User asks capital of France. Paris.<|end|>"
    "<|start|>assistant<|channel|>final<|message|>The capital of France is Paris.<|return|>"
)


@pytest.mark.parametrize("pieces", every_split(HARMONY_REPLY))
def test_harmony_channels(pieces: list[str]) -> None:
    assert split(HARMONY, pieces) == (
        "User asks capital of France. Paris.",
        "The capital of France is Paris.",
    )


def test_harmony_text_without_headers_is_kept_as_the_answer() -> None:
    assert split(HARMONY, ["Just text, ", "no channels."]) == ("", "Just text, no channels.")


QWEN3 = (
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
)
R1_TEMPLATE = "{% set content = content.split('</think>')[-1] %}"
GPT_OSS = "<|start|>assistant<|channel|>final<|message|>{{ reasoning_effort }}"
CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{% endfor %}"


def test_detected_from_the_template_text() -> None:
    qwen3 = detect(QWEN3)
    assert qwen3.format is THINK and qwen3.reads_enable_thinking
    assert not qwen3.reads_reasoning_effort
    assert detect(R1_TEMPLATE).format is THINK
    assert not detect(R1_TEMPLATE).reads_enable_thinking
    oss = detect(GPT_OSS)
    assert oss.format is HARMONY and oss.reads_reasoning_effort
    plain = detect(CHATML)
    assert plain.format is None and not plain.reads_enable_thinking


def test_a_prompt_that_opens_thinking() -> None:
    assert opens_thinking("<|im_start|>assistant\n<think>\n")
    assert not opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert not opens_thinking("<|im_start|>assistant\n")


def test_pieces_stream_as_they_come() -> None:
    """Thinking is shown while the model thinks, not held until the block closes."""
    s = ReasoningSplitter(THINK)
    assert s.feed("<think>Let me") == [ThinkingDelta("Let me")]
    assert s.feed(" see") == [ThinkingDelta(" see")]
    assert s.feed("</think>Yes") == [TextDelta("Yes")]
    assert list(itertools.chain(s.flush())) == []
