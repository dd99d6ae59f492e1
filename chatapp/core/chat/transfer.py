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
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, NoReturn

import chatapp
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.docs.sources import sources_from_data
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import (
    ROLES,
    Conversation,
    Message,
    Store,
    is_example_list,
    is_name_list,
    timestamp_now,
)
from chatapp.core.storage.summary import summary_from_data

log = logging.getLogger(__name__)

FORMAT_NAME: Final = "chatapp-export"
FORMAT_VERSION: Final = 1
# The store's own timestamp form; anything else would sort wrongly as text. ASCII digits only:
# \d would also match other scripts' digits.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
# An export is about six levels deep; far deeper is not an export, and would exhaust the stack.
MAX_DEPTH: Final = 100
MAX_FOLDER_DEPTH: Final = 1000  # folders nested deeper than this in an export are refused
# Token counts are stored as SQLite integers (64-bit); no context holds two billion tokens.
_COUNT_MAX: Final = 2**31 - 1
_SHOWN_MAX: Final = 60  # characters of a value or id quoted in a message
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


def _folder_paths(store: Store) -> dict[str, tuple[str, ...]]:
    """Each folder's path of names from the top level, by folder id. A loop of parents (a
    database edited by hand; the app never makes one) ends where it would come round again."""
    folders = {f.id: f for f in store.folders()}
    paths: dict[str, tuple[str, ...]] = {}
    for fid in folders:
        chain: list[str] = []
        up: str | None = fid
        while up in folders and up not in chain and up not in paths:
            chain.append(up)
            up = folders[up].parent_id
        above = paths.get(up, ()) if up is not None else ()
        for link in reversed(chain):
            above = (*above, folders[link].name)
            paths[link] = above
    return paths


def _conversation_dict(
    store: Store, conv: Conversation, folders: dict[str, tuple[str, ...]]
) -> dict[str, Any]:
    folder = folders.get(conv.folder_id) if conv.folder_id else None
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
        **({"collections": list(conv.collections)} if conv.collections else {}),
        **({"examples": [list(p) for p in conv.examples]} if conv.examples else {}),
        **({"folder": list(folder)} if folder else {}),  # names from the top level down
        "messages": [_message_dict(m) for m in _ordered_messages(store.messages(conv.id))],
    }


def _message_dict(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "parent_id": m.parent_id,
        "role": m.role,
        "content": m.content,
        "created_at": m.created_at,
        "model": m.model,
        "metrics": None if m.metrics is None else m.metrics.to_dict(),
    }
    if m.thinking is not None:  # written only where there is some: older readers ignore it
        out["thinking"] = m.thinking
    if m.backend is not None:  # the same: only replies from a remote server have one
        out["backend"] = m.backend
    if m.sources is not None:  # the same: only replies given passages from documents
        out["sources"] = json.loads(m.sources.to_json())
    if m.origin is not None:  # the same: only messages imported from another app
        out["origin"] = m.origin
    if m.summary is not None:  # the same: only replies given a summary of older turns
        out["summary"] = m.summary.to_data()
    return out


def export_json(store: Store, conversation_ids: list[str] | None = None) -> str:
    """The given conversations (default: all) as a chatapp-export JSON document.

    Args:
        store: where the conversations live.
        conversation_ids: full ids or unique prefixes; ``None`` exports everything.

    Raises:
        NotFound: one of the ids matches no conversation.
    """
    folders = _folder_paths(store)
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timestamp_now(),
        "app_version": chatapp.__version__,
        "conversations": [
            _conversation_dict(store, c, folders) for c in _selected(store, conversation_ids)
        ],
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
                via = f" via {msg.backend}" if msg.backend else ""
                label += f" ({msg.model}{via})"
            lines += [f"## {label}", ""]
            if msg.summary is not None:  # what the model read in place of the older turns
                lines += [
                    f"<details><summary>Summary of the earlier {msg.summary.covers} messages"
                    "</summary>",
                    "",
                    msg.summary.text.rstrip("\n"),
                    "",
                    "</details>",
                    "",
                ]
            if msg.thinking:
                # collapsed where Markdown is rendered (GitHub, most viewers); plain text elsewhere
                lines += [
                    "<details><summary>Thought</summary>",
                    "",
                    msg.thinking.rstrip("\n"),
                    "",
                    "</details>",
                    "",
                ]
            lines += [msg.content.rstrip("\n"), ""]
            if msg.sources is not None and msg.sources.items:
                lines += [f"**Sources** ({msg.sources.summary}):", ""]
                lines += [f"- {src.label} — `{src.path}`" for src in msg.sources.items]
                lines.append("")
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


def _shown(value: object) -> str:
    """``repr(value)`` for a message, cut short: an id or a value may be a whole document."""
    if isinstance(value, int) and value.bit_length() > 3 * _SHOWN_MAX:  # repr may refuse it
        return f"a number of more than {_SHOWN_MAX} digits"
    text = repr(value)
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def _check_text(value: str, what: str) -> None:
    """Refuse text that cannot be stored: JSON's ``\\ud800`` escapes can make lone surrogates,
    which are not Unicode characters and cannot be written as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ImportFormatError(
            f"{what} is not valid text: it holds a lone surrogate "
            f"({exc.object[exc.start]!r}) at character {exc.start + 1}"
        ) from None


def _field(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``obj[key]``, checked against ``kind`` (include ``type(None)`` to allow null).

    Text must be valid Unicode and a number finite (``1e999`` reads as infinity).
    """
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
    if isinstance(value, str):
        _check_text(value, f"{where}: {key!r}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ImportFormatError(f"{where}: {key!r} must be a finite number, not {value}")
    return value


def _count(obj: dict[str, Any], key: str, where: str) -> int:
    """A whole number of tokens or turns: never negative, and small enough to store."""
    value: int = _field(obj, key, int, where)
    if not 0 <= value <= _COUNT_MAX:
        raise ImportFormatError(
            f"{where}: {key!r} must be from 0 to {_COUNT_MAX}, not {_shown(value)}"
        )
    return value


def _rate(obj: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> float | None:
    """A time or speed: null where ``kinds`` allows it, else a finite number, never negative."""
    value: float | None = _field(obj, key, kinds, where)
    if value is None:
        return None
    if isinstance(value, int) and not -(2**53) <= value <= 2**53:  # would not fit a float
        raise ImportFormatError(f"{where}: {key!r} is too large a number")
    if value < 0:
        raise ImportFormatError(f"{where}: {key!r} must not be negative, not {value}")
    return value


def _timestamp(obj: dict[str, Any], key: str, where: str) -> str:
    value: str = _field(obj, key, str, where)
    wrong = f"{where}: {key!r} must look like 2026-11-22T08:52:36.123Z, not {_shown(value)}"
    if not _TIMESTAMP.fullmatch(value):
        raise ImportFormatError(wrong)
    try:  # the form is right; is it a moment that exists (no month 13, no 25:00)?
        datetime.fromisoformat(value)  # the C parser; strptime is ten times slower
    except ValueError:
        raise ImportFormatError(f"{wrong}: there is no such date or time") from None
    return value


def _settings(raw: dict[str, Any], where: str, unknown: set[str]) -> dict[str, Any]:
    """The conversation's overrides, each one checked as the settings dialog would.

    A value of the wrong type or out of bounds refuses the file (it is imported whole or not
    at all). A key this chatapp does not know, perhaps written by a newer one, is left out and
    added to ``unknown``, to be reported once for the whole file.
    """
    where = f"{where}: settings"
    for key in raw:
        _check_text(key, f"{where}: a key")
    known = {k: v for k, v in raw.items() if k in GenerationSettings.model_fields}
    unknown.update(k for k in raw if k not in known)
    stop = known.get("stop")
    for index, text in enumerate(stop if isinstance(stop, list) else [], start=1):
        if isinstance(text, str):  # else refused below, as not a list of text
            _check_text(text, f"{where}: stop string {index}")
    usable, refused = GenerationSettings.usable_part(known)
    if refused:
        raise ImportFormatError(f"{where}: {refused[0]}")
    return usable


def _metrics(raw: Any, where: str) -> ReplyMetrics | None:
    if raw is None:
        return None
    where = f"{where}: metrics"
    for key in ("prompt_tokens", "prompt_eval_tokens", "completion_tokens"):
        _count(raw, key, where)
    for key in ("dropped_turns", "restored_tokens"):  # optional, as in ReplyMetrics.from_dict
        if key in raw:
            _count(raw, key, where)
    _rate(raw, "ttft_ms", (int, float, type(None)), where)  # null: no token came
    _rate(raw, "decode_tps", (int, float), where)
    reason = _field(raw, "stop_reason", str, where)
    if reason not in set(StopReason):
        known = ", ".join(str(r) for r in StopReason)
        raise ImportFormatError(f"{where}: stop_reason {_shown(reason)} is not one of {known}")
    return ReplyMetrics.from_dict(raw)


def _parse_message(raw: Any, conv_id: str, where: str) -> Message:
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{where} must be an object, not {_json_type(raw)}")
    msg_id = _field(raw, "id", str, where)
    if not msg_id:
        raise ImportFormatError(f"{where}: 'id' is empty")
    where = f"{where.rsplit(' ', 1)[0]} {_shown(msg_id)}"
    role = _field(raw, "role", str, where)
    if role not in ROLES:
        raise ImportFormatError(f"{where}: role {_shown(role)} is not one of {', '.join(ROLES)}")
    metrics = _metrics(_field(raw, "metrics", (dict, type(None)), where), where)
    if metrics is not None and role != "assistant":
        raise ImportFormatError(f"{where}: only assistant messages have metrics, not {role}")
    thinking = _field(raw, "thinking", (str, type(None)), where) if "thinking" in raw else None
    if thinking is not None and role != "assistant":
        raise ImportFormatError(f"{where}: only assistant messages have thinking, not {role}")
    backend = _field(raw, "backend", (str, type(None)), where) if "backend" in raw else None
    sources = None
    if raw.get("sources") is not None:
        if role != "assistant":
            raise ImportFormatError(f"{where}: only assistant messages have sources, not {role}")
        try:
            sources = sources_from_data(raw["sources"])
        except (ValueError, TypeError, KeyError) as exc:
            raise ImportFormatError(f"{where}: sources: {exc}") from None
        for src in sources.items:
            for text in (src.path, src.text, src.heading or "", src.collection, sources.note):
                _check_text(text, f"{where}: source {src.n}")
    summary = None
    if raw.get("summary") is not None:
        if role != "assistant":
            raise ImportFormatError(f"{where}: only assistant messages have a summary, not {role}")
        try:
            summary = summary_from_data(raw["summary"])
        except ValueError as exc:
            raise ImportFormatError(f"{where}: summary: {exc}") from None
        _check_text(summary.text, f"{where}: summary")
    return Message(
        id=msg_id,
        conversation_id=conv_id,
        parent_id=_field(raw, "parent_id", (str, type(None)), where),
        role=role,
        content=_field(raw, "content", str, where),
        created_at=_timestamp(raw, "created_at", where),
        model=_field(raw, "model", (str, type(None)), where),
        metrics=metrics,
        thinking=thinking,
        backend=backend,
        sources=sources,
        origin=_field(raw, "origin", (str, type(None)), where) if "origin" in raw else None,
        summary=summary,
    )


def _parse_conversation(
    raw: Any, where: str, seen: dict[str, str], unknown_settings: set[str]
) -> tuple[Conversation, list[Message]]:
    """One conversation, checked for types, duplicate ids and a well-formed message tree.

    ``seen`` maps every id met so far in the file to where it was, to name duplicates;
    ``unknown_settings`` collects the setting names left out (see ``_settings``).
    """
    if not isinstance(raw, dict):
        raise ImportFormatError(f"{where} must be an object, not {_json_type(raw)}")
    conv_id = _field(raw, "id", str, where)
    if not conv_id:
        raise ImportFormatError(f"{where}: 'id' is empty")
    if conv_id in seen:
        raise ImportFormatError(f"{where}: id {_shown(conv_id)} is also used by {seen[conv_id]}")
    seen[conv_id] = where
    raw_messages = _field(raw, "messages", list, where)
    messages: dict[str, Message] = {}
    for index, raw_msg in enumerate(raw_messages, start=1):
        msg = _parse_message(raw_msg, conv_id, f"{where}: message {index}")
        if msg.id in seen:
            raise ImportFormatError(
                f"{where}: message {_shown(msg.id)} has the same id as {seen[msg.id]}"
            )
        seen[msg.id] = f"{where}, message {_shown(msg.id)}"
        messages[msg.id] = msg
    for msg in messages.values():
        if msg.parent_id is not None and msg.parent_id not in messages:
            elsewhere = "that is in another conversation" if msg.parent_id in seen else ""
            raise ImportFormatError(
                f"{where}: message {_shown(msg.id)} has parent {_shown(msg.parent_id)} "
                + (elsewhere or "that is not in the file")
            )
    _check_no_loops(messages, where)
    leaf = _field(raw, "current_leaf_id", (str, type(None)), where)
    if leaf is not None and leaf not in messages:
        raise ImportFormatError(
            f"{where}: current_leaf_id {_shown(leaf)} is not one of its messages"
        )
    conv = Conversation(
        id=conv_id,
        title=_field(raw, "title", str, where),
        created_at=_timestamp(raw, "created_at", where),
        updated_at=_timestamp(raw, "updated_at", where),
        model=_field(raw, "model", (str, type(None)), where),
        system_prompt=_field(raw, "system_prompt", (str, type(None)), where),
        settings=_settings(_field(raw, "settings", dict, where), where, unknown_settings),
        pinned=_field(raw, "pinned", bool, where),
        current_leaf_id=leaf,
        collections=_collection_names(raw, where),
        examples=_example_pairs(raw, where),
    )
    return conv, list(messages.values())


def _collection_names(raw: dict[str, Any], where: str) -> tuple[str, ...]:
    names = raw.get("collections")
    if names is None:
        return ()
    if not is_name_list(names):
        raise ImportFormatError(f"{where}: 'collections' must be a list of names")
    for name in names:
        _check_text(name, f"{where}: a collection name")
    return tuple(names)


def _example_pairs(raw: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    pairs = raw.get("examples")
    if pairs is None:
        return ()
    if not is_example_list(pairs):
        raise ImportFormatError(f"{where}: 'examples' must be a list of [user, assistant] texts")
    for user, assistant in pairs:
        _check_text(user, f"{where}: an example")
        _check_text(assistant, f"{where}: an example")
    return tuple((u, a) for u, a in pairs)


def _check_no_loops(messages: dict[str, Message], where: str) -> None:
    """Every message must lead up to a root; a parent loop would have none."""
    reaches_root: set[str] = set()
    for start in messages:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in reaches_root:
            if current in on_path:
                raise ImportFormatError(f"{where}: message {_shown(current)} is its own ancestor")
            path.append(current)
            on_path.add(current)
            current = messages[current].parent_id
        reaches_root.update(path)


def _refuse_constant(name: str) -> NoReturn:
    raise ImportFormatError(f"not valid JSON: {name} is not a number JSON allows")


def _check_depth(document: object) -> None:
    """Refuse lists and objects nested deeper than ``MAX_DEPTH`` (without recursing)."""
    if not isinstance(document, dict | list):
        return
    stack: list[tuple[object, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ImportFormatError(f"nested too deeply (more than {MAX_DEPTH} levels)")
        children = value.values() if isinstance(value, dict) else value
        assert isinstance(children, Iterable)
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))


def load_json(text: str) -> object:
    """``json.loads``, but every way it can refuse the text is an ``ImportFormatError``.

    Also used by the other apps' importers (``chatapp.core.chat.importers``), for the same
    one-line errors and the same limit on nesting.
    """
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise ImportFormatError(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ImportFormatError:
        raise
    except ValueError:  # Python reads integers of at most 4300 digits
        raise ImportFormatError(
            "not valid JSON: a number is far too long (more than 4300 digits)"
        ) from None
    _check_depth(document)
    return document


def parse_export(text: str) -> list[tuple[Conversation, list[Message]]]:
    """Check a whole export and turn it into store objects, writing nothing.

    Setting names this chatapp does not know are left out, with one warning logged.

    Raises:
        ImportFormatError: the first problem found, in one line.
    """
    return parse_document(load_json(text))


def parse_document(document: object) -> list[tuple[Conversation, list[Message]]]:
    """``parse_export`` for a document already read from JSON (``load_json``)."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ImportFormatError(f"not a chatapp export (missing 'format': {FORMAT_NAME!r})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ImportFormatError(f"'version' must be a whole number from 1, not {_shown(version)}")
    if version > FORMAT_VERSION:
        raise ImportFormatError(
            f"export version {_shown(version)} is newer than this chatapp understands "
            f"({FORMAT_VERSION})"
        )
    raw_convs = _field(document, "conversations", list, "the export")
    seen: dict[str, str] = {}
    unknown: set[str] = set()
    parsed = [
        _parse_conversation(raw, f"conversation {index}", seen, unknown)
        for index, raw in enumerate(raw_convs, start=1)
    ]
    if unknown:
        names = sorted(unknown)
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        log.warning(
            "settings this chatapp does not know were left out: %s%s",
            ", ".join(_shown(k) for k in names[:5]),
            more,
        )
    return parsed


def parse_folders(document: object) -> dict[str, tuple[str, ...]]:
    """The folder each conversation of a checked export (``parse_document``) was in: its names
    from the top level down, by conversation id; conversations at the top level are left out.

    Raises:
        ImportFormatError: a ``folder`` that is not a list of names.
    """
    out: dict[str, tuple[str, ...]] = {}
    assert isinstance(document, dict)
    for index, raw in enumerate(document["conversations"], start=1):
        names = raw.get("folder")
        if names is None:
            continue
        where = f"conversation {index}"
        if not is_name_list(names) or not all(" ".join(n.split()) for n in names):
            raise ImportFormatError(f"{where}: 'folder' must be a list of folder names")
        if len(names) > MAX_FOLDER_DEPTH:
            raise ImportFormatError(
                f"{where}: 'folder' is nested {len(names)} deep (at most {MAX_FOLDER_DEPTH})"
            )
        for name in names:
            _check_text(name, f"{where}: a folder name")
        if names:
            out[raw["id"]] = tuple(names)
    return out


def import_json(store: Store, text: str) -> list[str]:
    """Import every conversation of an export, all or nothing.

    Settings this chatapp does not know are left out, with one warning logged (see
    ``parse_export``).

    Returns:
        The ids of the imported conversations, in file order.

    Raises:
        ImportFormatError: the text is not a valid export; nothing was written.
        StoreError: a conversation or message in the file is already in the store (the message
            names it), or the database cannot be written; nothing was written.
    """
    document = load_json(text)
    parsed = parse_document(document)
    store.import_conversations(parsed, folders=parse_folders(document))
    log.info("imported %d conversations", len(parsed))
    return [conv.id for conv, _ in parsed]
