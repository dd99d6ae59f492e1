"""Rendering a reply block by block, as it streams: finished blocks come from a cache.

markdown-it's top-level blocks of a reply are rendered once each and cached by their source;
only the open (last, still growing) block is rendered again on each update, so the cost of a
repaint does not grow with the reply. The HTML is the same as :func:`render.render_markdown`'s.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from markdown_it.token import Token
from markdown_it.utils import EnvType

from chatapp.ui.main.render import _DARK, _LIGHT, _MD, RenderedMarkdown, render_markdown

__all__ = ["STATS", "MarkdownStream", "RenderStats", "StreamUpdate", "render_blocks"]


@dataclass(slots=True)
class RenderStats:
    """Counters for the block cache, so tests can check what was rendered again (not timing).

    Attributes:
        block_hits: Finished blocks served from the cache.
        block_misses: Finished blocks rendered (a miss in the cache).
        tail_renders: Renders of the open (last, still growing) block of a streaming reply.
        full_renders: Whole-message renders (replies whose blocks cannot be split safely).
    """

    block_hits: int = 0
    block_misses: int = 0
    tail_renders: int = 0
    full_renders: int = 0

    def reset(self) -> None:
        self.block_hits = self.block_misses = self.tail_renders = self.full_renders = 0


#: Process-wide counters; see :class:`RenderStats`.
STATS: Final = RenderStats()

_BLOCK_CACHE_SIZE: Final = 4096
# (block source, dark, index of its first code block) -> (html, code blocks)
_block_cache: OrderedDict[tuple[str, bool, int, int], tuple[str, tuple[str, ...]]] = OrderedDict()


@dataclass(frozen=True, slots=True)
class StreamUpdate:
    """What changed in a streaming reply's HTML since the previous update.

    Attributes:
        reset: The text no longer starts with what was rendered before (or cannot be split into
            blocks safely): ``finished`` holds every finished block, show them from scratch.
        finished: HTML of the blocks that became finished with this update, in order.
        tail: HTML of the open block (empty once the reply is final).
        code_blocks: The source of every code block so far, for the ``copy-code:N`` links.
    """

    reset: bool
    finished: tuple[str, ...]
    tail: str
    code_blocks: tuple[str, ...]


def _top_level_blocks(tokens: Sequence[Token]) -> list[tuple[int, int, int]]:
    """Split a token stream into top-level blocks: (first token, end token, first line)."""
    out: list[tuple[int, int, int]] = []
    start = -1
    for i, tok in enumerate(tokens):
        if tok.level != 0:
            continue
        if tok.nesting == 1 and start < 0:
            start = i
        elif tok.nesting == 0 or (tok.nesting == -1 and start >= 0):
            first = start if tok.nesting == -1 else i
            span = tokens[first].map
            line = span[0] if span else 0
            out.append((first, i + 1, line))
            start = -1
    return out


def _line_starts(text: str, count: int) -> list[int]:
    """Offsets of the first ``count`` lines of ``text`` (line 0 starts at 0)."""
    starts = [0]
    pos = 0
    while len(starts) < count:
        pos = text.find("\n", pos)
        if pos < 0:
            break
        pos += 1
        starts.append(pos)
    return starts


@dataclass(slots=True)
class MarkdownStream:
    """Renders one growing reply: finished top-level blocks once, the open block on each update.

    Markdown blocks only look back, never ahead, with two exceptions handled here: a line that
    is still being written may change meaning when it ends (``#`` alone is a heading,
    ``#tag`` is not), so blocks are only declared finished from complete lines; and reference
    link definitions reach across blocks, so a reply that has one is rendered whole each time.
    The text itself is not kept (the message's content is the one copy): only how many
    characters the finished blocks cover and a hash to notice when that prefix changed.
    """

    dark: bool
    citations: int = 0  # sources the reply was given: its "[n]" link to them
    _done: int = 0  # characters of the text covered by finished blocks
    _done_hash: int = 0
    _complete: int = -1  # length of the complete lines last parsed, from _done
    _html: list[str] = field(default_factory=list)
    _codes: list[str] = field(default_factory=list)
    _whole: bool = False  # render the whole text each time

    @property
    def html(self) -> str:
        """The HTML of the finished blocks (the whole reply once ``final`` was passed)."""
        return "".join(self._html)

    def _reset(self) -> None:
        self._done = self._done_hash = 0
        self._complete = -1
        self._html.clear()
        self._codes.clear()

    def update(self, text: str, *, final: bool = False) -> StreamUpdate:
        """Render ``text``, the reply so far; ``final`` when it is complete.

        Args:
            text: The whole reply so far; normally the previous text plus more at the end.
            final: The reply is complete: its last block is finished too.

        Returns:
            What to add to the view (or, with ``reset``, what to show instead).
        """
        if self._whole or "\r" in text or "\0" in text:
            return self._render_whole(text, final=final)
        reset = self._done > len(text) or hash(text[: self._done]) != self._done_hash
        if reset:
            self._reset()
        start = self._done
        new_html: list[str] = []
        rest = text[start:]
        complete = len(rest) if final else rest.rfind("\n") + 1
        if final or complete != self._complete:
            env: EnvType = {}
            tokens = _MD.parse(rest[:complete], env)
            if env.get("references"):
                self._whole = True
                return self._render_whole(text, final=final)
            blocks = _top_level_blocks(tokens)
            done = blocks if final else blocks[:-1]
            if done:
                lines = _line_starts(rest, blocks[-1][2] + 1)
                for n, (first, end, line) in enumerate(done):
                    nxt = blocks[n + 1][2] if n + 1 < len(blocks) else None
                    a = lines[line] if line < len(lines) else complete
                    if n == 0:
                        a = 0  # blank lines before the first block belong to it
                    b = complete if nxt is None else lines[nxt]
                    html_, codes = self._block(rest[a:b], tokens[first:end])
                    new_html.append(html_)
                    self._codes.extend(codes)
                advanced = complete if len(done) == len(blocks) else lines[blocks[len(done)][2]]
                self._done = start + advanced
                self._done_hash = hash(text[: self._done])
                rest = text[self._done :]
                complete -= advanced
            self._complete = complete
        self._html.extend(new_html)
        tail = ""
        if rest and not final:
            STATS.tail_renders += 1
            env = self._env()
            tail = _MD.render(rest, env)
            if env.get("references"):  # a definition on the line being written
                self._whole = True
                return self._render_whole(text, final=final)
            codes = tuple(self._codes) + tuple(env["code_blocks"][len(self._codes) :])
        else:
            codes = tuple(self._codes)
        finished = tuple(self._html) if reset else tuple(new_html)
        return StreamUpdate(reset=reset, finished=finished, tail=tail, code_blocks=codes)

    def _env(self) -> EnvType:
        return {
            "palette": _DARK if self.dark else _LIGHT,
            "code_blocks": list(self._codes),
            "link_stack": [],
            "citations": self.citations,
        }

    def _block(self, source: str, tokens: Sequence[Token]) -> tuple[str, tuple[str, ...]]:
        key = (source, self.dark, len(self._codes), self.citations)
        hit = _block_cache.get(key)
        if hit is not None:
            STATS.block_hits += 1
            _block_cache.move_to_end(key)
            return hit
        STATS.block_misses += 1
        env = self._env()
        out = _MD.renderer.render(tokens, _MD.options, env)
        result = (out, tuple(env["code_blocks"][len(self._codes) :]))
        _block_cache[key] = result
        if len(_block_cache) > _BLOCK_CACHE_SIZE:
            _block_cache.popitem(last=False)
        return result

    def _render_whole(self, text: str, *, final: bool) -> StreamUpdate:
        STATS.full_renders += 1
        rendered = render_markdown(text, dark=self.dark, citations=self.citations)
        self._reset()
        if final:
            self._html.append(rendered.html)
            self._codes.extend(rendered.code_blocks)
            return StreamUpdate(True, (rendered.html,), "", rendered.code_blocks)
        return StreamUpdate(True, (), rendered.html, rendered.code_blocks)


def render_blocks(text: str, *, dark: bool, citations: int = 0) -> RenderedMarkdown:
    """Like :func:`render_markdown` (the same HTML), with finished blocks from the cache.

    Args:
        text: The complete Markdown source.
        dark: Whether the view has a dark background.

    Returns:
        The HTML fragment and the source of every code block.
    """
    stream = MarkdownStream(dark=dark, citations=citations)
    update = stream.update(text, final=True)
    return RenderedMarkdown(html=stream.html, code_blocks=update.code_blocks)
