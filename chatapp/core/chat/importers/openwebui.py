"""Open WebUI's export (Settings → Chats → Export): a list of chats, each with its ``history``
of messages by id (``parentId``, ``childrenIds``) and the ``currentId`` shown. Every branch is
kept."""

from __future__ import annotations

import re
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
    split_think,
    text,
)

NAME: Final = "Open WebUI export"
SOURCE: Final = "openwebui"
# Open WebUI keeps a reasoning model's thinking in the reply, in a collapsed block.
_REASONING: Final = re.compile(
    r'<details type="reasoning"[^>]*>\s*(?:<summary>.*?</summary>)?(.*?)</details>\s*', re.DOTALL
)


def _chat(item: object) -> dict[str, Any] | None:
    """The chat of one list item: its ``chat``, or the item itself if it has a ``history``."""
    if not isinstance(item, dict):
        return None
    chat = item.get("chat")
    if isinstance(chat, dict) and isinstance(
        chat.get("history") or chat.get("messages"), dict | list
    ):
        return chat
    return item if isinstance(item.get("history"), dict) else None


def looks_like(document: object) -> bool:
    item = first_dict(document)
    return item is not None and _chat(item) is not None


def parse(document: object, notes: Notes) -> list[Tree]:
    items = [document] if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ImportFormatError("not an Open WebUI export: expected a list of chats")
    trees: list[Tree] = []
    for index, raw in enumerate(items, start=1):
        chat = _chat(raw)
        if chat is None:
            notes.line(f"item {index}: not an Open WebUI chat (no 'chat' history), skipped")
            continue
        trees.append(_conversation(as_dict(raw), chat, index, notes))
    if items and not trees:
        raise ImportFormatError("not an Open WebUI export: no item has a chat history")
    return trees


def _conversation(item: dict[str, Any], chat: dict[str, Any], index: int, notes: Notes) -> Tree:
    title = text(item.get("title")) or text(chat.get("title"))
    label = notes.conversation(title)
    source_id = (
        as_str(item.get("id"))
        or as_str(chat.get("id"))
        or f"{title}\x1f{item.get('created_at')}\x1f{chat.get('timestamp')}\x1f{index}"
    )
    history = as_dict(chat.get("history"))
    tree = Tree(
        source=SOURCE,
        source_id=source_id,
        title=title,
        label=label,
        created_at=epoch_time(item.get("created_at")) or epoch_time(chat.get("timestamp")),
        updated_at=epoch_time(item.get("updated_at")),
        current=as_str(history.get("currentId")),
        pinned=item.get("pinned") is True,
        system_prompt=as_str(as_dict(chat.get("params")).get("system"))
        or as_str(chat.get("system")),
    )
    raw_messages = history.get("messages")
    if isinstance(raw_messages, dict):
        pairs = list(raw_messages.items())
    else:  # no history: the chat's plain list, one thread
        pairs = [(f"#{i}", m) for i, m in enumerate(as_list(chat.get("messages")))]
    linear = not isinstance(raw_messages, dict)
    previous: str | None = None
    for key, raw in pairs:
        msg = as_dict(raw)
        parent = previous if linear else as_str(msg.get("parentId"))
        previous = key
        tree.nodes[key] = _node(msg, parent, tree, label, notes)
    if tree.current is None or tree.current not in tree.nodes:
        tree.current = previous
    return tree


def _node(msg: dict[str, Any], parent: str | None, tree: Tree, label: int, notes: Notes) -> Node:
    role = text(msg.get("role"))
    content = _content(msg.get("content"), label, notes)
    files = as_list(msg.get("files"))
    images = sum(1 for f in files if text(as_dict(f).get("type")) == "image")
    notes.count(label, "images", images)
    notes.count(label, "files", len(files) - images)
    created = epoch_time(msg.get("timestamp"))
    if role == "system":
        if content.strip() and tree.system_prompt is None:
            tree.system_prompt = content
        elif content.strip():
            notes.count(label, "system messages")
        return Node(parent=parent, keep=False)
    if role == "user":
        if not content:
            return Node(parent=parent, keep=False)
        return Node(parent=parent, role="user", content=content, created_at=created)
    if role == "assistant":
        thinking: list[str] = []

        def keep(match: re.Match[str]) -> str:
            lines = match.group(1).strip("\n").splitlines()
            thinking.append(
                "\n".join(ln[2:] if ln.startswith("> ") else ln.lstrip(">") for ln in lines)
            )
            return ""

        answer = _REASONING.sub(keep, content)
        answer, think = split_think(answer)
        if think:
            thinking.append(think)
        model = as_str(msg.get("model")) or as_str(msg.get("modelName"))
        if not answer and not any(thinking):
            return Node(parent=parent, keep=False)
        return Node(
            parent=parent,
            content=answer.strip("\n"),
            thinking="\n\n".join(t for t in thinking if t.strip()) or None,
            model=model,
            created_at=created,
        )
    notes.count(label, f"messages from {role!r}" if role else "messages without a role")
    return Node(parent=parent, keep=False)


def _content(value: object, label: int, notes: Notes) -> str:
    """Text, or the text parts of an OpenAI-style list of parts (an image is left out)."""
    if isinstance(value, str):
        return text(value)
    out: list[str] = []
    for part in as_list(value):
        part = as_dict(part)
        if text(part.get("type")) == "text":
            out.append(text(part.get("text")))
        elif "image" in text(part.get("type")):
            notes.count(label, "images")
    return "\n\n".join(x for x in out if x)
