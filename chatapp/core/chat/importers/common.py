"""What every importer shares: lenient value readers, skip notes, and the tree builder.

Other apps' exports are read leniently: a value of the wrong type counts as missing, and what
cannot be imported (images, tool calls, files) is left out with a note for the user. Only a file
that is not an export at all is refused, with an ``ImportFormatError``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from chatapp.core.chat.transfer import ImportFormatError
from chatapp.core.storage.store import (
    Conversation,
    Message,
    format_timestamp,
    timestamp_now,
    title_from_text,
)

__all__ = [
    "ImportFormatError",
    "Node",
    "Notes",
    "Tree",
    "as_dict",
    "as_list",
    "as_str",
    "epoch_time",
    "iso_time",
    "plural",
    "split_think",
    "stable_id",
    "text",
]

# uuid5 namespace of imported ids: the same source id always gives the same chatapp id, so a
# second import of the same export finds its conversations already there.
_NAMESPACE: Final = uuid.UUID("6f1c3f52-8a4e-4d0b-9a57-1b6c2f9e0d31")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_THINK: Final = re.compile(r"\A\s*<think>(.*?)(?:</think>|\Z)(.*)\Z", re.DOTALL)
_SHOWN: Final = 40  # characters of a title quoted in a note


def text(value: object) -> str:
    """``value`` if it is text, else ``""``; a lone surrogate (JSON's ``"\\ud800"``) becomes
    U+FFFD, since it cannot be stored as UTF-8."""
    if not isinstance(value, str):
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def as_str(value: object) -> str | None:
    """Non-empty text, or ``None``."""
    out = text(value)
    return out or None


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def first_dict(document: object) -> dict[str, Any] | None:
    """The document itself if it is an object, else the first object among the first 20
    items of a list: what the importers look at to tell a format."""
    if isinstance(document, dict):
        return document
    if isinstance(document, list):
        return next((x for x in document[:20] if isinstance(x, dict)), None)
    return None


def epoch_time(value: object) -> str | None:
    """Seconds since 1970 (or milliseconds, for values past the year 5000) in the store's form;
    ``None`` for anything else, or a moment outside years 1 to 9999."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    if not math.isfinite(seconds):
        return None
    if seconds > 1e11:  # no export is from the year 5138: these are milliseconds
        seconds /= 1000
    try:
        return format_timestamp(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: object) -> str | None:
    """An ISO 8601 time (``2024-05-01T12:00:00.123456Z``, an offset, or none: UTC) in the store's
    form; ``None`` if it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return format_timestamp(moment)
    except (OverflowError, ValueError):
        return None


def stable_id(*parts: str) -> str:
    """A chatapp id (32 hex digits) that is always the same for the same source ids."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


def split_think(content: str) -> tuple[str, str | None]:
    """A reply that starts with ``<think>…</think>``: (answer, thinking); else (content, None)."""
    match = _THINK.match(content)
    if match is None:
        return content, None
    thinking = match.group(1).strip()
    return match.group(2).lstrip(), thinking or None


def plural(n: int, kind: str) -> str:
    """``1 image``, ``2 images``: ``kind`` is given in the plural."""
    if n == 1 and kind.endswith("s") and not kind.endswith("ss"):
        kind = kind.replace("messages from", "message from").replace("clips", "clip")
        kind = kind[:-1] if kind.endswith("s") else kind
    return f"{n} {kind}"


def _shown(title: str) -> str:
    title = " ".join(title.split())
    return repr(title if len(title) <= _SHOWN else title[: _SHOWN - 1] + "…")


class Notes:
    """What was left out, counted per conversation and kind, for lines such as
    ``conversation 'Trip': 2 images skipped``.

    A conversation is named once (``conversation``), and counted by the key that returns.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._counts: dict[int, Counter[str]] = defaultdict(Counter)
        self._lines: list[str] = []

    def conversation(self, title: str) -> int:
        """A key for the next conversation, shown as its title (or ``untitled N``)."""
        key = len(self._names) + 1
        self._names[key] = title or f"untitled {key}"
        return key

    def count(self, conversation: int, kind: str, n: int = 1) -> None:
        """``kind`` is a plural noun: ``images``, ``tool calls``."""
        if n > 0:
            self._counts[conversation][kind] += n

    def line(self, line: str) -> None:
        self._lines.append(line)

    def forget(self, conversation: int) -> None:
        """Leave out a conversation's counts (it was not imported after all)."""
        self._counts.pop(conversation, None)

    @property
    def other(self) -> int:
        """How many lines are not counts of a kind (an item that is not a conversation…)."""
        return len(self._lines)

    def totals(self) -> Counter[str]:
        """Each kind's count over all conversations."""
        out: Counter[str] = Counter()
        for counts in self._counts.values():
            out.update(counts)
        return out

    def lines(self) -> list[str]:
        out = list(self._lines)
        for key, counts in self._counts.items():
            kinds = ", ".join(plural(n, kind) for kind, n in counts.items())
            out.append(f"conversation {_shown(self._names[key])}: {kinds} skipped")
        return out


@dataclass
class Node:
    """One message of a source's tree, before it becomes a ``Message``.

    ``keep`` false: a node that is not shown (the root, a hidden system message, a tool call);
    its children hang from its nearest kept ancestor instead. ``merge`` true: when it is the only
    child of an assistant message, it is part of the same reply (code, its output, the answer)
    and joins that message.
    """

    parent: str | None
    role: str = "assistant"
    content: str = ""
    thinking: str | None = None
    model: str | None = None
    created_at: str | None = None
    keep: bool = True
    merge: bool = False


@dataclass
class Tree:
    """A conversation's nodes by source id, turned into store objects by ``build``."""

    source: str  # "chatgpt": part of every id, so two sources' ids never meet
    source_id: str
    title: str
    label: int  # the conversation's key in the notes
    nodes: dict[str, Node] = field(default_factory=dict)
    current: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    system_prompt: str | None = None
    pinned: bool = False

    def build(self, notes: Notes) -> tuple[Conversation, list[Message]]:
        """Store objects with every branch kept; linear in the number of nodes, no recursion.

        A parent that is missing counts as none (the node becomes a root); a parent loop is
        broken where it is found, with a note.
        """
        conv_id = stable_id(self.source, self.source_id)
        kept_parent = self._kept_parents()
        children: dict[str | None, list[str]] = defaultdict(list)
        for key in self.nodes:  # source order: siblings keep it
            if self.nodes[key].keep:
                children[kept_parent[key]].append(key)
        order: list[str] = []
        placed: set[str] = set()
        roots = list(children.get(None, []))
        unplaced = (k for k in self.nodes if self.nodes[k].keep)
        while True:
            stack = roots[::-1]
            while stack:
                key = stack.pop()
                if key in placed:
                    continue
                placed.add(key)
                order.append(key)
                stack.extend(reversed(children.get(key, [])))
            loose = next((k for k in unplaced if k not in placed), None)
            if loose is None:
                break
            kept_parent[loose] = None  # in a loop: it becomes a root
            notes.line(f"conversation {_shown(self.title)}: a loop of messages was broken")
            roots = [loose]
        created = self.created_at or next(
            (t for k in order if (t := self.nodes[k].created_at)), None
        )
        created = created or timestamp_now()
        target: dict[str, str] = {}  # source id -> the source id of the message it is part of
        messages: dict[str, dict[str, Any]] = {}
        times: dict[str, str] = {}
        for key in order:
            node = self.nodes[key]
            parent = kept_parent[key]
            parent_time = times[parent] if parent is not None else created
            times[key] = node.created_at or parent_time
            if (
                node.merge
                and parent is not None
                and len(children[parent]) == 1
                and messages[target[parent]]["role"] == "assistant"
                and node.role == "assistant"
            ):
                into = messages[target[parent]]
                target[key] = target[parent]
                if node.content:
                    into["content"] = (
                        f"{into['content']}\n\n{node.content}" if into["content"] else node.content
                    )
                if node.thinking:
                    into["thinking"] = (
                        f"{into['thinking']}\n\n{node.thinking}"
                        if into["thinking"]
                        else node.thinking
                    )
                into["model"] = into["model"] or node.model
                continue
            target[key] = key
            messages[key] = {
                "id": stable_id(self.source, self.source_id, key),
                "parent_id": None if parent is None else messages[target[parent]]["id"],
                "role": node.role,
                "content": node.content,
                "created_at": times[key],
                "model": node.model,
                "thinking": node.thinking,
            }
        leaf = self._leaf(kept_parent, children, target, order)
        out = [
            Message(
                conversation_id=conv_id,
                **{**m, "thinking": m["thinking"] if m["role"] == "assistant" else None},
            )
            for m in messages.values()
        ]
        last = max((m.created_at for m in out), default=created)
        title = self.title or next(  # untitled: named as chatapp names a new conversation
            (title_from_text(m.content) for m in out if m.role == "user" and m.content.strip()), ""
        )
        conv = Conversation(
            id=conv_id,
            title=title,
            created_at=created,
            updated_at=max(self.updated_at or last, created),
            system_prompt=self.system_prompt,
            pinned=self.pinned,
            current_leaf_id=None if leaf is None else messages[leaf]["id"],
        )
        return conv, out

    def _kept_parents(self) -> dict[str, str | None]:
        """For every node, its nearest kept ancestor (``None``: it is a root)."""
        nodes = self.nodes
        nearest: dict[str, str | None] = {}  # for nodes that are not kept: their nearest kept

        def resolve(start: str | None) -> str | None:
            path: list[str] = []
            seen: set[str] = set()
            current = start
            while current is not None:
                node = nodes.get(current)
                if node is None:
                    current = None
                    break
                if node.keep:
                    break
                if current in nearest:
                    current = nearest[current]
                    break
                if current in seen:  # a loop of hidden nodes leads nowhere
                    current = None
                    break
                seen.add(current)
                path.append(current)
                current = node.parent
            for p in path:
                nearest[p] = current
            return current

        return {key: resolve(node.parent) for key, node in nodes.items()}

    def _leaf(
        self,
        kept_parent: dict[str, str | None],
        children: dict[str | None, list[str]],
        target: dict[str, str],
        order: list[str],
    ) -> str | None:
        """The source's current message (or its nearest kept ancestor), followed down to a leaf
        by its last child; without one, the last message of the first root's newest path."""
        current = self.current
        if current is not None and current in self.nodes and not self.nodes[current].keep:
            current = kept_parent.get(current)
        if current is None or current not in target:
            if not order:
                return None
            current = order[0]
        while children.get(current):
            current = children[current][-1]
        return target[current]
