"""Markdown rendering for the chat view: safe for untrusted model output, and readable in Qt.

Where it matters the HTML goes through a real ``QTextBrowser``, because what counts is what
Qt's rich-text engine makes of it, not what a browser would.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from PySide6.QtGui import QTextCharFormat, QTextDocument, QTextTable
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from chatapp.ui.main.render import (
    RenderedMarkdown,
    escape_plain,
    highlight_snippet,
    render_markdown,
)
from chatapp.ui.main.render_stream import STATS, MarkdownStream, render_blocks

# Everything the renderer may emit. A tag or attribute outside these lists would be a hole.
ALLOWED_TAGS = frozenset(
    {"a", "br", "code", "em", "hr", "li", "ol", "p", "pre", "s", "span", "strong", "ul"}
    | {"table", "tbody", "td", "th", "thead", "tr"}
    | {f"h{level}" for level in range(1, 7)}
)
ALLOWED_ATTRS = frozenset(
    ["align", "border", "cellpadding", "cellspacing", "colspan", "href", "start", "style", "width"]
)
ALLOWED_HREF_PREFIXES = ("http:", "https:", "mailto:", "copy-code:")

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[file](file:///etc/passwd)",
    "[qrc](qrc:/icons/x.png)",
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    "[rel](../../secret)",
    "[forged copy](copy-code:0)",
    '[q](https://a.example/" onclick="x)',
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,AAAA)",
    '![x" onerror="alert(1)](https://e.example/i.png)',
    '```" onmouseover="x\n<b>code</b>\n```',
]


class _Audit(HTMLParser):
    """Collects every tag, attribute and href in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add(name)
            if name == "href":
                self.hrefs.append(value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def audit(fragment: str) -> _Audit:
    parser = _Audit()
    parser.feed(fragment)
    parser.close()
    return parser


def assert_safe(fragment: str) -> None:
    found = audit(fragment)
    assert found.tags <= ALLOWED_TAGS, found.tags - ALLOWED_TAGS
    assert found.attrs <= ALLOWED_ATTRS, found.attrs - ALLOWED_ATTRS
    bad = [h for h in found.hrefs if not h.lower().startswith(ALLOWED_HREF_PREFIXES)]
    assert bad == []


@pytest.fixture
def browser(qtbot: QtBot) -> QTextBrowser:
    view = QTextBrowser()
    view.setOpenLinks(False)
    qtbot.addWidget(view)
    return view


def shown(browser: QTextBrowser, text: str, *, dark: bool = False) -> RenderedMarkdown:
    rendered = render_markdown(text, dark=dark)
    browser.setHtml(rendered.html)
    return rendered


def char_format_of(doc: QTextDocument, needle: str) -> QTextCharFormat:
    """The character format of the first text fragment that contains ``needle``."""
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if needle in fragment.text():
                return fragment.charFormat()
            it += 1
        block = block.next()
    raise AssertionError(f"{needle!r} not in the document")


# --- untrusted input ------------------------------------------------------------------------


def test_raw_html_is_shown_as_literal_text(browser: QTextBrowser) -> None:
    text = "Look: <script>alert(1)</script> and <b>x</b> and <img src=x onerror=alert(1)>"
    rendered = shown(browser, text)

    plain = browser.toPlainText()
    assert "<script>alert(1)</script>" in plain
    assert "<b>x</b>" in plain
    assert "<img src=x onerror=alert(1)>" in plain
    assert "<script" not in rendered.html
    assert "<img" not in rendered.html
    assert "onerror" not in audit(rendered.html).attrs
    assert_safe(rendered.html)


def test_raw_html_block_is_shown_as_text(browser: QTextBrowser) -> None:
    shown(browser, "<div>\n<script>alert(1)</script>\n</div>")
    assert "<script>alert(1)</script>" in browser.toPlainText()


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("dark", [False, True])
def test_hostile_input_yields_only_allowed_markup(text: str, dark: bool) -> None:
    rendered = render_markdown(text, dark=dark)
    assert_safe(rendered.html)
    assert "<img" not in rendered.html


# --- code blocks ----------------------------------------------------------------------------

PYTHON = 'def greet(name: str) -> str:\n    return f"hi {name}"  # say hi\n'


def test_python_fence_is_highlighted_with_inline_colours(browser: QTextBrowser) -> None:
    rendered = shown(browser, f"Here:\n\n```python\n{PYTHON}```\n")

    assert 'style="color:' in rendered.html
    assert 'href="copy-code:0"' in rendered.html
    assert rendered.code_blocks == (PYTHON.removesuffix("\n"),)
    plain = browser.toPlainText()
    assert 'return f"hi {name}"  # say hi' in plain
    assert "python" in plain and "Copy" in plain
    # The keyword really is coloured in Qt's document, not just in the HTML string.
    assert char_format_of(browser.document(), "def").foreground().color().name() != "#000000"


def test_code_block_source_is_exact(browser: QTextBrowser) -> None:
    source = '\n  leading blank line kept\n\ttab & <angle> "quotes"\n\n'
    rendered = shown(browser, f"```text\n{source}```")
    assert rendered.code_blocks == (source.removesuffix("\n"),)
    assert '\ttab & <angle> "quotes"' in browser.toPlainText()


def test_each_block_gets_its_own_copy_index() -> None:
    text = "```python\nx = 1\n```\n\nbetween\n\n```js\nlet y = 2;\n```\n\n    indented = 3\n"
    rendered = render_markdown(text, dark=False)
    assert rendered.code_blocks == ("x = 1", "let y = 2;", "indented = 3")
    for index in range(3):
        assert f'href="copy-code:{index}"' in rendered.html
    assert "copy-code:3" not in rendered.html


@pytest.mark.parametrize("info", ["klingon", "no-such-lang extra words", "{.python}", "c++", "py"])
def test_unknown_or_odd_language_never_raises(browser: QTextBrowser, info: str) -> None:
    rendered = shown(browser, f"```{info}\nqapla' <batlh>\n```")
    assert rendered.code_blocks == ("qapla' <batlh>",)
    assert "qapla' <batlh>" in browser.toPlainText()


@pytest.mark.parametrize(
    "code",
    [
        "x",
        "two\nlines",
        "#include <stdio.h>\nint main(void) {\n    return 0;\n}",
        "<?xml version='1.0'?>\n<a>\n<b/>\n</a>",
    ],
)
def test_unlabelled_blocks_render(browser: QTextBrowser, code: str) -> None:
    rendered = shown(browser, f"```\n{code}\n```")
    assert rendered.code_blocks == (code,)
    assert code.splitlines()[-1] in browser.toPlainText()


def test_themes_differ_only_in_colour() -> None:
    text = f"```python\n{PYTHON}```\n\n`x` and a [link](https://example.com)"
    light = render_markdown(text, dark=False)
    dark = render_markdown(text, dark=True)
    assert light.code_blocks == dark.code_blocks
    assert light.html != dark.html
    assert audit(light.html).tags == audit(dark.html).tags


# --- images and links -----------------------------------------------------------------------


def test_images_are_never_loaded(browser: QTextBrowser) -> None:
    rendered = shown(browser, "See ![a *cat*](https://example.com/cat.png) here.")
    assert "<img" not in rendered.html
    assert "[image: a cat]" in browser.toPlainText()
    assert audit(rendered.html).hrefs == ["https://example.com/cat.png"]
    assert "https://example.com/cat.png" in browser.toPlainText()


def test_image_with_unsafe_url_is_plain_text(browser: QTextBrowser) -> None:
    rendered = shown(browser, "![x](qrc:/secret.png)")
    assert audit(rendered.html).hrefs == []
    assert "[image: x] qrc:/secret.png" in browser.toPlainText()


def test_only_http_https_and_mailto_links_are_clickable(browser: QTextBrowser) -> None:
    text = (
        "[web](https://example.com/a?b=1&c=2) [plain](http://example.com) "
        "[mail](mailto:me@example.com) [js](javascript:alert(1)) [file](file:///etc/passwd) "
        "[qrc](qrc:/x) [rel](docs/readme.md) [copy](copy-code:0) <https://auto.example>"
    )
    rendered = shown(browser, text)
    assert audit(rendered.html).hrefs == [
        "https://example.com/a?b=1&c=2",
        "http://example.com",
        "mailto:me@example.com",
        "https://auto.example",
    ]
    # The refused links still show their words, just not as links.
    plain = browser.toPlainText()
    for label in ("qrc", "rel", "copy"):
        assert label in plain
    assert "javascript" not in "".join(audit(rendered.html).hrefs)


# --- structure in Qt's document -------------------------------------------------------------


def test_table_becomes_a_qt_table(browser: QTextBrowser) -> None:
    shown(browser, "| Name | Size |\n|:-----|-----:|\n| a | 1 |\n| `b` | 22 |\n")
    assert "<table" in browser.document().toHtml()
    tables = [f for f in browser.document().rootFrame().childFrames() if isinstance(f, QTextTable)]
    assert len(tables) == 1
    table = tables[0]
    assert (table.rows(), table.columns()) == (3, 2)
    assert table.format().border() > 0
    cell = table.cellAt(2, 0)
    assert cell.firstCursorPosition().block().text() == "b"


def test_nested_list_keeps_its_levels(browser: QTextBrowser) -> None:
    shown(browser, "- fruit\n  - apple\n  - pear\n- veg\n\n1. one\n2. two\n")
    levels: dict[str, int] = {}
    block = browser.document().begin()
    while block.isValid():
        if block.textList() is not None:
            levels[block.text().strip()] = block.textList().format().indent()
        block = block.next()
    assert levels["apple"] == levels["pear"] == levels["fruit"] + 1
    assert levels["veg"] == levels["fruit"]
    assert "one" in levels and "two" in levels


def test_inline_code_is_monospace(browser: QTextBrowser) -> None:
    rendered = shown(browser, "Call `sorted(x)` now.")
    assert "<code" in rendered.html
    assert "monospace" in char_format_of(browser.document(), "sorted(x)").fontFamilies()


def test_emphasis_strikethrough_headings_and_quotes(browser: QTextBrowser) -> None:
    shown(browser, "# Title\n\n**bold** *leaning* ~~gone~~\n\n> quoted\n\n---\n")
    doc = browser.document()
    assert "Title" in browser.toPlainText()
    assert char_format_of(doc, "bold").fontWeight() >= 700
    assert char_format_of(doc, "leaning").fontItalic()
    assert char_format_of(doc, "gone").fontStrikeOut()
    assert "quoted" in browser.toPlainText()


def test_line_breaks_are_kept(browser: QTextBrowser) -> None:
    shown(browser, "soft\nbreak and hard  \nbreak\n\nnew paragraph")
    plain = browser.toPlainText()
    assert "soft\nbreak and hard\nbreak" in plain
    assert "new paragraph" in plain


# --- streaming ------------------------------------------------------------------------------


def test_unclosed_fence_mid_stream_shows_the_code(browser: QTextBrowser) -> None:
    rendered = shown(browser, "Start:\n\n```python\nprint(1)\nfor x in ")
    assert rendered.code_blocks == ("print(1)\nfor x in ",)
    assert "for x in" in browser.toPlainText()
    assert "copy-code:0" in rendered.html


def test_every_prefix_of_a_reply_renders(browser: QTextBrowser) -> None:
    reply = (
        "## Plan\n\nUse [docs](https://example.com) and `x`.\n\n"
        "```python\ndef f():\n    return 1\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- one\n  - two\n\n> quote\n\n![img](https://e.example/i.png) ~~old~~"
    )
    for end in range(len(reply) + 1):
        rendered = render_markdown(reply[:end], dark=end % 2 == 0)
        assert_safe(rendered.html)
    browser.setHtml(render_markdown(reply[: reply.index("| 1 |") + 3], dark=False).html)
    assert "def f():" in browser.toPlainText()


STREAMED = [
    "# Title\n\nSome *text* here\nand more.\n\n- a\n- b\n\n  cont\n- c\n\n"
    "```python\ndef f():\n    return 1\n```\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n"
    "> quote\nlazy\n\n1. one\n2. two\n\n---\nfoo\n===\n\n    indented code\n\n"
    "end `x` [l](https://x.example) ![i](https://a.example/b.png)\n#tag\n#\n",
    "para\n| a | b |\n|--|--|\n| c | d |\ntext after\n\n```\nunclosed",
    "foo\n#hash\n\n\n\n   spaced\n* x\n* y\n\nz\n~~~js\nlet a\n~~~\n```\nmore\n```\nend",
    "Uses a [ref] defined later.\n\nMore text.\n\n[ref]: https://example.com\n",
    "Windows line ends\r\n\r\n```\r\ncode\r\n```\r\n",
]


@pytest.mark.parametrize("reply", STREAMED)
@pytest.mark.parametrize("step", [1, 7, 40])
def test_streaming_block_by_block_gives_the_one_shot_html(reply: str, step: int) -> None:
    stream = MarkdownStream(dark=step == 7)
    shown: list[str] = []
    for end in [*range(step, len(reply), step), len(reply)]:
        update = stream.update(reply[:end])
        shown = [*update.finished] if update.reset else [*shown, *update.finished]
        expected = render_markdown(reply[:end], dark=step == 7)
        assert "".join(shown) + update.tail == expected.html
        assert update.code_blocks == expected.code_blocks
    final = stream.update(reply, final=True)
    shown = [*final.finished] if final.reset else [*shown, *final.finished]
    one_shot = render_markdown(reply, dark=step == 7)
    assert "".join(shown) == stream.html == one_shot.html
    assert final.tail == ""
    assert final.code_blocks == one_shot.code_blocks
    assert render_blocks(reply, dark=step == 7) == one_shot


def test_finished_blocks_are_rendered_once_while_a_reply_streams() -> None:
    blocks = [f"Paragraph {i} with *emphasis*." for i in range(30)]
    blocks += [f"```python\nx = {i}\n```" for i in range(10)]
    reply = "\n\n".join(blocks) + "\n\nThe end"
    STATS.reset()
    stream = MarkdownStream(dark=False)
    updates = 0
    for end in range(5, len(reply), 5):
        stream.update(reply[:end])
        updates += 1
    stream.update(reply, final=True)
    assert STATS.block_misses == len(blocks) + 1  # every block once, the last when final
    assert STATS.block_hits == 0
    assert STATS.tail_renders == updates
    assert STATS.full_renders == 0
    # the same reply again (a widget built anew): every block from the cache
    STATS.reset()
    assert render_blocks(reply, dark=False) == render_markdown(reply, dark=False)
    assert STATS.block_hits == len(blocks) + 1
    assert STATS.block_misses == 0


def test_a_changed_prefix_starts_the_stream_again() -> None:
    stream = MarkdownStream(dark=False)
    stream.update("First paragraph.\n\nSecond.\n\nThird")
    other = "Other paragraph.\n\nSecond.\n\nThird one"
    update = stream.update(other)
    assert update.reset
    assert "".join(update.finished) + update.tail == render_markdown(other, dark=False).html


def test_empty_text() -> None:
    assert render_markdown("", dark=False) == RenderedMarkdown(html="", code_blocks=())


# --- plain text and search snippets ---------------------------------------------------------


def test_escape_plain_keeps_text_exactly(browser: QTextBrowser) -> None:
    text = "<b>hi</b> & 'you'\n  indented\r\nlast"
    out = escape_plain(text)
    assert "<b>" not in out
    assert out.count("<br>") == 2
    browser.setHtml(out)
    assert browser.toPlainText().replace("\xa0", " ") == "<b>hi</b> & 'you'\n  indented\nlast"


def test_highlight_snippet_bolds_matches_and_escapes() -> None:
    snippet = "a <tag> \x02match\x03 & \x02more\x03 end"
    assert highlight_snippet(snippet, "\x02", "\x03") == (
        "a &lt;tag&gt; <b>match</b> &amp; <b>more</b> end"
    )


def test_highlight_snippet_balances_cut_markers() -> None:
    assert highlight_snippet("tch\x03 then \x02sta", "\x02", "\x03") == "tch then <b>sta</b>"
    assert highlight_snippet("plain", "\x02", "\x03") == "plain"


def test_highlight_snippet_rejects_empty_markers() -> None:
    with pytest.raises(ValueError):
        highlight_snippet("x", "", "\x03")
