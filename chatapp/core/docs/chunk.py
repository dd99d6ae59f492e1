"""Sections cut into chunks measured in the embedding model's own tokens, with overlap.

A chunk never crosses a section (a page, a heading), so each keeps its page and heading path.
Words are packed greedily; each word's token count is the model's count for it with its leading
space (cached: a corpus repeats its words), which matches the whole text's count closely because
tokenizers rarely merge across a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from chatapp.core.docs.extract import Section

MAX_TOKENS: Final = 256
OVERLAP_TOKENS: Final = 32

_WORD = re.compile(r"\s*\S+")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None
    heading: str | None
    tokens: int


def chunk_sections(
    sections: list[Section],
    count_tokens: Callable[[str], int],
    *,
    max_tokens: int = MAX_TOKENS,
    overlap: int = OVERLAP_TOKENS,
) -> list[Chunk]:
    """Chunks of at most ``max_tokens`` tokens (a single longer "word" is cut by characters);
    consecutive chunks of a section share about ``overlap`` tokens."""
    if max_tokens < 1 or not 0 <= overlap < max_tokens:
        raise ValueError(f"need 0 <= overlap ({overlap}) < max_tokens ({max_tokens})")
    cache: dict[str, int] = {}

    def count(word: str) -> int:
        n = cache.get(word)
        if n is None:
            n = cache[word] = max(1, count_tokens(word))
        return n

    chunks: list[Chunk] = []
    for section in sections:
        words: list[tuple[str, int]] = []
        for word in _WORD.findall(section.text):
            words.extend(_split_long(word, count, max_tokens))
        start = 0
        while start < len(words):
            end, total = start, 0
            while end < len(words) and total + words[end][1] <= max_tokens:
                total += words[end][1]
                end += 1
            text = "".join(w for w, _ in words[start:end]).strip()
            if text:
                chunks.append(Chunk(text, section.page, section.heading, total))
            if end >= len(words):
                break
            back, kept = end, 0  # step back over the overlap, but always move forward
            while back - 1 > start and kept + words[back - 1][1] <= overlap:
                back -= 1
                kept += words[back][1]
            start = back
    return chunks


def _split_long(word: str, count: Callable[[str], int], max_tokens: int) -> list[tuple[str, int]]:
    n = count(word)
    if n <= max_tokens:
        return [(word, n)]
    half = len(word) // 2
    return _split_long(word[:half], count, max_tokens) + _split_long(word[half:], count, max_tokens)


__all__ = ["MAX_TOKENS", "OVERLAP_TOKENS", "Chunk", "chunk_sections"]
