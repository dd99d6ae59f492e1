"""Text without spaces between its words (Chinese, Japanese, Korean) in SQLite's FTS5 search.

FTS5's unicode61 tokenizer splits at spaces and punctuation, so a run of CJK characters, which
has neither, is one token to it: "大型语言模型" matches only itself, not "模型". A ``trigram``
index (every three characters a token) finds any substring of three or more characters; one or
two characters, shorter than a trigram, stand for the trigrams the index holds that start with
them, read from its vocabulary (an ``fts5vocab`` table) by range. Both the conversation store
and the document index search this way; this module holds what they share.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Final

# Han (with extensions and compatibility ideographs), kana, Hangul syllables
CJK_CHARS: Final = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
CJK_RUN: Final = re.compile(f"[{CJK_CHARS}]+")
# a character of a word that is not CJK: a CJK character next to a word ends it
WORDCHAR: Final = f"(?:(?![{CJK_CHARS}])\\w)"
_TERM: Final = re.compile(r"\w+", re.UNICODE)
_PIECE: Final = re.compile(f"[{CJK_CHARS}]+|{WORDCHAR}+")


def is_wide(ch: str) -> bool:
    """Whether a character takes two columns: wide or full-width by Unicode's East Asian Width
    (ideographs, kana, Hangul syllables, CJK punctuation and full-width forms)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def is_cjk(piece: str) -> bool:
    """Whether ``piece`` (one of :func:`pieces`) is a run of CJK characters."""
    return CJK_RUN.fullmatch(piece) is not None


def pieces(text: str) -> list[str]:
    """Words (non-CJK) and CJK runs of ``text``, in order, once each: "基于Transformer的模型" is
    "基于", "Transformer", "的模型"."""
    return list(dict.fromkeys(p for t in _TERM.findall(text) for p in _PIECE.findall(t)))


def quote(term: str) -> str:
    """``term`` as an FTS5 string: never an operator or a syntax error."""
    return '"' + term.replace('"', '""') + '"'


def any_of(terms: list[str]) -> str | None:
    """An FTS5 query matching any of ``terms`` (None: no terms)."""
    if not terms:
        return None
    return " OR ".join(quote(t) for t in dict.fromkeys(terms))


def word_pattern(word: str, *, prefix: bool = False) -> str:
    """A regular expression for ``word`` as a whole word, where CJK text next to it counts as a
    word boundary ("Transformer" in "基于Transformer的"); ``prefix``: as the start of a word."""
    end = "" if prefix else f"(?!{WORDCHAR})"
    return f"(?<!{WORDCHAR}){re.escape(word)}{end}"


def trigrams_after(conn: sqlite3.Connection, vocab: str, prefix: str, limit: int) -> dict[str, int]:
    """The trigrams of a trigram index that start with ``prefix`` (one or two characters), with
    the number of rows each is in: at most ``limit``, read by range from ``vocab``, the index's
    ``fts5vocab`` table (of kind 'row')."""
    low = prefix.lower()  # the trigram tokenizer folds case
    rows = conn.execute(
        f"SELECT term, doc FROM {vocab} WHERE term >= ? AND term < ? LIMIT ?",
        (low, low + "\U0010ffff", limit),
    ).fetchall()
    return {str(t): int(d) for t, d in rows}


@dataclass(frozen=True)
class Needles:
    """What a text must hold to match a query, read in the text itself: each CJK run as a
    substring, each word as a whole word (CJK text next to it a boundary), the last word of the
    query as the start of one (search as you type). For hits that a trigram index found, which
    matches substrings only, and for their snippets."""

    runs: tuple[str, ...]
    words: tuple[str, ...]
    prefix: str | None  # the query's last word, matched as the start of a word

    @classmethod
    def of(cls, query: str) -> Needles:
        found = pieces(query)
        last = _PIECE.findall(query)
        prefix = last[-1] if last and not is_cjk(last[-1]) else None
        return cls(
            runs=tuple(p for p in found if is_cjk(p)),
            words=tuple(p for p in found if not is_cjk(p) and p != prefix),
            prefix=prefix,
        )

    def _patterns(self) -> list[str]:
        words = [word_pattern(w) for w in self.words]
        if self.prefix is not None:  # the whole word it starts is marked, as FTS5 marks it
            words.append(word_pattern(self.prefix, prefix=True) + f"{WORDCHAR}*")
        return [re.escape(r) for r in self.runs] + words

    def matches(self, text: str) -> bool:
        """Whether ``text`` holds every run and every word."""
        return all(r in text for r in self.runs) and all(
            re.search(p, text, re.IGNORECASE) for p in self._patterns()[len(self.runs) :]
        )

    def snippet(self, text: str, marks: tuple[str, str], ellipsis: str, width: int = 64) -> str:
        """About ``width`` characters of ``text`` around its first match, every match in them
        between ``marks``, ``ellipsis`` where text was cut; a cut never splits a word."""
        patterns = sorted(self._patterns(), key=len, reverse=True)  # the longest match first
        found = [m.span() for m in re.finditer("|".join(patterns), text, re.IGNORECASE)]
        first = _densest(text, found, width) if found else 0
        begin = max(0, min(first - width // 4, len(text) - width))
        end = min(len(text), begin + width)
        begin = _word_start(text, begin, first)
        end = _word_end(text, end)
        out = [ellipsis] if begin > 0 else []
        at = begin
        for a, b in found:
            if a < begin or b > end:
                continue
            out += [text[at:a], marks[0], text[a:b], marks[1]]
            at = b
        out.append(text[at:end])
        if end < len(text):
            out.append(ellipsis)
        return "".join(out)


_WORD_CHAR: Final = re.compile(WORDCHAR)


def _densest(text: str, found: list[tuple[int, int]], width: int) -> int:
    """Where the match to start a snippet at is: the first of those whose ``width`` characters
    hold the most different matched words (of the first 50 matches)."""
    spans = found[:50]
    best, most = spans[0][0], 0
    for a, _ in spans:
        words = {text[x:y].lower() for x, y in spans if a - width // 4 <= x and y <= a + width}
        if len(words) > most:
            best, most = a, len(words)
    return best


def _word_start(text: str, at: int, limit: int) -> int:
    """``at``, moved back to the start of the (non-CJK) word it falls in, or on to ``limit``."""
    start = at
    while start > 0 and _WORD_CHAR.match(text, start - 1) and _WORD_CHAR.match(text, start):
        start -= 1
        if at - start > 16:  # a very long word: cut it after all, but not past the match
            return at
    return min(start, limit)


def _word_end(text: str, at: int) -> int:
    """``at``, moved on to the end of the (non-CJK) word it falls in."""
    end = at
    while end < len(text) and end > 0 and _WORD_CHAR.match(text, end - 1):
        if not _WORD_CHAR.match(text, end) or end - at > 16:
            break
        end += 1
    return end


__all__ = [
    "CJK_CHARS",
    "CJK_RUN",
    "WORDCHAR",
    "Needles",
    "any_of",
    "is_cjk",
    "pieces",
    "quote",
    "trigrams_after",
    "word_pattern",
]
