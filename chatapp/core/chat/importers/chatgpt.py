"""ChatGPT's data export: ``conversations.json`` (or its parts ``conversations-000.json``…).

Each conversation holds a ``mapping`` of nodes by id, each with its ``parent``; an edit or a
regeneration is a second child of the same parent, and ``current_node`` is the end of the branch
shown. Every branch is kept. One reply may be several nodes (a code cell, its output, the
answer): those become one message, as ChatGPT shows them.
"""

from __future__ import annotations

import json
from typing import Any, Final

from chatapp.core.chat.importers.common import (
    ImportFormatError,
    Node,
    Notes,
    Tree,
    as_dict,
    as_list,
    as_str,
    epoch_time,
    first_dict,
    text,
)

NAME: Final = "ChatGPT export"
SOURCE: Final = "chatgpt"
# Tool replies that are text worth reading in the conversation.
_QUOTE_TYPES: Final = {"tether_quote"}
# Content kinds left out, by content type, as named in the note.
_SKIPPED_KINDS: Final = {
    "tether_browsing_display": "browsing results",
    "system_error": "tool errors",
    "model_editable_context": "memory entries",
    "user_editable_context": "custom instructions",
    "reasoning_recap": "",  # "Thought for 5 seconds": the thoughts themselves are kept
}


def looks_like(document: object) -> bool:
    item = first_dict(document)
    return item is not None and isinstance(item.get("mapping"), dict)


def parse(document: object, notes: Notes) -> list[Tree]:
    items = [document] if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ImportFormatError("not a ChatGPT export: expected a list of conversations")
    trees: list[Tree] = []
    for index, raw in enumerate(items, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("mapping"), dict):
            notes.line(f"item {index}: not a ChatGPT conversation (no 'mapping'), skipped")
            continue
        trees.append(_conversation(raw, index, notes))
    if items and not trees:
        raise ImportFormatError("not a ChatGPT export: no item has a 'mapping' of messages")
    return trees


def _conversation(raw: dict[str, Any], index: int, notes: Notes) -> Tree:
    title = text(raw.get("title"))
    label = notes.conversation(title)
    source_id = as_str(raw.get("conversation_id")) or as_str(raw.get("id"))
    if source_id is None:  # not seen in real exports; the content itself then names it
        source_id = "content:" + json.dumps(raw, sort_keys=True, default=str)
    tree = Tree(
        source=SOURCE,
        source_id=source_id,
        title=title,
        label=label,
        created_at=epoch_time(raw.get("create_time")),
        updated_at=epoch_time(raw.get("update_time")),
        current=as_str(raw.get("current_node")),
    )
    for key, raw_node in raw["mapping"].items():
        node = as_dict(raw_node)
        parent = as_str(node.get("parent"))
        message = node.get("message")
        tree.nodes[key] = (
            _node(message, parent, tree, label, notes)
            if isinstance(message, dict)
            else Node(parent=parent, keep=False)
        )
    return tree


def _node(msg: dict[str, Any], parent: str | None, tree: Tree, label: int, notes: Notes) -> Node:
    hidden = Node(parent=parent, keep=False)
    author = as_dict(msg.get("author"))
    role = text(author.get("role"))
    content = as_dict(msg.get("content"))
    kind = text(content.get("content_type")) or "text"
    meta = as_dict(msg.get("metadata"))
    if meta.get("is_visually_hidden_from_conversation") is True:
        return hidden
    notes.count(label, "attached files", len(as_list(meta.get("attachments"))))
    created = epoch_time(msg.get("create_time"))
    model = as_str(meta.get("model_slug"))
    recipient = text(msg.get("recipient")) or "all"

    if kind in _SKIPPED_KINDS:
        if _SKIPPED_KINDS[kind]:
            notes.count(label, _SKIPPED_KINDS[kind])
        return hidden
    if role == "system":
        prompt = _text_parts(content, label, notes)
        if not prompt.strip():
            return hidden
        if tree.system_prompt is None:
            tree.system_prompt = prompt
        else:
            notes.count(label, "system messages")
        return hidden
    if role == "user":
        said = _body(kind, content, label, notes)
        if not said:
            return hidden
        return Node(parent=parent, role="user", content=said, created_at=created)
    if role == "assistant":
        if kind == "thoughts":
            thinking = _thoughts(content)
            if not thinking:
                return hidden
            return Node(
                parent=parent, thinking=thinking, model=model, created_at=created, merge=True
            )
        if recipient not in ("all", "python"):  # a call to a tool: browser, image maker, memory
            notes.count(label, "tool calls")
            return hidden
        body = _body(kind, content, label, notes)
        if not body:
            return hidden
        return Node(parent=parent, content=body, model=model, created_at=created, merge=True)
    if role == "tool":
        if kind in _QUOTE_TYPES or kind in ("execution_output", "multimodal_text"):
            body = _body(kind, content, label, notes) or ""
        else:
            notes.count(label, "tool messages")
            return hidden
        if not body:
            return hidden
        return Node(parent=parent, content=body, model=model, created_at=created, merge=True)
    notes.count(label, f"messages from {role!r}" if role else "messages without an author")
    return hidden


def _body(kind: str, content: dict[str, Any], label: int, notes: Notes) -> str | None:
    """The text of one node's content; ``None`` for a kind that is left out (with a note)."""
    if kind in ("text", "multimodal_text"):
        return _text_parts(content, label, notes)
    if kind == "code":
        code = text(content.get("text")).rstrip("\n")
        if not code:
            return ""
        language = text(content.get("language"))
        if language == "unknown" or not language.replace("+", "").replace("-", "").isalnum():
            language = ""
        return f"```{language}\n{code}\n```"
    if kind == "execution_output":
        output = text(content.get("text")).rstrip("\n")
        return f"Output:\n\n```\n{output}\n```" if output else ""
    if kind in _QUOTE_TYPES:
        quote = text(content.get("text")).strip()
        if not quote:
            return ""
        source = text(content.get("title")) or text(content.get("domain"))
        url = text(content.get("url"))
        lines = "\n".join(f"> {line}" if line else ">" for line in quote.splitlines())
        cite = f"[{source or url}]({url})" if url else source
        return f"{lines}\n\n— {cite}" if cite else lines
    notes.count(label, f"{kind} messages")
    return None


def _text_parts(content: dict[str, Any], label: int, notes: Notes) -> str:
    """Text parts, joined; an image is left out with a note and a marker where it was."""
    out: list[str] = []
    for part in as_list(content.get("parts")):
        if isinstance(part, str):
            if part:
                out.append(text(part))
            continue
        part = as_dict(part)
        ptype = text(part.get("content_type"))
        if ptype == "audio_transcription" and as_str(part.get("text")):
            out.append(text(part.get("text")))
        elif "image" in ptype:
            notes.count(label, "images")
            out.append("[image not imported]")
        elif "audio" in ptype or "video" in ptype:
            notes.count(label, "audio or video clips")
        elif isinstance(part.get("text"), str):
            out.append(text(part["text"]))
        else:
            notes.count(label, "parts of unknown kind")
    if not out and isinstance(content.get("text"), str):  # seen in some older exports
        out.append(text(content["text"]))
    return "\n\n".join(out)


def _thoughts(content: dict[str, Any]) -> str:
    out: list[str] = []
    for thought in as_list(content.get("thoughts")):
        thought = as_dict(thought)
        summary, body = text(thought.get("summary")).strip(), text(thought.get("content")).strip()
        out.append(f"**{summary}**\n\n{body}" if summary and body else summary or body)
    return "\n\n".join(x for x in out if x)
