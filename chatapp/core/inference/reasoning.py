"""Reasoning models: telling the thinking apart from the answer, as the reply streams.

A reasoning model writes its thinking before its answer, in a format its chat template declares:

- ``think``: ``<think>…</think>`` then the answer (DeepSeek-R1, QwQ, Qwen3). Some templates
  open the ``<think>`` block in the generation prompt themselves, so the reply starts inside the
  thinking and only ``</think>`` appears in it.
- ``harmony`` (gpt-oss): messages on channels, ``<|channel|>analysis<|message|>…<|end|>`` for
  the thinking and ``<|channel|>final<|message|>…`` for the answer.

The format is read from the template text itself (``detect``), never from a list of model
names: a re-quantized or renamed file keeps its template. ``ReasoningSplitter`` is pure: it
takes the reply's text in whatever pieces it streams in (a tag may be split across pieces) and
returns the thinking and answer text it is sure of, holding back only what may begin a tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from chatapp.core.inference.backend import TextDelta, ThinkingDelta


class ReasoningFormat(StrEnum):
    THINK = "think"
    HARMONY = "harmony"


@dataclass(frozen=True)
class ReasoningSupport:
    """What a chat template says about reasoning."""

    format: ReasoningFormat | None
    reads_enable_thinking: bool = False  # the template has a thinking on/off switch
    reads_reasoning_effort: bool = False  # the template takes an effort (low/medium/high)


THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"
_H_START, _H_CHANNEL, _H_MESSAGE = "<|start|>", "<|channel|>", "<|message|>"
_H_END, _H_RETURN, _H_CALL = "<|end|>", "<|return|>", "<|call|>"
_HARMONY_TAGS: Final = (_H_START, _H_CHANNEL, _H_MESSAGE, _H_END, _H_RETURN, _H_CALL)
_THINK_MARKERS: Final = (THINK_OPEN, THINK_CLOSE, "reasoning_content", "enable_thinking")


def detect(template: str) -> ReasoningSupport:
    """The reasoning format a chat template declares, from its own text."""
    fmt: ReasoningFormat | None = None
    if _H_CHANNEL in template and _H_MESSAGE in template:
        fmt = ReasoningFormat.HARMONY
    elif any(m in template for m in _THINK_MARKERS):
        fmt = ReasoningFormat.THINK
    return ReasoningSupport(
        format=fmt,
        reads_enable_thinking=fmt is not None and "enable_thinking" in template,
        reads_reasoning_effort=fmt is not None and "reasoning_effort" in template,
    )


def opens_thinking(generation_prompt: str) -> bool:
    """Whether a rendered prompt ends inside an opened ``<think>`` block (the reply then starts
    with thinking), as Qwen3-style templates with thinking forced on do."""
    return generation_prompt.rstrip().endswith(THINK_OPEN)


Piece = TextDelta | ThinkingDelta


class _TagScanner:
    """Cuts streamed text into plain text and whole tags, holding back a tail that may be the
    start of a tag until the next piece says whether it is."""

    def __init__(self, tags: tuple[str, ...]) -> None:
        self.tags = tags
        self._pattern = re.compile("|".join(re.escape(t) for t in tags))
        self.pending = ""

    def feed(self, text: str) -> list[tuple[str, bool]]:
        """(text, is_tag) items for what is certain so far."""
        buf = self.pending + text
        out: list[tuple[str, bool]] = []
        pos = 0
        for m in self._pattern.finditer(buf):
            if m.start() > pos:
                out.append((buf[pos : m.start()], False))
            out.append((m.group(), True))
            pos = m.end()
        rest = buf[pos:]
        hold = 0
        for tag in self.tags:
            for k in range(min(len(tag) - 1, len(rest)), hold, -1):
                if rest.endswith(tag[:k]):
                    hold = k
                    break
        self.pending = rest[len(rest) - hold :]
        if len(rest) > hold:
            out.append((rest[: len(rest) - hold], False))
        return out

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


class ReasoningSplitter:
    """Splits one reply's streamed text into ``ThinkingDelta`` and ``TextDelta`` pieces.

    Whitespace that only separates the thinking from the answer (the newlines around the tags)
    is dropped; everything else the model wrote comes out, in order, in one of the two streams.
    """

    def __init__(self, fmt: ReasoningFormat, *, in_thinking: bool = False) -> None:
        self.format = fmt
        if fmt is ReasoningFormat.HARMONY:
            self._scanner = _TagScanner(_HARMONY_TAGS)
            self._header: str | None = "" if not in_thinking else None
            self._channel = "analysis" if in_thinking else ""
        else:
            self._scanner = _TagScanner((THINK_OPEN, THINK_CLOSE))
        # think format: "start" (an opening tag may still come), "thinking", "answer"
        self._state = "thinking" if in_thinking else "start"
        self._lead = True  # at the start of the current stream: leading whitespace is dropped
        self._ws = ""  # thinking's trailing whitespace, held until more thinking follows

    def feed(self, text: str) -> list[Piece]:
        out: list[Piece] = []
        for item, is_tag in self._scanner.feed(text):
            if self.format is ReasoningFormat.HARMONY:
                self._harmony(item, is_tag, out)
            else:
                self._think(item, is_tag, out)
        return out

    def flush(self) -> list[Piece]:
        """The end of the reply: whatever was held back (a partial tag is just text)."""
        out: list[Piece] = []
        tail = self._scanner.flush()
        if self.format is ReasoningFormat.HARMONY:
            if tail:
                if self._header is not None:
                    self._header += tail
                else:
                    self._emit(tail, self._channel != "final", out)
            if self._header:
                # a header never closed by <|message|>: not harmony after all; keep the text
                self._emit(self._header, False, out)
                self._header = ""
        elif tail:
            self._think(tail, False, out)
        return out

    # -- formats --------------------------------------------------------------------------------

    def _think(self, item: str, is_tag: bool, out: list[Piece]) -> None:
        if is_tag:
            if item == THINK_OPEN and self._state in ("start", "thinking") and self._lead:
                self._state, self._lead = "thinking", True
                return
            if item == THINK_CLOSE and self._state in ("start", "thinking"):
                self._state, self._lead, self._ws = "answer", True, ""
                return
        if self._state == "start" and item.strip():
            self._state = "answer"  # text before any tag: this reply has no thinking
        self._emit(item, self._state == "thinking", out)

    def _harmony(self, item: str, is_tag: bool, out: list[Piece]) -> None:
        if self._header is not None:  # reading a message's header, up to <|message|>
            if is_tag and item == _H_MESSAGE:
                match = re.search(r"<\|channel\|>\s*(\w+)", self._header)
                self._channel = match.group(1) if match else "final"
                self._header, self._lead, self._ws = None, True, ""
            elif is_tag and item in (_H_END, _H_RETURN, _H_CALL):
                self._header = ""
            else:
                self._header += item
            return
        if is_tag and item in (_H_END, _H_RETURN, _H_CALL, _H_START):
            self._header = "" if item != _H_START else item
            return
        if is_tag and item == _H_CHANNEL:  # a new header without <|start|>
            self._header = item
            return
        self._emit(item, self._channel != "final", out)

    def _emit(self, text: str, thinking: bool, out: list[Piece]) -> None:
        if self._lead:
            text = text.lstrip()
            if not text:
                return
            self._lead = False
        if thinking:
            body = text.rstrip()
            if not body:
                self._ws += text
                return
            text, self._ws = self._ws + body, text[len(body) :]
            _append(out, ThinkingDelta(text))
        else:
            _append(out, TextDelta(text))


def _append(out: list[Piece], piece: Piece) -> None:
    if out and type(out[-1]) is type(piece):
        out[-1] = type(piece)(out[-1].text + piece.text)
    else:
        out.append(piece)


__all__ = [
    "THINK_CLOSE",
    "THINK_OPEN",
    "ReasoningFormat",
    "ReasoningSplitter",
    "ReasoningSupport",
    "detect",
    "opens_thinking",
]
