"""Claude's data export: ``conversations.json``, a list of conversations with ``chat_messages``.

Newer exports name each message's ``parent_message_uuid`` and the conversation's
``current_leaf_message_uuid``; then every branch is kept. Older ones are one thread, in order.
"""

from __future__ import annotations

from typing import Any, Final

from chatapp.core.chat.importers.common import (
    ImportFormatError,
    Node,
    Notes,
    Tree,
    as_dict,
    as_list,
    as_str,
    first_dict,
    iso_time,
    text,
)

NAME: Final = "Claude export"
SOURCE: Final = "claude"
_ROLES: Final = {"human": "user", "user": "user", "assistant": "assistant"}


def looks_like(document: object) -> bool:
    item = first_dict(document)
    return item is not None and isinstance(item.get("chat_messages"), list)


def parse(document: object, notes: Notes) -> list[Tree]:
    items = [document] if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise ImportFormatError("not a Claude export: expected a list of conversations")
    trees: list[Tree] = []
    for index, raw in enumerate(items, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("chat_messages"), list):
            notes.line(f"item {index}: not a Claude conversation (no 'chat_messages'), skipped")
            continue
        trees.append(_conversation(raw, index, notes))
    if items and not trees:
        raise ImportFormatError("not a Claude export: no item has 'chat_messages'")
    return trees


def _conversation(raw: dict[str, Any], index: int, notes: Notes) -> Tree:
    title = text(raw.get("name"))
    label = notes.conversation(title)
    source_id = as_str(raw.get("uuid")) or f"{title}\x1f{raw.get('created_at')}\x1f{index}"
    tree = Tree(
        source=SOURCE,
        source_id=source_id,
        title=title,
        label=label,
        created_at=iso_time(raw.get("created_at")),
        updated_at=iso_time(raw.get("updated_at")),
        current=as_str(raw.get("current_leaf_message_uuid")),
    )
    model = as_str(raw.get("model"))
    raw_messages = [m for m in raw["chat_messages"] if isinstance(m, dict)]
    keys = [as_str(m.get("uuid")) or f"#{i}" for i, m in enumerate(raw_messages)]
    known = set(keys)
    branched = any(as_str(m.get("parent_message_uuid")) in known for m in raw_messages)
    previous: str | None = None
    for key, msg in zip(keys, raw_messages, strict=True):
        if key in tree.nodes:
            key = f"{key}#{len(tree.nodes)}"  # a repeated uuid: keep both
        parent = as_str(msg.get("parent_message_uuid")) if branched else previous
        previous = key
        tree.nodes[key] = _node(msg, parent, model, label, notes)
    if tree.current is None and previous is not None and not branched:
        tree.current = previous
    return tree


def _node(
    msg: dict[str, Any], parent: str | None, model: str | None, label: int, notes: Notes
) -> Node:
    sender = text(msg.get("sender"))
    role = _ROLES.get(sender)
    if role is None:
        notes.count(label, f"messages from {sender!r}" if sender else "messages without a sender")
        return Node(parent=parent, keep=False)
    parts: list[str] = []
    thinking: list[str] = []
    for block in as_list(msg.get("content")):
        block = as_dict(block)
        kind = text(block.get("type"))
        if kind == "text":
            if as_str(block.get("text")):
                parts.append(text(block.get("text")))
        elif kind == "thinking":
            if as_str(block.get("thinking")):
                thinking.append(text(block.get("thinking")))
        elif kind in ("tool_use", "tool_result", "server_tool_use", "web_search_tool_result"):
            notes.count(label, "tool calls" if kind.endswith("use") else "tool results")
        elif kind in ("image", "document"):
            notes.count(label, f"{kind}s")
        else:
            notes.count(label, f"{kind or 'unnamed'} blocks")
    if not parts and as_str(msg.get("text")):  # older exports: the text only
        parts.append(text(msg.get("text")))
    for attachment in as_list(msg.get("attachments")):
        attachment = as_dict(attachment)
        name = text(attachment.get("file_name")) or "attachment"
        extracted = text(attachment.get("extracted_content")).rstrip("\n")
        if extracted:  # pasted or uploaded text: what the model read, kept with the message
            parts.append(f"Attached file {name}:\n\n```\n{extracted}\n```")
        else:
            notes.count(label, "attachments")
    notes.count(label, "files", len(as_list(msg.get("files"))))
    content = "\n\n".join(parts)
    if not content and not thinking:
        return Node(parent=parent, keep=False)
    return Node(
        parent=parent,
        role=role,
        content=content,
        thinking="\n\n".join(thinking) or None,
        model=model if role == "assistant" else None,
        created_at=iso_time(msg.get("created_at")),
    )
