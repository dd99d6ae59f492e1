"""Bold and italics next to Chinese, Japanese and Korean text, for markdown-it (a plugin).

CommonMark decides whether ``**`` opens or closes emphasis from the characters beside it; a
run between punctuation and a letter only counts on the letter's side. That rule assumes
words are separated by spaces, so it fails on CJK text, which has none: ``**注意：**请小心``
and ``他说**“你好”**然后`` stay as literal asterisks. Models writing Chinese produce exactly
that ("**注意：**", "**第一步：**") all the time.

The CJK-friendly amendment to CommonMark (github.com/tats-u/markdown-cjk-friendly) lets a CJK
character beside the delimiter run count as the whitespace the rule expects. This plugin
applies that amendment to markdown-it-py's delimiter scan and nothing else; text without a CJK
character beside a delimiter parses exactly as before. (The Python package implementing it,
mdit-py-cjk-friendly, requires markdown-it-py < 4.)
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Scanned, StateInline

from chatapp.core.storage.cjk import is_wide

_OPTION = "cjk_friendly"


_upstream = StateInline.scanDelims


def _scan_delims(self: StateInline, start: int, canSplitWord: bool) -> Scanned:
    scanned = _upstream(self, start, canSplitWord)
    if not self.md.options.get(_OPTION) or (scanned.can_open and scanned.can_close):
        return scanned
    before = self.src[start - 1] if start > 0 else " "
    after_pos = start + scanned.length
    after = self.src[after_pos] if after_pos < self.posMax else " "
    cjk_before, cjk_after = is_wide(before), is_wide(after)  # CJK punctuation included
    if not (cjk_before or cjk_after):
        return scanned
    punct_before = isMdAsciiPunct(ord(before)) or isPunctChar(before)
    punct_after = isMdAsciiPunct(ord(after)) or isPunctChar(after)
    space_before, space_after = isWhiteSpace(ord(before)), isWhiteSpace(ord(after))
    # CommonMark's flanking rules, where only punctuation that is not CJK counts as punctuation
    # (**第一步：**Install) and a CJK neighbour stands in for the whitespace they expect
    # (他说**“你好”**然后)
    other_before = punct_before and not cjk_before
    other_after = punct_after and not cjk_after
    left = not space_after and (not other_after or space_before or other_before or cjk_before)
    right = not space_before and (not other_before or space_after or other_after or cjk_after)
    can_open = left and (canSplitWord or not right or punct_before)
    can_close = right and (canSplitWord or not left or punct_after)
    return Scanned(can_open, can_close, scanned.length)


StateInline.scanDelims = _scan_delims  # type: ignore[method-assign]  # gated per parser


def cjk_friendly(md: MarkdownIt, **_options: Any) -> None:
    """``MarkdownIt(...).use(cjk_friendly)``: that parser's emphasis works beside CJK text."""
    md.options[_OPTION] = True


__all__ = ["cjk_friendly"]
