"""Export and import conversations: JSON to move them between machines, Markdown to read them.

The JSON format is documented in docs/FORMAT.md. Export is deterministic, so exporting,
importing into an empty data directory and exporting again gives the same ``conversations``
byte for byte; only ``exported_at`` changes.

Import checks the whole file before writing anything, and the store then writes every
conversation in one transaction: a file is imported entirely or not at all.
"""

from __future__ import annotations

import heapq
import json
import logging
import re
from collections import defaultdict
from typing import Any, Final

import chatapp
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import ROLES, Conversation, Message, Store, timestamp_now

log = logging.getLogger(__name__)

FORMAT_NAME: Final = "chatapp-export"
FORMAT_VERSION: Final = 1
# The store's own timestamp form; anything else would sort wrongly as text.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_ROLE_LABELS: Final = {"system": "System", "user": "You", "assistant": "Assistant"}


class ImportFormatError(ValueError):
    """The file is not an export this chatapp can read; the message says where and why."""


# --- export ------------------------------------------------------------------------------------


def _selected(store: Store, conversation_ids: list[str] | None) -> list[Conversation]:
    if conversation_ids is None:
        convs = store.list_conversations()
    else:
        convs = [store.get_conversation(cid) for cid in conversation_ids]
    unique = {c.id: c for c in convs}
    return sorted(unique.values(), key=lambda c: (c.created_at, c.id))


def _ordered_messages(messages: list[Message]) -> list[Message]:
    """(created_at, id) order, but a parent always before its children.

    Timestamps have millisecond precision, so a reply can share its parent's; the id tie-break
    alone could then put the child first. Kahn's algorithm with a heap keeps it deterministic.
    """
    ids = {m.id for m in messages}
    children: dict[str, list[Message]] = defaultdict(list)
    ready: list[tuple[str, str, Message]] = []
    for m in messages:
        if m.parent_id is None or m.parent_id not in ids:
            heapq.heappush(ready, (m.created_at, m.id, m))
        else:
            children[m.parent_id].append(m)
    out: list[Message] = []
    while ready:
        _, _, m = heapq.heappop(ready)  # ids are unique, so Messages are never compared
        out.append(m)
        for child in children.pop(m.id, []):
            heapq.heappush(ready, (child.created_at, child.id, child))
    return out


def _conversation_dict(store: Store, conv: Conversation) -> dict[str, Any]:
    return {
        "id": conv.id,
        "title": conv.title,
        "created_at": conv.created_at,
        "updated_at": conv.updated_at,
        "model": conv.model,
        "system_prompt": conv.system_prompt,
        "settings": conv.settings,
        "pinned": conv.pinned,
        "current_leaf_id": conv.current_leaf_id,
        "messages": [
            {
                "id": m.id,
                "parent_id": m.parent_id,
                "role": m.role,
                "content": m.content,
                "created_at": m.created_at,
                "model": m.model,
                "metrics": None if m.metrics is None else m.metrics.to_dict(),
            }
            for m in _ordered_messages(store.messages(conv.id))
        ],
    }


def export_json(store: Store, conversation_ids: list[str] | None = None) -> str:
    """The given conversations (default: all) as a chatapp-export JSON document.

    Args:
        store: where the conversations live.
        conversation_ids: full ids or unique prefixes; ``None`` exports everything.

    Raises:
        NotFound: one of the ids matches no conversation.
    """
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timestamp_now(),
        "app_version": chatapp.__version__,
        "conversations": [_conversation_dict(store, c) for c in _selected(store, conversation_ids)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def export_markdown(store: Store, conversation_ids: list[str] | None = None) -> str:
    """The current thread of each conversation as Markdown, for reading or sharing.

    Only the visible branch is written; message text is kept as is, since replies are Markdown.
    """
    parts: list[str] = []
    for conv in _selected(store, conversation_ids):
        lines = [f"# {conv.title or 'Untitled conversation'}", ""]
        about = f"Started {conv.created_at}"
        if conv.model:
            about += f" · model {conv.model}"
        lines += [f"*{about}*", ""]
        if conv.system_prompt:
            lines += [
                "**System prompt:**",
                "",
                *(f"> {ln}" for ln in conv.system_prompt.split("\n")),
            ]
            lines.append("")
        for msg in store.thread(conv.id):
            label = _ROLE_LABELS.get(msg.role, msg.role)
            if msg.role == "assistant" and msg.model:
                label += f" ({msg.model})"
            lines += [f"## {label}", "", msg.content.rstrip("\n"), ""]
            if msg.metrics is not None:
                lines += [f"*{msg.metrics.summary()}*", ""]
            elif msg.interrupted:
                lines += ["*(reply interrupted)*", ""]
        parts.append("\n".join(lines).rstrip("\n") + "\n")
    return "\n---\n\n".join(parts)


# --- import ------------------------------------------------------------------------------------


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]``, checked against ``kind`` (include ``type(None)`` to allow null)."""
    if key not in obj:
        raise ImportFormatError(f"{where}: missing {key!r}")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python but not in JSON.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = {
            str: "text",
            bool: "true or false",
            int: "a whole number",
            float: "a number",
            dict: "an object",
            list: "a list",
            type(None): "null",
        }
        if float in kinds:
            kinds = tuple(k for k in kinds if k is not int)  # "a number" covers both
        wanted = " or ".join(names.get(k, k.__name__) for k in kinds)
        raise ImportFormatError(f"{where}: {key!r} must be {wanted}, not {_json_type(value)}")
    return value


def _timestamp(obj: dict[str, Any], key: str, where: str) -> str:
    value: str = _field(obj, key, str, where)
    if not _TIMESTAMP.fullmatch(value):
        raise ImportFormatError(
            f"{where}: {key!r} must look like 2026-11-22T08:52:36.123Z, not {value!r}"
        )
    return value


def _metrics(raw: Any, where: str) -> ReplyMetrics | None:
    if raw is None:
        return None
    where = f"{where}: metrics"
    for key in ("prompt_tokens", "prompt_eval_tokens", "completion_tokens"):
        _field(raw, key, int, where)
    if "dropped_turns" in raw:  # optional, as in ReplyMetrics.from_dict
        _field(raw, "dropped_turns", int, where)
    _field(raw, "ttft_ms", (int, float, type(None)), where)  # null: no token came
    _field(raw, "decode_tps", (int, float), where)
    reason = _field(raw, "stop_reason", str, where)
    if reason not in set(StopReason):
        known = ", ".join(str(r) for r in StopReason)
        raise ImportFormatError(f"{where}: stop_reason {reason!r} is not one of {known}")
    return ReplyMetrics.from_dict(raw)


def _parse_message(raw: Any, conv_id: str, where: str) -> Message:
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{where} must be an object, not {_json_type(raw)}")
    msg_id = _field(raw, "id", str, where)
    if not msg_id:
        raise ImportFormatError(f"{where}: 'id' is empty")
    where = f"{where.rsplit(' ', 1)[0]} {msg_id!r}"
    role = _field(raw, "role", str, where)
    if role not in ROLES:
        raise ImportFormatError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    metrics = _metrics(_field(raw, "metrics", (dict, type(None)), where), where)
    if metrics is not None and role != "assistant":
        raise ImportFormatError(f"{where}: only assistant messages have metrics, not {role}")
    return Message(
        id=msg_id,
        conversation_id=conv_id,
        parent_id=_field(raw, "parent_id", (str, type(None)), where),
        role=role,
        content=_field(raw, "content", str, where),
        created_at=_timestamp(raw, "created_at", where),
        model=_field(raw, "model", (str, type(None)), where),
        metrics=metrics,
    )


def _parse_conversation(
    raw: Any, where: str, seen: dict[str, str]
) -> tuple[Conversation, list[Message]]:
    """One conversation, checked for types, duplicate ids and a well-formed message tree.

    ``seen`` maps every id met so far in the file to where it was, to name duplicates.
    """
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{where} must be an object, not {_json_type(raw)}")
    conv_id = _field(raw, "id", str, where)
    if not conv_id:
        raise ImportFormatError(f"{where}: 'id' is empty")
    if conv_id in seen:
        raise ImportFormatError(f"{where}: id {conv_id!r} is also used by {seen[conv_id]}")
    seen[conv_id] = where
    raw_messages = _field(raw, "messages", list, where)
    messages: dict[str, Message] = {}
    for index, raw_msg in enumerate(raw_messages, start=1):
        msg = _parse_message(raw_msg, conv_id, f"{where}: message {index}")
        if msg.id in seen:
            raise ImportFormatError(
                f"{where}: message {msg.id!r} has the same id as {seen[msg.id]}"
            )
        seen[msg.id] = f"{where}, message {msg.id!r}"
        messages[msg.id] = msg
    for msg in messages.values():
        if msg.parent_id is not None and msg.parent_id not in messages:
            elsewhere = "that is in another conversation" if msg.parent_id in seen else ""
            raise ImportFormatError(
                f"{where}: message {msg.id!r} has parent {msg.parent_id!r} "
                + (elsewhere or "that is not in the file")
            )
    _check_no_loops(messages, where)
    leaf = _field(raw, "current_leaf_id", (str, type(None)), where)
    if leaf is not None and leaf not in messages:
        raise ImportFormatError(f"{where}: current_leaf_id {leaf!r} is not one of its messages")
    conv = Conversation(
        id=conv_id,
        title=_field(raw, "title", str, where),
        created_at=_timestamp(raw, "created_at", where),
        updated_at=_timestamp(raw, "updated_at", where),
        model=_field(raw, "model", (str, type(None)), where),
        system_prompt=_field(raw, "system_prompt", (str, type(None)), where),
        settings=_field(raw, "settings", dict, where),
        pinned=_field(raw, "pinned", bool, where),
        current_leaf_id=leaf,
    )
    return conv, list(messages.values())


def _check_no_loops(messages: dict[str, Message], where: str) -> None:
    """Every message must lead up to a root; a parent loop would have none."""
    reaches_root: set[str] = set()
    for start in messages:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in reaches_root:
            if current in on_path:
                raise ImportFormatError(f"{where}: message {current!r} is its own ancestor")
            path.append(current)
            on_path.add(current)
            current = messages[current].parent_id
        reaches_root.update(path)


def parse_export(text: str) -> list[tuple[Conversation, list[Message]]]:
    """Check a whole export and turn it into store objects, writing nothing.

    Raises:
        ImportFormatError: the first problem found, in one line.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ImportFormatError(f"not a chatapp export (missing 'format': {FORMAT_NAME!r})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ImportFormatError(f"'version' must be a whole number from 1, not {version!r}")
    if version > FORMAT_VERSION:
        raise ImportFormatError(
            f"export version {version} is newer than this chatapp understands ({FORMAT_VERSION})"
        )
    raw_convs = _field(document, "conversations", list, "the export")
    seen: dict[str, str] = {}
    return [
        _parse_conversation(raw, f"conversation {index}", seen)
        for index, raw in enumerate(raw_convs, start=1)
    ]


def import_json(store: Store, text: str) -> list[str]:
    """Import every conversation of an export, all or nothing.

    Returns:
        The ids of the imported conversations, in file order.

    Raises:
        ImportFormatError: the text is not a valid export; nothing was written.
        StoreError: a conversation or message in the file is already in the store (the message
            names it), or the database cannot be written; nothing was written.
    """
    parsed = parse_export(text)
    store.import_conversations(parsed)
    log.info("imported %d conversations", len(parsed))
    return [conv.id for conv, _ in parsed]
