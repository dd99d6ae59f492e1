"""Conversations as one self-contained, safe HTML page: to read in any browser, to archive, or
(in the window) to print to PDF with Qt's own writer.

Self-contained: the styles are inline in the page, nothing is fetched. Safe: a reply is Markdown
rendered by markdown-it with raw HTML off (a model's or a document's ``<script>`` is shown as
text) and markdown-it's link check (no ``javascript:``, ``vbscript:``, ``file:`` or ``data:``
links); every other text is escaped. Each conversation's current thread is written, with a
reply's thinking (folded), its sources and its metrics.
"""

from __future__ import annotations

import html
from typing import Final

from markdown_it import MarkdownIt

from chatapp.core.chat.cjk_markdown import cjk_friendly
from chatapp.core.chat.transfer import _selected
from chatapp.core.storage.store import Message, Store

_STYLE: Final = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "Microsoft YaHei", sans-serif; max-width: 48em; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; color: #1f2328; }
h1 { font-size: 1.5em; border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
.about { color: #59636e; font-size: .9em; }
.message { margin: 1.2em 0; }
.who { font-weight: 600; }
.user { background: #f6f8fa; padding: .6em .9em; border-radius: 6px; }
.meta, .sources { color: #59636e; font-size: .85em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; border-radius: 6px; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
blockquote { border-left: 3px solid #d0d7de; margin-left: 0; padding-left: 1em; color: #59636e; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: .3em .6em; }
hr { border: none; border-top: 1px solid #d0d7de; margin: 2em 0; }
"""

_MD: Final = (
    MarkdownIt("commonmark", {"html": False, "breaks": True})
    .enable(["table", "strikethrough"])
    .use(cjk_friendly)  # **注意：** is bold too
)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _message(msg: Message) -> str:
    if msg.role == "user":
        who = "You"
        body = f"<p>{_e(msg.content).replace(chr(10), '<br>')}</p>"
    else:
        who = "Assistant" + (f" · {msg.model}" if msg.model else "")
        if msg.backend:
            who += f" · via {msg.backend}"
        body = _MD.render(msg.content)
    parts = [f'<div class="message {_e(msg.role)}"><div class="who">{_e(who)}</div>']
    if msg.summary is not None:
        parts.append(
            f"<details><summary>Summary of the earlier {msg.summary.covers} messages</summary>"
            f"<p>{_e(msg.summary.text).replace(chr(10), '<br>')}</p></details>"
        )
    if msg.thinking:
        parts.append(
            f"<details><summary>Thought</summary><p>{_e(msg.thinking).replace(chr(10), '<br>')}"
            "</p></details>"
        )
    parts.append(body)
    if msg.sources is not None and msg.sources.items:
        rows = "".join(
            f"<li>{_e(s.label)} — <code>{_e(s.path)}</code></li>" for s in msg.sources.items
        )
        parts.append(
            f'<div class="sources">Sources ({_e(msg.sources.summary)}):<ul>{rows}</ul></div>'
        )
    if msg.metrics is not None:
        parts.append(f'<div class="meta">{_e(msg.metrics.summary())}</div>')
    elif msg.interrupted:
        parts.append('<div class="meta">(reply interrupted)</div>')
    parts.append("</div>")
    return "".join(parts)


def export_html(store: Store, conversation_ids: list[str] | None = None) -> str:
    """The given conversations (default: all), their current threads, as one HTML page.

    Raises:
        NotFound: one of the ids matches no conversation.
    """
    convs = _selected(store, conversation_ids)
    title = convs[0].title if len(convs) == 1 else "chatapp conversations"
    sections = []
    for conv in convs:
        about = f"Started {conv.created_at}" + (f" · model {conv.model}" if conv.model else "")
        parts = [f"<h1>{_e(conv.title or 'Untitled conversation')}</h1>"]
        parts.append(f'<p class="about">{_e(about)}</p>')
        if conv.system_prompt:
            parts.append(f"<blockquote><b>System prompt:</b> {_e(conv.system_prompt)}</blockquote>")
        parts.extend(_message(m) for m in store.thread(conv.id))
        sections.append("\n".join(parts))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # nothing runs and nothing is fetched, even if something slipped through
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title or 'chatapp')}</title><style>{_STYLE}</style></head><body>\n"
        + "\n<hr>\n".join(sections)
        + "\n</body></html>\n"
    )


__all__ = ["export_html"]
