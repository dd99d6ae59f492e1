"""LM Studio's conversation files (``~/.lmstudio/conversations/*.conversation.json``).

A conversation is a list of positions, each with its ``versions`` (edits, regenerations) and the
one ``currentlySelected``; the positions after it follow the selected version. Every version is
kept as a sibling; the others end their branch there, as in LM Studio.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
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
from chatapp.core.storage.store import format_timestamp

NAME: Final = "LM Studio conversation"
SOURCE: Final = "lmstudio"


def looks_like(document: object) -> bool:
    item = first_dict(document)
    if item is None or not isinstance(item.get("messages"), list):
        return False
    first = next((m for m in item["messages"] if isinstance(m, dict)), None)
    return first is not None and isinstance(first.get("versions"), list)


def parse(document: object, notes: Notes) -> list[Tree]:
    items = document if isinstance(document, list) else [document]
    trees: list[Tree] = []
    for index, raw in enumerate(items, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("messages"), list):
            notes.line(f"item {index}: not an LM Studio conversation (no 'messages'), skipped")
            continue
        trees.append(_conversation(raw, index, notes))
    if not trees:
        raise ImportFormatError("not an LM Studio conversation: no 'messages' list")
    return trees


def _conversation(raw: dict[str, Any], index: int, notes: Notes) -> Tree:
    title = text(raw.get("name"))
    label = notes.conversation(title)
    created = epoch_time(raw.get("createdAt"))
    # No id in the file: the creation time names the conversation (it stays the same as the
    # conversation grows); without one, the content does.
    if isinstance(raw.get("createdAt"), int | float) and not isinstance(raw["createdAt"], bool):
        source_id = f"created:{raw['createdAt']!r}:{title}"
    else:
        digest = hashlib.sha256(
            json.dumps(raw, sort_keys=True, default=str).encode("utf-8", "replace")
        )
        source_id = "content:" + digest.hexdigest()
    tree = Tree(
        source=SOURCE,
        source_id=source_id,
        title=title,
        label=label,
        created_at=created,
        pinned=raw.get("pinned") is True,
        system_prompt=as_str(raw.get("systemPrompt")),
    )
    fallback_model = as_str(as_dict(raw.get("lastUsedModel")).get("identifier"))
    base = _moment(created)
    sequence = 0
    parent: str | None = None
    for position, raw_message in enumerate(raw["messages"]):
        message = as_dict(raw_message)
        versions = as_list(message.get("versions"))
        if not versions:
            continue
        selected = message.get("currentlySelected")
        if isinstance(selected, bool) or not isinstance(selected, int):
            selected = 0
        if not 0 <= selected < len(versions):
            selected = len(versions) - 1
        for number, version in enumerate(versions):
            sequence += 1
            key = f"{position}.{number}"
            tree.nodes[key] = _node(as_dict(version), parent, fallback_model, label, notes)
            # LM Studio keeps no time per message: one millisecond apart keeps them in order
            tree.nodes[key].created_at = _after(base, sequence)
        parent = f"{position}.{selected}"
    tree.current = parent
    return tree


def _moment(created: str | None) -> float:
    if created is None:
        return datetime.now().timestamp()
    return datetime.fromisoformat(created).timestamp()


def _after(base: float, sequence: int) -> str | None:
    try:
        return format_timestamp(datetime.fromtimestamp(base + sequence / 1000, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _node(
    version: dict[str, Any],
    parent: str | None,
    fallback_model: str | None,
    label: int,
    notes: Notes,
) -> Node:
    role = text(version.get("role"))
    if role not in ("user", "assistant", "system"):
        notes.count(label, f"messages from {role!r}" if role else "messages without a role")
        return Node(parent=parent, keep=False)
    parts: list[str] = []
    thinking: list[str] = []
    if isinstance(version.get("steps"), list):
        for step in version["steps"]:
            step = as_dict(step)
            kind = text(step.get("type"))
            if kind == "contentBlock":
                block = _content(step.get("content"), label, notes)
                style = text(as_dict(step.get("style")).get("type"))
                if style == "thinking" or text(step.get("prefix")).strip() == "<think>":
                    thinking.append(block)
                else:
                    parts.append(block)
            elif kind == "toolStatus":
                notes.count(label, "tool calls")
            elif kind not in ("debugInfoBlock", ""):
                notes.count(label, f"{kind} steps")
    else:
        parts.append(_content(version.get("content"), label, notes))
    content = "\n\n".join(p for p in parts if p)
    if role == "system":
        return Node(parent=parent, keep=False)  # the conversation's systemPrompt is kept
    if role == "assistant":
        content, think = split_think(content)
        if think:
            thinking.append(think)
    joined = "\n\n".join(t for t in thinking if t.strip()) or None
    if not content and not joined:
        return Node(parent=parent, keep=False)
    model = None
    if role == "assistant":
        model = (
            as_str(as_dict(version.get("senderInfo")).get("senderName"))
            or as_str(as_dict(version.get("genInfo")).get("indexedModelIdentifier"))
            or fallback_model
        )
    return Node(parent=parent, role=role, content=content, thinking=joined, model=model)


def _content(value: object, label: int, notes: Notes) -> str:
    if isinstance(value, str):
        return text(value)
    out: list[str] = []
    for part in as_list(value):
        part = as_dict(part)
        kind = text(part.get("type"))
        if kind == "text":
            out.append(text(part.get("text")))
        elif kind == "file":
            is_image = text(part.get("fileType")) == "image"
            notes.count(label, "images" if is_image else "files")
        elif kind:
            notes.count(label, f"{kind} parts")
    return "\n\n".join(x for x in out if x)
