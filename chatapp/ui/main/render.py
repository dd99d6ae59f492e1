"""Turn a model's Markdown reply into HTML that Qt's rich-text engine shows well and safely.

The chat view shows messages in a ``QTextBrowser``, which understands a subset of HTML4 and
CSS 2.1: tables (border attributes; ``border-collapse`` only since Qt 5.14), ``<pre>``, inline
``style`` and ``<a href>``, but no stylesheets for classes and no JavaScript. Model output is
untrusted text, so:

* raw HTML in the reply is shown as text, never interpreted (markdown-it's ``html: False``);
* images are never loaded: ``![alt](url)`` becomes ``[image: alt]`` plus the URL as a link,
  and the output never contains an ``<img>`` tag (Qt would fetch it);
* only http, https and mailto links stay clickable; anything else (``javascript:``, ``file:``,
  ``qrc:``, relative paths, our own ``copy-code:`` scheme) is shown as plain text.

Code blocks are highlighted by pygments with inline colours and get a header row with the
language and a ``copy-code:N`` link, where N indexes :attr:`RenderedMarkdown.code_blocks`.

A streaming reply is re-rendered many times a second while it grows, often ending in the
middle of a fence or a table. markdown-it copes with any prefix (an unclosed fence runs to the
end of the text). :class:`MarkdownStream` keeps the cost of a repaint independent of the reply's
length: markdown-it's token stream splits the source into top-level blocks (each block's
opening token carries the line range it came from, ``Token.map``); every block but the last is
finished, rendered once (and cached by source and theme) and never parsed again; only the last,
still open block is parsed and rendered on each update.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, guess_lexer
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

from chatapp.core.chat.cjk_markdown import cjk_friendly
from chatapp.ui.i18n import translate

log = logging.getLogger(__name__)

__all__ = [
    "RenderedMarkdown",
    "escape_plain",
    "highlight_snippet",
    "render_markdown",
]

#: Link schemes that stay clickable. Everything else is shown as text.
SAFE_SCHEMES: Final = frozenset({"http", "https", "mailto"})
#: The scheme of the Copy links in code-block headers; the chat view handles it.
COPY_SCHEME: Final = "copy-code"

MONO_FONTS: Final = (
    "'JetBrains Mono', 'Cascadia Mono', 'Cascadia Code', Consolas, 'SF Mono', Menlo, "
    "'DejaVu Sans Mono', 'Liberation Mono', 'Courier New', monospace"
)

# Unlabelled blocks shorter than this are not worth guessing: a guess on one or two lines is
# mostly wrong, and guess_lexer tries every lexer, which costs milliseconds per call.
_GUESS_MIN_LINES: Final = 3
_SCHEME_RE: Final = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


@dataclass(frozen=True, slots=True)
class _Palette:
    """Colours for one theme. Qt has no stylesheet for our HTML, so every colour is inline."""

    pygments_style: str
    code_bg: str
    code_fg: str
    code_border: str
    header_bg: str
    header_fg: str
    inline_code_bg: str
    table_border: str
    table_header_bg: str
    quote_bar: str
    quote_fg: str
    link: str


_LIGHT: Final = _Palette(
    pygments_style="default",
    code_bg="#f6f8fa",
    code_fg="#1f2328",
    code_border="#d0d7de",
    header_bg="#eaeef2",
    header_fg="#57606a",
    inline_code_bg="#eff1f3",
    table_border="#b8c0c8",
    table_header_bg="#f0f2f4",
    quote_bar="#d0d7de",
    quote_fg="#57606a",
    link="#0969da",
)
_DARK: Final = _Palette(
    pygments_style="one-dark",
    code_bg="#282c34",
    code_fg="#abb2bf",
    code_border="#3e4451",
    header_bg="#21252b",
    header_fg="#9da5b4",
    inline_code_bg="#3a3f4b",
    table_border="#5c6370",
    table_header_bg="#2c313a",
    quote_bar="#5c6370",
    quote_fg="#a0a8b7",
    link="#61afef",
)


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """One message rendered for a ``QTextBrowser``.

    Attributes:
        html: An HTML fragment (no ``<html>``/``<body>``) that is safe to ``setHtml``.
        code_blocks: The raw source of each code block, in order, without the final line
            break; ``copy-code:N`` links in ``html`` index into it.
    """

    html: str
    code_blocks: tuple[str, ...]


def render_markdown(text: str, *, dark: bool, citations: int = 0) -> RenderedMarkdown:
    """Render untrusted Markdown (a model's reply, possibly incomplete) as Qt-friendly HTML.

    Args:
        text: The Markdown source. May end anywhere, e.g. inside a code fence or a table.
        dark: Whether the view has a dark background; picks the colours.
        citations: How many sources the reply was given: "[1]" … "[citations]" in its text
            (not in code) become ``cite:N`` links to them.

    Returns:
        The HTML fragment and the source of every code block for the Copy links.
    """
    env: EnvType = {
        "palette": _DARK if dark else _LIGHT,
        "code_blocks": [],
        "link_stack": [],
        "citations": citations,
    }
    body = _MD.render(text, env)
    return RenderedMarkdown(html=body, code_blocks=tuple(env["code_blocks"]))


def warm_up() -> None:
    """Render a reply with a code block once, in both themes, so that markdown-it's rules and
    pygments' lexers and styles are loaded before the first conversation opens. Qt-free, so a
    worker thread can do it."""
    sample = "# Title\n\nSome *text* and `code`.\n\n```python\ndef f(x):\n    return x\n```\n"
    for dark in (False, True):
        render_markdown(sample, dark=dark)


def escape_plain(text: str) -> str:
    """Show plain text (a user's message) as HTML, keeping line breaks and runs of spaces.

    Args:
        text: Text to show exactly as typed.

    Returns:
        Escaped HTML with ``<br>`` for each line break.
    """
    escaped = html.escape(text.replace("\r\n", "\n").replace("\r", "\n"), quote=True)
    escaped = escaped.replace("\t", "    ")
    # HTML collapses runs of spaces; keep indentation by making all but the last one of each
    # run non-breaking (the last stays breakable so long lines still wrap).
    escaped = re.sub(r" {2,}", lambda m: "&nbsp;" * (len(m.group()) - 1) + " ", escaped)
    escaped = re.sub(r"(?m)^ ", "&nbsp;", escaped)
    return escaped.replace("\n", "<br>")


def highlight_snippet(snippet: str, start: str, end: str) -> str:
    """Escape a search-result snippet and bold the matches between ``start`` and ``end``.

    Snippets are cut out of longer text, so a marker may be missing its partner; the result is
    always balanced HTML and never contains the marker characters.

    Args:
        snippet: Text with match markers (the store uses ``"\\x02"`` and ``"\\x03"``).
        start: Marker that opens a match.
        end: Marker that closes a match.

    Returns:
        Escaped HTML with ``<b>`` around each match.

    Raises:
        ValueError: If a marker is empty.
    """
    if not start or not end:
        raise ValueError("highlight markers must not be empty")
    pattern = re.compile(f"({re.escape(start)}|{re.escape(end)})")
    out: list[str] = []
    bold = False
    for piece in pattern.split(snippet):
        if piece == start:
            if not bold:
                out.append("<b>")
                bold = True
        elif piece == end:
            if bold:
                out.append("</b>")
                bold = False
        elif piece:
            out.append(html.escape(piece, quote=True))
    if bold:
        out.append("</b>")
    return "".join(out)


_CITATION: Final = re.compile(r"\[(\d{1,3})\]")


def _safe_href(url: str) -> str | None:
    """Return ``url`` if it may be a clickable link, else None (shown as text instead)."""
    match = _SCHEME_RE.match(url.strip())
    if match and match.group(1).lower() in SAFE_SCHEMES:
        return url
    return None


def _lexer_for(code: str, lang: str) -> tuple[Lexer, str]:
    """Pick a lexer for a block and the name to show in its header. Never raises."""
    options: dict[str, Any] = {"stripnl": False, "ensurenl": False}
    if lang:
        try:
            return get_lexer_by_name(lang, **options), lang
        except ClassNotFound:
            return TextLexer(**options), lang
    if code.count("\n") + 1 >= _GUESS_MIN_LINES:
        try:
            lexer = guess_lexer(code, **options)
        except ClassNotFound:
            pass
        else:
            if not isinstance(lexer, TextLexer):
                return lexer, lexer.name.lower()
    return TextLexer(**options), "text"


_LEXER_LOCK = threading.Lock()  # warm_up runs on a thread beside the GUI's first render


@lru_cache(maxsize=256)
def _highlight(code: str, lang: str, style: str) -> tuple[str, str]:
    """Highlight ``code`` with inline colours; return (html, language label).

    Cached: while a reply streams, every finished block is rendered again on each repaint.
    """
    with _LEXER_LOCK:  # pygments builds a lexer class's rules on first use, not thread-safely
        lexer, label = _lexer_for(code, lang)
    formatter = HtmlFormatter(nowrap=True, noclasses=True, style=style)
    try:
        out = highlight(code, lexer, formatter)
    except Exception:  # a lexer bug must not take down the chat view; show the code plainly
        log.warning("pygments failed on a %s block; showing it unhighlighted", label, exc_info=True)
        out = html.escape(code, quote=False)
    return out.removesuffix("\n"), label


class _QtRenderer(RendererHTML):
    """markdown-it's HTML renderer, adjusted to what QTextBrowser supports and to untrusted text.

    Rules are looked up by token type, so each method below replaces the default for the token
    of the same name. ``env`` carries the palette, the collected code blocks and the open links.
    """

    # --- code -----------------------------------------------------------------------------

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        info = token.info.strip()
        return self._code_table(token.content, info.split(maxsplit=1)[0] if info else "", env)

    def code_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return self._code_table(tokens[idx].content, "", env)

    def _code_table(self, content: str, lang: str, env: EnvType) -> str:
        pal: _Palette = env["palette"]
        code = content.removesuffix("\n")
        blocks: list[str] = env["code_blocks"]
        index = len(blocks)
        blocks.append(code)
        body, label = _highlight(code, lang, pal.pygments_style)
        # A table, not a div: Qt draws table borders and cell backgrounds reliably. The header
        # holds a borderless inner table so the language sits left and Copy right with no
        # cell border between them. border-collapse (honoured since Qt 5.14) keeps lines 1px.
        return (
            f'<table width="100%" border="1" cellspacing="0" cellpadding="6"'
            f' style="border-color:{pal.code_border}; border-style:solid;'
            f' border-collapse:collapse; margin-top:6px; margin-bottom:10px;">'
            f'<tr><td style="background-color:{pal.header_bg}; border-color:{pal.code_border};">'
            f'<table width="100%" border="0" cellspacing="0" cellpadding="0"><tr>'
            f'<td style="color:{pal.header_fg}; font-family:{MONO_FONTS}; font-size:small;">'
            f"{html.escape(label)}</td>"
            f'<td align="right"><a href="{COPY_SCHEME}:{index}" style="color:{pal.link};'
            f' text-decoration:none; font-size:small;">{html.escape(translate("Render", "Copy"))}'
            "</a></td>"
            f"</tr></table></td></tr>"
            f'<tr><td style="background-color:{pal.code_bg}; border-color:{pal.code_border};">'
            f'<pre style="margin:0; white-space:pre-wrap; font-family:{MONO_FONTS}; '
            f'color:{pal.code_fg};">'
            f"{body}</pre></td></tr></table>\n"
        )

    def code_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        pal: _Palette = env["palette"]
        return (
            f'<code style="font-family:{MONO_FONTS}; background-color:{pal.inline_code_bg};">'
            f"{html.escape(tokens[idx].content, quote=False)}</code>"
        )

    # --- text, citations ------------------------------------------------------------------

    def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        content = html.escape(tokens[idx].content, quote=False)
        count = env.get("citations", 0)
        if not count or "[" not in content or env["link_stack"]:  # no links inside links
            return content
        pal: _Palette = env["palette"]

        def cite(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if not 1 <= n <= count:
                return m.group(0)
            return f'<a href="cite:{n}" style="color:{pal.link}; text-decoration:none;">[{n}]</a>'

        return _CITATION.sub(cite, content)

    # --- links and images -------------------------------------------------------------------

    def link_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        href = _safe_href(str(tokens[idx].attrGet("href") or ""))
        stack: list[bool] = env["link_stack"]
        stack.append(href is not None)
        if href is None:
            return ""
        pal: _Palette = env["palette"]
        return f'<a href="{html.escape(href, quote=True)}" style="color:{pal.link};">'

    def link_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        stack: list[bool] = env["link_stack"]
        return "</a>" if stack and stack.pop() else ""

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        alt = self.renderInlineAsText(token.children, options, env)
        src = str(token.attrGet("src") or "")
        label = translate("Render", "[image: {alt}]").format(alt=html.escape(alt, quote=False))
        if not src:
            return label
        href = _safe_href(src)
        inside_link = any(env["link_stack"])  # Qt gets confused by nested anchors
        if href is None or inside_link:
            return f"{label} {html.escape(src, quote=False)}"
        pal: _Palette = env["palette"]
        return (
            f'{label} <a href="{html.escape(href, quote=True)}" style="color:{pal.link};">'
            f"{html.escape(src, quote=False)}</a>"
        )

    # --- tables -----------------------------------------------------------------------------

    def table_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        pal: _Palette = env["palette"]
        # The attributes draw the grid on any Qt; border-collapse (Qt 5.14+) thins it to 1px.
        return (
            f'<table border="1" cellspacing="0" cellpadding="4"'
            f' style="border-color:{pal.table_border}; border-style:solid;'
            f' border-collapse:collapse; margin-top:6px; margin-bottom:10px;">\n'
        )

    def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        pal: _Palette = env["palette"]
        return self._cell("th", tokens[idx], f"background-color:{pal.table_header_bg};")

    def td_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._cell("td", tokens[idx], "")

    @staticmethod
    def _cell(tag: str, token: Token, style: str) -> str:
        # markdown-it marks column alignment as style="text-align:..."; the align attribute is
        # the form Qt reliably honours in table cells.
        align = str(token.attrGet("style") or "").removeprefix("text-align:")
        attr = f' align="{align}"' if align in ("left", "center", "right") else ""
        return f'<{tag}{attr} style="{style}">' if style else f"<{tag}{attr}>"

    # --- blocks -----------------------------------------------------------------------------

    def blockquote_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        pal: _Palette = env["palette"]
        # Qt has no border-left; a narrow coloured cell draws the quote bar instead.
        return (
            '<table cellspacing="0" cellpadding="0" border="0"'
            ' style="margin-top:4px; margin-bottom:8px;"><tr>'
            f'<td width="3" style="background-color:{pal.quote_bar};"></td>'
            f'<td style="padding-left:10px; color:{pal.quote_fg};">\n'
        )

    def blockquote_close(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return "</td></tr></table>\n"

    # Defence in depth: with html=False these tokens never appear, but if someone flips the
    # option, raw HTML must still be shown as text.
    def html_block(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return html.escape(tokens[idx].content, quote=False)

    def html_inline(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return html.escape(tokens[idx].content, quote=False)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        # breaks: a single newline in a model's reply is meant as a line break (poems,
        # addresses, step lists without markers), not as CommonMark's soft wrap.
        {"html": False, "linkify": False, "typographer": False, "breaks": True},
        renderer_cls=_QtRenderer,
    )
    md.enable(["table", "strikethrough"]).use(cjk_friendly)  # **注意：** is bold too
    return md


_MD: Final = _make_parser()
