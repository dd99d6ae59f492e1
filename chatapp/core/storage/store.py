"""The conversation store: every conversation and message, kept in one SQLite file.

Why SQLite: one file, no server, full-text search built in (FTS5), and it survives the app being
killed at any moment. Every public write commits before it returns (WAL journal,
``synchronous=NORMAL``), so a sent message is on disk before the model starts replying, and a
streaming reply loses at most the last half second.

Messages form a tree, not a list: editing a message or regenerating a reply adds a sibling
instead of overwriting, and each conversation remembers the leaf the user is looking at
(``current_leaf_id``). The thread on screen is the path from the root to that leaf.

One connection is shared by the GUI thread and a worker thread; a lock serialises every public
method so one thread's transaction never interleaves with another thread's statements.

Errors: the environment's fault (disk full, read-only, damaged file, locked, not a database)
becomes :class:`StoreError` with a sentence a user can act on; anything else is our bug and
propagates unchanged.
"""

from __future__ import annotations

import codecs
import heapq
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Final, Self

from chatapp.core.docs.sources import Sources, sources_from_json
from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.cjk import (
    CJK_CHARS,
    CJK_RUN,
    Needles,
    any_of,
    is_wide,
    quote,
    trigrams_after,
)
from chatapp.core.storage.summary import Summary, summary_from_json

log = logging.getLogger(__name__)

DB_FILENAME: Final = "chatapp.sqlite3"
ROLES: Final = ("system", "user", "assistant")
# Search snippets mark each matched word with these control characters; they never occur in
# typed text, so the UI can style them and the CLI can swap them for brackets.
HIGHLIGHT_START: Final = "\x02"
HIGHLIGHT_END: Final = "\x03"
SNIPPET_ELLIPSIS: Final = "…"
_MARKS: Final = (HIGHLIGHT_START, HIGHLIGHT_END)
TITLE_MAX: Final = 60


class StoreError(Exception):
    """The store cannot do its work because of its environment; the message is for the user."""


class StoreBusy(StoreError):
    """Another program holds the database's write lock; trying again later may succeed."""


class StoreCannotOpen(StoreError):
    """SQLite cannot open the file (or, read-only, the -shm beside it) at all."""


class StoreOutdated(StoreError):
    """Opened read-only, the file has an older schema: it must be upgraded (written) first."""


class StoreDamaged(StoreError):
    """The file fails SQLite's integrity check: nothing more is written into it.

    What can still be read can be exported (``chatapp export``) or copied into a new database
    (``chatapp repair``); see ``chatapp.core.storage.salvage``.
    """


class InvalidText(StoreError, ValueError):
    """Text that is not valid Unicode (a lone surrogate, e.g. from undecodable bytes)."""


class NotFound(StoreError, KeyError):
    """No conversation or message has the given id (or the id prefix is ambiguous)."""

    def __str__(self) -> str:
        # KeyError would otherwise quote the message like a repr.
        return str(self.args[0]) if self.args else ""


class _Unset(Enum):
    """Sentinel type: "argument not given", so that ``None`` can mean "clear" or "no parent"."""

    TOKEN = 0


_UNSET: Final = _Unset.TOKEN


def format_timestamp(moment: datetime) -> str:
    """A time as stored: ISO 8601 UTC with milliseconds, e.g. 2026-11-22T08:52:36.123Z.

    Strings, not datetimes, so that an export re-imports byte for byte and sorts as text.
    """
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp_now() -> str:
    """The current time, formatted as stored."""
    return format_timestamp(datetime.now(UTC))


def new_id() -> str:
    """A fresh id: UUID4 as 32 lowercase hex digits."""
    return uuid.uuid4().hex


# Where a title may be cut: after a space, or after CJK punctuation (Chinese has no spaces).
_CUT_AFTER: Final = frozenset(" ，、；：。！？）》」』")


def title_from_text(text: str, limit: int = TITLE_MAX) -> str:
    """A conversation title from the first non-empty line, cut on a word boundary with "…".

    ``limit`` counts columns: a Chinese character is as wide as two Latin letters, so a
    Chinese title is cut at about half as many characters (after a comma or a full stop where
    one is near the end, as a space is for English)."""
    line = next((" ".join(ln.split()) for ln in text.splitlines() if ln.strip()), "")
    widths = [2 if is_wide(ch) else 1 for ch in line]
    if sum(widths) <= limit:
        return line
    end, used = 0, 0
    while used + widths[end] <= limit:
        used += widths[end]
        end += 1
    cut = line[:end]
    boundary = max(i for i, ch in enumerate(" " + cut) if i == 0 or ch in _CUT_AFTER)
    if sum(widths[:boundary]) >= limit // 2:  # a boundary not too far back; else cut the word
        cut = cut[:boundary]
    return cut.rstrip(" ,.;:-，、；：。") + SNIPPET_ELLIPSIS


@dataclass(frozen=True)
class Conversation:
    """One conversation. ``settings`` holds generation settings as saved by the UI."""

    id: str
    title: str
    created_at: str
    updated_at: str
    model: str | None = None
    system_prompt: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    pinned: bool = False
    current_leaf_id: str | None = None
    collections: tuple[str, ...] = ()  # the document collections it answers from
    examples: tuple[tuple[str, str], ...] = ()  # few-shot (user, assistant) pairs, read first
    folder_id: str | None = None  # the folder it is in (None: the top level)


@dataclass(frozen=True)
class Folder:
    """A folder of conversations; ``parent_id`` nests it (None: the top level)."""

    id: str
    name: str
    parent_id: str | None = None


@dataclass(frozen=True)
class Message:
    """One message in a conversation's tree.

    ``metrics`` is set on finished assistant replies only. An assistant message without metrics
    is either streaming right now or was cut off (the app was killed mid-reply); the store cannot
    tell which, the caller that streams it can.

    ``full_size`` is set only where ``content`` is not the whole text (a preview read by
    ``Store.thread(preview=...)``): then it is the whole text's size in bytes of UTF-8.

    ``thinking`` is a reasoning model's thinking before its answer, kept apart from
    ``content`` (the answer): shown, exported, never sent back to the model nor searched.
    ``None`` when the reply had none.

    ``backend`` names the server that wrote a reply (a remote backend's name); ``None``: this
    computer. ``model`` is then that server's id for the model.

    ``sources``: what the reply was given from the user's documents (``None``: nothing).

    ``summary``: the summary of the thread's older turns this reply was the first to be given
    (the "summarise" overflow policy; see ``core.storage.summary``).
    """

    id: str
    conversation_id: str
    parent_id: str | None
    role: str
    content: str
    created_at: str
    model: str | None = None
    metrics: ReplyMetrics | None = None
    full_size: int | None = None
    thinking: str | None = None
    backend: str | None = None
    sources: Sources | None = None
    origin: str | None = None  # the other app's export it was imported from; None: here
    summary: Summary | None = None

    @property
    def partial(self) -> bool:
        """True when ``content`` holds only the start of the text (see ``full_size``)."""
        return self.full_size is not None

    @property
    def interrupted(self) -> bool:
        """True for an assistant reply that never finished (or is still streaming); an
        imported reply came without metrics, and is not one."""
        return self.role == "assistant" and self.metrics is None and self.origin is None


RANK_WINDOW: Final = 1000  # search ranks at most this many of the newest matches
# one or two CJK characters in a query stand for at most this many trigrams (OR-ed); more: they
# are common, and the newest messages holding them are found by a scan
PAIR_TRIGRAMS: Final = 64
# what of a message's text search reads to check a hit's words and to make its snippet: a
# 200 MB log is no Python string per search (its words further on are found by the index alone)
READ_CHARS: Final = 1_000_000
_TEXT: Final = f"substr(m.content, 1, {READ_CHARS:d})"  # of messages AS m
_GLUED_MARK: Final = re.compile(f"{HIGHLIGHT_START}[^{HIGHLIGHT_END}]*[{CJK_CHARS}]")


@dataclass(frozen=True)
class SearchHit:
    """One search result; ``snippet`` marks matches with HIGHLIGHT_START/HIGHLIGHT_END."""

    conversation_id: str
    conversation_title: str
    message_id: str
    role: str
    snippet: str


# --- schema ------------------------------------------------------------------------------------


def _v1_conversations_and_messages(conn: sqlite3.Connection) -> None:
    """Schema 1: conversations and a tree of messages."""
    conn.execute(
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            model TEXT,
            system_prompt TEXT,
            settings_json TEXT NOT NULL DEFAULT '{}',
            current_leaf_id TEXT REFERENCES messages(id) ON DELETE SET NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            model TEXT
        )"""
    )


def _v2_pins_metrics_and_search(conn: sqlite3.Connection) -> None:
    """Schema 2: pinned conversations, per-reply metrics, full-text search, lookup indexes.

    The FTS index is external-content (it stores no second copy of the text) and keyed by the
    messages' implicit rowid. The app never runs VACUUM, which could renumber those rowids; if
    someone does, ``INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')`` repairs search.
    """
    conn.execute(
        "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0"
        " CHECK (pinned IN (0, 1))"
    )
    # stop_reason NULL on an assistant message: still streaming, or interrupted.
    for column in (
        "prompt_tokens INTEGER",
        "prompt_eval_tokens INTEGER",
        "completion_tokens INTEGER",
        "ttft_ms REAL",
        "decode_tps REAL",
        "stop_reason TEXT",
        "dropped_turns INTEGER",
    ):
        conn.execute(f"ALTER TABLE messages ADD COLUMN {column}")
    conn.execute("CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at)")
    conn.execute("CREATE INDEX messages_by_parent ON messages(parent_id)")
    conn.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages',"
        " content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute(
        """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
        END"""
    )
    conn.execute(
        """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.rowid, old.content);
        END"""
    )
    conn.execute(
        """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.rowid, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
        END"""
    )
    conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")


def _v3_reasoning(conn: sqlite3.Connection) -> None:
    """Schema 3: a reasoning model's thinking, apart from the answer (NULL: the reply had none).

    Not indexed for search: the FTS triggers keep indexing ``content``, the answer only.
    """
    conn.execute("ALTER TABLE messages ADD COLUMN thinking TEXT")


def _v4_reopen(conn: sqlite3.Connection) -> None:
    """Schema 4: how many prompt tokens a reply loaded from the conversation's saved model
    state instead of evaluating them (instant reopen); NULL before this schema."""
    conn.execute("ALTER TABLE messages ADD COLUMN restored_tokens INTEGER")


def _v5_backend(conn: sqlite3.Connection) -> None:
    """Schema 5: the remote server that wrote a reply (NULL: this computer, as every reply
    before this schema was)."""
    conn.execute("ALTER TABLE messages ADD COLUMN backend TEXT")


def _v6_documents(conn: sqlite3.Connection) -> None:
    """Schema 6: the document collections a conversation answers from (a JSON list of names;
    NULL: none), and what a reply was given from them (its sources, JSON; see
    ``core.docs.sources``; NULL: nothing)."""
    conn.execute("ALTER TABLE conversations ADD COLUMN collections_json TEXT")
    conn.execute("ALTER TABLE messages ADD COLUMN sources_json TEXT")


def _v7_examples(conn: sqlite3.Connection) -> None:
    """Schema 7: a conversation's few-shot examples (a JSON list of [user, assistant] pairs the
    model reads after the system prompt, before the conversation; NULL: none)."""
    conn.execute("ALTER TABLE conversations ADD COLUMN examples_json TEXT")


def _v8_origin(conn: sqlite3.Connection) -> None:
    """Schema 8: where a message was imported from ("ChatGPT export"…; NULL: written here).
    An imported reply has no metrics, and is not an interrupted one."""
    conn.execute("ALTER TABLE messages ADD COLUMN origin TEXT")


def _v9_folders(conn: sqlite3.Connection) -> None:
    """Schema 9: folders, nested (a deleted folder takes its subfolders; their conversations
    go back to the top level, never deleted with it)."""
    conn.execute(
        """CREATE TABLE folders (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            parent_id TEXT REFERENCES folders(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        "ALTER TABLE conversations ADD COLUMN folder_id TEXT REFERENCES folders(id)"
        " ON DELETE SET NULL"
    )


def _v10_summaries(conn: sqlite3.Connection) -> None:
    """Schema 10: the summary of older turns a reply was given (JSON; NULL: none)."""
    conn.execute("ALTER TABLE messages ADD COLUMN summary_json TEXT")


def _v11_chinese_search(conn: sqlite3.Connection) -> None:
    """Schema 11: a trigram index of the messages, so search finds words in text without spaces
    (Chinese, Japanese): unicode61 (``messages_fts``) reads a run of CJK characters as one
    token, and "模型" inside "大型语言模型" as nothing at all.

    Contentless (it keeps no copy of the text). Each message is indexed with two U+0001 after
    it, which typed text never holds: then every character, even a message's last, starts a
    trigram, so one or two characters are found by the trigrams starting with them (read from
    ``messages_tri_vocab``), the last word of a message too. The triggers and the fill must
    index exactly the same text, or a 'delete' would remove the wrong trigrams.
    """
    conn.execute(
        "CREATE VIRTUAL TABLE messages_tri USING fts5(content, content='', tokenize='trigram')"
    )
    conn.execute("CREATE VIRTUAL TABLE messages_tri_vocab USING fts5vocab(messages_tri, 'row')")
    conn.execute(
        """CREATE TRIGGER messages_tri_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_tri(rowid, content) VALUES (new.rowid, new.content || char(1, 1));
        END"""
    )
    conn.execute(
        """CREATE TRIGGER messages_tri_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_tri(messages_tri, rowid, content)
                VALUES ('delete', old.rowid, old.content || char(1, 1));
        END"""
    )
    conn.execute(
        """CREATE TRIGGER messages_tri_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_tri(messages_tri, rowid, content)
                VALUES ('delete', old.rowid, old.content || char(1, 1));
            INSERT INTO messages_tri(rowid, content) VALUES (new.rowid, new.content || char(1, 1));
        END"""
    )
    conn.execute(
        "INSERT INTO messages_tri(rowid, content) SELECT rowid, content || char(1, 1) FROM messages"
    )


# Forward migrations, in order: step N turns schema N-1 into schema N. Never edit a released step;
# add a new one.
MIGRATIONS: Final[tuple[Callable[[sqlite3.Connection], None], ...]] = (
    _v1_conversations_and_messages,
    _v2_pins_metrics_and_search,
    _v3_reasoning,
    _v4_reopen,
    _v5_backend,
    _v6_documents,
    _v7_examples,
    _v8_origin,
    _v9_folders,
    _v10_summaries,
    _v11_chinese_search,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def _db_path(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else ":memory:"


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if any, without hiding the error that led here."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        log.warning("rollback failed: %s", exc)


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Bring the database up to schema ``target`` (default: the newest), one step at a time.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction together with the bump of
    ``PRAGMA user_version`` (the schema_version), so a crash leaves the database at a whole
    version, and two processes opening the same file never run a step twice.

    Args:
        conn: a connection opened with ``isolation_level=None`` (we manage transactions).
        target: the schema version to stop at; tests pass 1 to build a real old database.

    Returns:
        The schema version the database is at afterwards.

    Raises:
        StoreError: the database comes from a newer chatapp, or holds someone else's tables.
    """
    if conn.isolation_level is not None:
        raise ValueError("migrate() needs a connection opened with isolation_level=None")
    goal = SCHEMA_VERSION if target is None else target
    if not 0 <= goal <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {goal}; this version knows 0..{SCHEMA_VERSION}")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = _refuse_foreign(conn)  # another program's file, or a newer chatapp's
            if version >= goal:
                conn.execute("COMMIT")
                return version
            step = MIGRATIONS[version]
            log.info("upgrading %s to schema %d: %s", _db_path(conn), version + 1, step.__name__)
            step(conn)
            conn.execute(f"PRAGMA user_version = {version + 1:d}")
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise


# --- errors ------------------------------------------------------------------------------------

_ENVIRONMENT_ERRORS: Final[dict[int, str]] = {
    sqlite3.SQLITE_FULL: "cannot write {path}: the disk is full ({detail})",
    sqlite3.SQLITE_READONLY: "cannot write {path}: it is read-only ({detail})",
    sqlite3.SQLITE_PERM: "cannot access {path}: permission denied ({detail})",
    sqlite3.SQLITE_CANTOPEN: "cannot open {path} ({detail})",
    sqlite3.SQLITE_BUSY: "{path} is locked by another program; is another chatapp running? "
    "({detail})",
    sqlite3.SQLITE_LOCKED: "{path} is locked by another program; is another chatapp running? "
    "({detail})",
    sqlite3.SQLITE_CORRUPT: "{path} is damaged ({detail})",
    sqlite3.SQLITE_NOTADB: "{path} is not a chatapp database ({detail})",
    sqlite3.SQLITE_IOERR: "cannot read or write {path}: disk I/O error ({detail})",
}


_ERROR_CLASSES: Final[dict[int, type[StoreError]]] = {
    sqlite3.SQLITE_BUSY: StoreBusy,
    sqlite3.SQLITE_LOCKED: StoreBusy,
    sqlite3.SQLITE_CORRUPT: StoreDamaged,
    sqlite3.SQLITE_CANTOPEN: StoreCannotOpen,
}
RECOVERY_HINT: Final = (
    "nothing more is written into it; `chatapp repair` copies what can be read into a new "
    "database and keeps the damaged file beside it, and `chatapp export` saves what can be read"
)


def first_problem(findings: Sequence[str]) -> str:
    """The first of integrity_check's findings, on one line ("…" when there are more)."""
    lines = [ln.strip() for f in findings for ln in f.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("***")]
    if not lines:
        return "integrity check failed"
    return lines[0] + (" …" if len(lines) > 1 else "")


def damaged_message(path: Path, detail: str) -> str:
    """What the user reads about a damaged database: what is wrong and how to recover."""
    return f"the database {path} is damaged ({detail}); {RECOVERY_HINT}"


@contextmanager
def _environment_errors(path: Path) -> Iterator[None]:
    """Turn SQLite errors that are the environment's fault into StoreError; let bugs through."""
    try:
        yield
    except UnicodeDecodeError as exc:  # SQLite quoting a damaged schema's bytes in its message
        raise StoreDamaged(damaged_message(path, "its list of tables is unreadable")) from exc
    except sqlite3.DatabaseError as exc:
        if "Could not decode to UTF-8" in str(exc):  # text whose bytes were damaged
            raise StoreDamaged(damaged_message(path, str(exc))) from exc
        code = getattr(exc, "sqlite_errorcode", None)
        primary = None if code is None else code & 0xFF
        template = None if primary is None else _ENVIRONMENT_ERRORS.get(primary)
        if template is None or primary is None:
            raise
        if primary == sqlite3.SQLITE_CORRUPT:
            raise StoreDamaged(damaged_message(path, str(exc))) from exc
        kind = _ERROR_CLASSES.get(primary, StoreError)
        raise kind(template.format(path=path, detail=exc)) from exc
    except UnicodeEncodeError as exc:  # sqlite3 binding text with a lone surrogate
        raise InvalidText(
            f"the text is not valid Unicode ({exc.reason} at character {exc.start})"
        ) from exc


# --- rows --------------------------------------------------------------------------------------

_CONV_COLUMNS: Final = (
    "id, title, created_at, updated_at, model, system_prompt, settings_json, pinned,"
    " current_leaf_id, collections_json, examples_json, folder_id"
)
_MSG_COLUMNS: Final = (
    "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.created_at, m.model,"
    " m.prompt_tokens, m.prompt_eval_tokens, m.completion_tokens, m.ttft_ms, m.decode_tps,"
    " m.stop_reason, m.dropped_turns, m.restored_tokens, m.thinking, m.backend,"
    " m.sources_json, m.origin, m.summary_json"
)


def _conversation(row: sqlite3.Row) -> Conversation:
    try:
        settings = json.loads(row["settings_json"])
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's stack
        settings = None
    if not isinstance(settings, dict):
        log.warning("conversation %s has unreadable settings; using defaults", row["id"])
        settings = {}
    return Conversation(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        model=row["model"],
        system_prompt=row["system_prompt"],
        settings=settings,
        pinned=bool(row["pinned"]),
        current_leaf_id=row["current_leaf_id"],
        collections=_collections(row["collections_json"]),
        examples=_examples(row["examples_json"]),
        folder_id=row["folder_id"],
    )


def is_example_list(value: object) -> bool:
    """A conversation's few-shot examples: a list of [user, assistant] texts."""
    return isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p) for p in value
    )


def is_name_list(value: object) -> bool:
    """A conversation's document collections: a list of names."""
    return isinstance(value, list) and all(isinstance(n, str) for n in value)


def _json_list(text: str | None, valid: Callable[[object], bool], what: str) -> list[Any]:
    """A JSON list saved in a column (NULL: empty); unreadable: empty, with a warning."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not valid(value):
        log.warning("a conversation's %s cannot be read; it uses none", what)
        return []
    return list(value)


def _examples(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((u, a) for u, a in _json_list(text, is_example_list, "examples"))


def _collections(text: str | None) -> tuple[str, ...]:
    return tuple(_json_list(text, is_name_list, "document collections"))


def _message(row: sqlite3.Row) -> Message:
    metrics = None
    if row["stop_reason"] is not None:
        metrics = ReplyMetrics(
            prompt_tokens=row["prompt_tokens"] or 0,
            prompt_eval_tokens=row["prompt_eval_tokens"] or 0,
            completion_tokens=row["completion_tokens"] or 0,
            ttft_ms=row["ttft_ms"],
            decode_tps=row["decode_tps"] or 0.0,
            stop_reason=StopReason(row["stop_reason"]),
            dropped_turns=row["dropped_turns"] or 0,
            restored_tokens=row["restored_tokens"] or 0,
        )
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=row["role"],
        content=row["content"],
        created_at=row["created_at"],
        model=row["model"],
        metrics=metrics,
        thinking=row["thinking"],
        backend=row["backend"],
        sources=sources_from_json(row["sources_json"]),
        origin=row["origin"],
        summary=summary_from_json(row["summary_json"]),
    )


def _preview(conn: sqlite3.Connection, row: sqlite3.Row, limit: int) -> Message:
    """A message of a ``thread(preview=...)`` query: a long text (NULL there) is read from its
    start only, through SQLite's incremental blob I/O, and cut after its last whole character."""
    msg = _message(row)
    if row["content"] is not None:
        return msg
    with conn.blobopen("messages", "content", row["row_number"], readonly=True) as blob:
        size = len(blob)
        head = blob.read(limit)
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(head, final=False)
    return replace(msg, content=text, full_size=size)


def _messages_where(conn: sqlite3.Connection, column: str, value: str) -> list[Message]:
    """Messages whose ``column`` (a fixed name, never user input) equals ``value``, oldest first."""
    rows = conn.execute(
        f"SELECT {_MSG_COLUMNS} FROM messages m WHERE {column} = ? ORDER BY created_at, rowid",
        (value,),
    ).fetchall()
    return [_message(r) for r in rows]


def _insert_message(conn: sqlite3.Connection, conversation_id: str, m: Message) -> None:
    """One message exactly as given (ids, times, metrics): imports and restores."""
    conn.execute(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at,"
        " model, prompt_tokens, prompt_eval_tokens, completion_tokens, ttft_ms, decode_tps,"
        " stop_reason, dropped_turns, restored_tokens, thinking, backend, sources_json, origin,"
        " summary_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            m.id,
            conversation_id,
            m.parent_id,
            m.role,
            m.content,
            m.created_at,
            m.model,
            *_metric_values(m.metrics),
            m.thinking,
            m.backend,
            m.sources.to_json() if m.sources is not None else None,
            m.origin,
            m.summary.to_json() if m.summary is not None else None,
        ),
    )


def _metric_values(metrics: ReplyMetrics | None) -> tuple[Any, ...]:
    if metrics is None:
        return (None,) * 8
    return (
        metrics.prompt_tokens,
        metrics.prompt_eval_tokens,
        metrics.completion_tokens,
        metrics.ttft_ms,
        metrics.decode_tps,
        str(metrics.stop_reason),
        metrics.dropped_turns,
        metrics.restored_tokens,
    )


def _fts_query(text: str) -> str:
    """User text → an FTS5 query that cannot be a syntax error.

    Every word is quoted (so ``AND``, ``*``, ``(`` and ``"`` are plain text) and all must match;
    the last word also matches as a prefix, so results follow search-as-you-type. Words with no
    letters or digits are dropped: the tokenizer sees nothing in them and they would match nothing.
    """
    terms = ['"' + t.replace('"', '""') + '"' for t in text.split() if any(c.isalnum() for c in t)]
    if terms:
        terms[-1] += "*"
    return " AND ".join(terms)


def _oldest_ranked(conn: sqlite3.Connection, table: str, match: str, limit: int) -> int:
    """The rowid of the oldest message search ranks for ``match`` in the FTS5 ``table``: of the
    newest ``RANK_WINDOW`` (or ``limit``) matches; 0 where there are fewer."""
    oldest = conn.execute(
        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, max(RANK_WINDOW, limit) - 1),
    ).fetchone()
    return int(oldest[0]) if oldest else 0


def _first(
    rows: Iterable[tuple[int, str]],
    keep: Callable[[int, str], bool],
    needles: Needles | None,
    limit: int,
) -> list[tuple[int, str]]:
    """The first ``limit`` of ``rows`` (rowid, content) that ``keep`` keeps and that hold the
    ``needles`` (None: every row does); reads no further."""
    found: list[tuple[int, str]] = []
    for rowid, content in rows:
        if keep(rowid, content) and (needles is None or needles.matches(content)):
            found.append((int(rowid), str(content)))
            if len(found) == limit:
                break
    return found


def _topological(messages: Iterable[Message]) -> list[Message]:
    """Parents before children, otherwise in (created_at, id) order; raises on a missing parent.

    Kahn's algorithm with a heap: n log n whatever the tree's shape. Repeated passes over what is
    left were quadratic for a long thread whose times tie (an import from an app that keeps
    none, or keeps seconds only), ordered by random ids.
    """
    listed = list(messages)
    ids = {m.id for m in listed}
    children: dict[str, list[tuple[str, str, int, Message]]] = {}
    ready: list[tuple[str, str, int, Message]] = []
    for index, m in enumerate(listed):  # the index: a repeated id is never compared further
        entry = (m.created_at, m.id, index, m)
        if m.parent_id is None:
            heapq.heappush(ready, entry)
        elif m.parent_id in ids:
            children.setdefault(m.parent_id, []).append(entry)
        else:
            raise ValueError(f"message {m.id!r} has parent {m.parent_id!r} that is missing")
    out: list[Message] = []
    while ready:
        m = heapq.heappop(ready)[3]
        out.append(m)
        for entry in children.pop(m.id, []):
            heapq.heappush(ready, entry)
    if len(out) < len(listed):
        placed = {id(m) for m in out}
        rest = sorted(
            (m for m in listed if id(m) not in placed), key=lambda m: (m.created_at, m.id)
        )
        raise ValueError("messages " + ", ".join(repr(m.id) for m in rest) + " form a loop")
    return out


# --- the store ---------------------------------------------------------------------------------


# Small, so the write-ahead log's space is reused every few commits rather than growing to
# SQLite's default 1,000 pages (4 MB): a reply checkpointed twice a second, each checkpoint also
# rewriting its search index, then needs tens of KB of free disk instead of megabytes, and on a
# nearly full disk about 80 times more of it is saved before the disk is full.
WAL_AUTOCHECKPOINT_PAGES: Final = 16
BUSY_TIMEOUT_MS: Final = 5000


def _read_only_uri(path: Path, *, immutable: bool = False) -> str:
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def _refuse_foreign(conn: sqlite3.Connection) -> int:
    """The schema version, read without changing the file; raises for another program's file."""
    version = _schema_version(conn)
    if (
        version == 0
        and conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
    ):
        raise StoreError(
            f"{_db_path(conn)} is not a chatapp database (it holds other tables); "
            "it was left untouched"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {_db_path(conn)} was written by a newer chatapp "
            f"(schema {version}; this version knows {SCHEMA_VERSION})"
        )
    return version


def _why_unwritable(folder: Path) -> str:
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except OSError:
        pass
    return "permission denied"


class _IntegrityCheck:
    """``PRAGMA quick_check`` on a connection of its own, on a thread, started when a store opens.

    It reads the whole file (about 0.3 s for 100,000 messages, 0.7 s cold), so it runs beside
    whatever the front end does at start (loading a model, showing the window); the first write
    waits for its verdict. It takes no lock the store needs: WAL readers never block.
    """

    def __init__(self, uri: str) -> None:
        self._uri = uri
        self._conn: sqlite3.Connection | None = None
        self._guard = threading.Lock()
        self._cancelled = False
        self.problem: str | None = None
        self._thread = threading.Thread(target=self._run, name="store check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            log.warning("integrity check could not open the database: %s", exc)
            return
        with self._guard:
            if self._cancelled:
                conn.close()
                return
            self._conn = conn
        try:
            rows = conn.execute("PRAGMA quick_check(3)").fetchall()
            problems = [str(r[0]) for r in rows if r[0] != "ok"]
            if problems:
                self.problem = first_problem(problems)
        except sqlite3.DatabaseError as exc:
            code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
            if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                self.problem = str(exc)
            elif not self._cancelled:
                log.warning("integrity check did not finish: %s", exc)
        finally:
            with self._guard:
                self._conn = None
            conn.close()
        if self.problem:  # the store says so on the first write; front ends ask verify()
            log.info("integrity check of %s failed: %s", self._uri, self.problem)

    def result(self) -> str | None:
        """The problem found (None: ok, or the check could not run); waits for the check."""
        self._thread.join()
        return self.problem

    def cancel(self) -> None:
        with self._guard:
            self._cancelled = True
            if self._conn is not None:
                self._conn.interrupt()
        self._thread.join()


class Store:
    """All conversations of one user, in one SQLite file. Safe to share between threads.

    A store opened ``read_only`` reads and exports but refuses every write with a sentence that
    says why; that is how a data folder on a read-only medium, or someone else's read-only
    file, is read. A store whose file fails its integrity check (or that meets damage while
    working) refuses every write from then on (:class:`StoreDamaged`): writing into a damaged
    B-tree can spread the damage to what is still intact.
    """

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        read_only_reason: str = "",
        check: bool = True,
        max_pages: int | None = None,
    ) -> None:
        """Open the database at ``path``, creating it and upgrading its schema as needed.

        Args:
            read_only: open without writing anything, not even the schema upgrade or the
                journal mode. A file that does not exist yet reads as an empty store.
            read_only_reason: what a refused write says, e.g. "the folder is read-only".
            check: run the integrity check (``quick_check``) on a thread; writes wait for it.
            max_pages: a write limit of the store's own (SQLite's max_page_count): past it,
                writes fail exactly as on a full disk. For tests that cannot mount a small disk.

        Raises:
            StoreError: the file cannot be opened or written, is not a chatapp database, or
                comes from a newer chatapp.
        """
        self._path = Path(path)
        self._lock = threading.Lock()
        self._last_time = datetime.min.replace(tzinfo=UTC)
        self._read_only = read_only
        self._read_only_reason = read_only_reason or "it was opened read-only"
        self._damage: str | None = None
        self._check: _IntegrityCheck | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        existed = self._path.is_file() and self._path.stat().st_size > 0
        if not (read_only or self._path.parent.is_dir()):
            raise StoreError(f"cannot open {self._path}: the folder {self._path.parent} is missing")
        if read_only:
            conn, uri = self._connect_read_only(existed)
        else:
            conn, uri = self._connect_read_write(), _read_only_uri(self._path)
        if max_pages is not None:
            conn.execute(f"PRAGMA max_page_count = {max_pages:d}")
        self._conn: sqlite3.Connection | None = conn
        if check and existed and not read_only:  # only writes need the verdict
            self._check = _IntegrityCheck(uri)
        log.debug("opened %s%s", self._path, " read-only" if read_only else "")

    def _connect_read_write(self) -> sqlite3.Connection:
        with _environment_errors(self._path):
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        try:
            with _environment_errors(self._path):
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
                _refuse_foreign(conn)  # before WAL mode, which would change another's file
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal" and str(self._path) != ":memory:":
                    log.warning("%s: journal mode is %s, not WAL", self._path, mode)
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES:d}")
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_read_only(self, existed: bool) -> tuple[sqlite3.Connection, str]:
        """A connection that cannot write, and the URI it used ("" for an empty store)."""
        if not existed:  # nothing saved yet: an empty store in memory, so reading finds nothing
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            conn.row_factory = sqlite3.Row
            migrate(conn)
            return conn, ""
        # A WAL database needs its -shm file; where the folder is read-only and no -shm was
        # left behind, SQLite can only read the file as immutable, which ignores the -wal. A
        # -wal left by a crash holds the newest messages: then a copy of both, in a temporary
        # folder, is what gets read.
        last: StoreCannotOpen | None = None
        wal = self._path.with_name(self._path.name + "-wal")
        for immutable in (False, True):
            source = self._path
            if immutable and wal.is_file() and wal.stat().st_size:
                source = self._copy_with_wal(wal)
                immutable = False
            uri = _read_only_uri(source, immutable=immutable)
            try:
                with _environment_errors(self._path):
                    conn = sqlite3.connect(
                        uri, uri=True, check_same_thread=False, isolation_level=None
                    )
            except StoreCannotOpen as exc:
                last = exc
                continue
            try:
                with _environment_errors(self._path):
                    conn.row_factory = sqlite3.Row
                    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
                    version = _refuse_foreign(conn)
            except StoreCannotOpen as exc:  # no -shm can be made: try again as immutable
                conn.close()
                last = exc
                continue
            except BaseException:
                conn.close()
                raise
            if version < SCHEMA_VERSION:
                conn.close()
                raise StoreOutdated(
                    f"the database {self._path} was written by an older chatapp (schema "
                    f"{version}); open it once where it can be written, to upgrade it"
                )
            return conn, uri
        assert last is not None
        raise last

    def _copy_with_wal(self, wal: Path) -> Path:
        """The database and its -wal, copied to a temporary folder (removed on close)."""
        self._scratch = tempfile.TemporaryDirectory(prefix="chatapp-read-")
        copy = Path(self._scratch.name) / self._path.name
        try:
            shutil.copyfile(self._path, copy)
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        except OSError as exc:
            raise StoreError(f"cannot read {self._path}: {exc.strerror or exc}") from exc
        log.info("%s: reading a copy with its -wal, as the folder is read-only", self._path)
        return copy

    @classmethod
    def open_dir(
        cls, data_dir: Path, *, read_only: bool = False, reason: str | None = None
    ) -> Store:
        """Open (or create) ``data_dir / DB_FILENAME``, creating the folder if needed.

        ``read_only``: only read; nothing is created, and a missing folder is an empty store.
        ``reason``: what refused writes say (default: it was opened read-only).

        Raises:
            StoreError: the folder cannot be created or written, or the database cannot be used.
        """
        data_dir = Path(data_dir)
        try:
            if data_dir.exists() and not data_dir.is_dir():
                raise StoreError(f"the data directory {data_dir} is a file, not a directory")
            (data_dir / DB_FILENAME).is_file()  # a folder above that cannot be entered raises
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise StoreError(f"cannot open the data directory {data_dir}: {reason}") from exc
        if read_only:
            return cls(data_dir / DB_FILENAME, read_only=True, read_only_reason=reason or "")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise StoreError(f"cannot create the data directory {data_dir}: {reason}") from exc
        # SQLite needs to create its -wal and -shm files next to the database.
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise StoreError(
                f"cannot write the data directory {data_dir}: {_why_unwritable(data_dir)}"
            )
        return cls(data_dir / DB_FILENAME)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def read_only_reason(self) -> str:
        """Why writes are refused, for a store opened read-only."""
        return self._read_only_reason

    def verify(self) -> str | None:
        """What is wrong with the file, for the user (None: nothing known); waits for the check
        started at open. A store that reports damage refuses every write."""
        with self._lock:
            damage = self._known_damage()
        return None if damage is None else damaged_message(self._path, damage)

    def _known_damage(self) -> str | None:
        if self._damage is None and self._check is not None:
            self._damage = self._check.result()
        return self._damage

    def close(self) -> None:
        """Close the database; further calls fail. Closing twice is harmless."""
        if self._check is not None:
            self._check.cancel()
        with self._lock:
            if self._conn is None:
                return
            if not self._read_only:
                try:
                    self._conn.execute("PRAGMA optimize")  # cheap; keeps query plans good
                except sqlite3.Error as exc:
                    log.debug("PRAGMA optimize failed on close: %s", exc)
            self._conn.close()
            self._conn = None
            if self._scratch is not None:
                self._scratch.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with _environment_errors(self._path):
                    if self._conn is None:
                        raise StoreError(f"the database {self._path} is closed")
                    yield self._conn
            except StoreDamaged as exc:  # met while working: refuse writes from now on
                if self._damage is None:
                    self._damage = str(exc.__cause__ or exc)
                raise

    @contextmanager
    def _writing(self, busy_ms: int | None = None) -> Iterator[sqlite3.Connection]:
        """One transaction, committed before the caller returns (or rolled back on error).

        ``busy_ms``: how long to wait for another program's write lock (default 5 s) before
        :class:`StoreBusy`.
        """
        with self._reading() as conn:
            if self._read_only:
                raise StoreError(f"cannot write {self._path}: {self._read_only_reason}")
            damage = self._known_damage()
            if damage is not None:
                raise StoreDamaged(damaged_message(self._path, damage))
            if busy_ms is not None:
                conn.execute(f"PRAGMA busy_timeout = {busy_ms:d}")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
            finally:
                if busy_ms is not None:
                    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")

    def _tick(self) -> str:
        """Now, but always later than the previous timestamp this store gave out (call locked).

        Several writes fit in one millisecond; without this, a reply could share its question's
        created_at and the conversation list could not tell which chat was active last.
        """
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last_time:
            now = self._last_time + timedelta(milliseconds=1)
        self._last_time = now
        return format_timestamp(now)

    @staticmethod
    def _resolve(conn: sqlite3.Connection, table: str, noun: str, id_or_prefix: str) -> str:
        """The full id for an id or a unique prefix of one (as git does for commits)."""
        key = id_or_prefix.strip()
        # Exact ids first, as given (imported files may use any case), then as typed in lower case.
        for candidate in dict.fromkeys((key, key.lower())):
            exists = f"SELECT 1 FROM {table} WHERE id = ?"
            if candidate and conn.execute(exists, (candidate,)).fetchone():
                return candidate
        key = key.lower()
        # A range on the primary key rather than LIKE, so the index is used.
        rows = (
            conn.execute(
                f"SELECT id FROM {table} WHERE id >= ? AND id < ? LIMIT 2",
                (key, key + "\U0010ffff"),
            ).fetchall()
            if key
            else []
        )
        if not rows:
            raise NotFound(f"no {noun} with id {id_or_prefix!r}")
        if len(rows) > 1:
            raise NotFound(
                f"the id prefix {id_or_prefix!r} matches more than one {noun}; type more of it"
            )
        return str(rows[0][0])

    def _conv(self, conn: sqlite3.Connection, conversation_id: str) -> Conversation:
        full = self._resolve(conn, "conversations", "conversation", conversation_id)
        row = conn.execute(
            f"SELECT {_CONV_COLUMNS} FROM conversations WHERE id = ?", (full,)
        ).fetchone()
        return _conversation(row)

    def _msg(self, conn: sqlite3.Connection, message_id: str) -> Message:
        full = self._resolve(conn, "messages", "message", message_id)
        row = conn.execute(f"SELECT {_MSG_COLUMNS} FROM messages m WHERE id = ?", (full,))
        return _message(row.fetchone())

    def _msg_in(self, conn: sqlite3.Connection, conv: Conversation, message_id: str) -> Message:
        msg = self._msg(conn, message_id)
        if msg.conversation_id != conv.id:
            raise NotFound(f"message {message_id!r} is not in conversation {conv.title!r}")
        return msg

    def _append(
        self,
        conn: sqlite3.Connection,
        conversation_id: str,
        role: str,
        content: str,
        parent_id: str | _Unset | None,
        model: str | None,
        backend: str | None = None,
        sources: Sources | None = None,
        summary: Summary | None = None,
    ) -> Message:
        """Insert a message, make it the current leaf, bump updated_at, maybe set the title."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        conv = self._conv(conn, conversation_id)
        if parent_id is _UNSET:
            parent_id = conv.current_leaf_id
        elif parent_id is not None:
            parent_id = self._msg_in(conn, conv, parent_id).id
        now = self._tick()
        msg = Message(
            new_id(),
            conv.id,
            parent_id,
            role,
            content,
            now,
            model,
            backend=backend,
            sources=sources,
            summary=summary,
        )
        conn.execute(
            "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at,"
            " model, backend, sources_json, summary_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                msg.id,
                msg.conversation_id,
                msg.parent_id,
                role,
                content,
                now,
                model,
                backend,
                sources.to_json() if sources is not None else None,
                summary.to_json() if summary is not None else None,
            ),
        )
        title = conv.title
        if not title and role == "user":
            title = title_from_text(content)
        conn.execute(
            "UPDATE conversations SET current_leaf_id = ?, updated_at = ?, title = ? WHERE id = ?",
            (msg.id, now, title, conv.id),
        )
        return msg

    # -- conversations --------------------------------------------------------------------------

    def create_conversation(
        self,
        title: str = "",
        model: str | None = None,
        system_prompt: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Conversation:
        """Create an empty conversation. An empty title is filled from the first user message."""
        with self._writing() as conn:
            return self._insert_conversation(conn, title, model, system_prompt, settings)

    def start_conversation(
        self,
        first_message: str,
        *,
        model: str | None = None,
        system_prompt: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> tuple[Conversation, Message]:
        """A new conversation with its first user message, in one transaction: a crash (or a
        refused message) never leaves an empty conversation behind."""
        with self._writing() as conn:
            conv = self._insert_conversation(conn, "", model, system_prompt, settings)
            msg = self._append(conn, conv.id, "user", first_message, _UNSET, None)
            return self._conv(conn, conv.id), msg

    def _insert_conversation(
        self,
        conn: sqlite3.Connection,
        title: str,
        model: str | None,
        system_prompt: str | None,
        settings: dict[str, Any] | None,
    ) -> Conversation:
        now = self._tick()
        conv = Conversation(new_id(), title.strip(), now, now, model, system_prompt, settings or {})
        conn.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at, model,"
            " system_prompt, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (conv.id, conv.title, now, now, model, system_prompt, json.dumps(conv.settings)),
        )
        return conv

    def get_conversation(self, conversation_id: str) -> Conversation:
        """The conversation with this id or unique id prefix.

        Raises:
            NotFound: no conversation matches, or the prefix matches several.
        """
        with self._reading() as conn:
            return self._conv(conn, conversation_id)

    def list_conversations(self) -> list[Conversation]:
        """All conversations: pinned first, then the most recently active first."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_CONV_COLUMNS} FROM conversations"
                " ORDER BY pinned DESC, updated_at DESC, rowid DESC"
            ).fetchall()
        return [_conversation(r) for r in rows]

    def rename_conversation(self, conversation_id: str, title: str) -> Conversation:
        """Set the title. Does not count as activity: the list order stays."""
        return self.update_conversation(conversation_id, title=title)

    def set_pinned(self, conversation_id: str, pinned: bool) -> Conversation:
        """Pin or unpin; pinned conversations stay at the top of the list."""
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            conn.execute("UPDATE conversations SET pinned = ? WHERE id = ?", (int(pinned), conv.id))
            return self._conv(conn, conv.id)

    def set_collections(self, conversation_id: str, names: Sequence[str]) -> Conversation:
        """The document collections the conversation answers from (empty: none). Does not
        count as activity: the list order stays."""
        value = json.dumps(list(dict.fromkeys(names)), ensure_ascii=False) if names else None
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET collections_json = ? WHERE id = ?", (value, conv.id)
            )
            return self._conv(conn, conv.id)

    # -- folders --------------------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        """Every folder, by name."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, name, parent_id FROM folders ORDER BY name COLLATE NOCASE, id"
            ).fetchall()
        return [Folder(r["id"], r["name"], r["parent_id"]) for r in rows]

    def create_folder(self, name: str, parent_id: str | None = None) -> Folder:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a folder needs a name")
        folder = Folder(new_id(), name, parent_id)
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO folders (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)",
                (folder.id, folder.name, parent_id, self._tick()),
            )
        return folder

    def _folder_at(self, conn: sqlite3.Connection, names: Sequence[str]) -> str:
        """The id of the folder at ``names`` (from the top level down), made where missing."""
        parent: str | None = None
        for raw in names:
            name = " ".join(raw.split())
            row = conn.execute(  # the same name first, else the same but for case
                "SELECT id FROM folders WHERE name = ? COLLATE NOCASE AND parent_id IS ?"
                " ORDER BY name = ? DESC, created_at, id",
                (name, parent, name),
            ).fetchone()
            if row is None:
                folder_id = new_id()
                conn.execute(
                    "INSERT INTO folders (id, name, parent_id, created_at) VALUES (?, ?, ?, ?)",
                    (folder_id, name, parent, self._tick()),
                )
                parent = folder_id
            else:
                parent = row["id"]
        assert parent is not None, "a folder path has at least one name"
        return parent

    def rename_folder(self, folder_id: str, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a folder needs a name")
        with self._writing() as conn:
            conn.execute("UPDATE folders SET name = ? WHERE id = ?", (name, folder_id))

    def delete_folder(self, folder_id: str) -> None:
        """Delete a folder and its subfolders; their conversations go to the top level."""
        with self._writing() as conn:
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))

    def move_folder(self, folder_id: str, parent_id: str | None) -> None:
        """Put a folder inside another (None: the top level); never inside itself."""
        with self._writing() as conn:
            up, seen = parent_id, set()
            while up is not None and up not in seen:  # (a loop edited into the file ends)
                if up == folder_id:
                    raise ValueError("a folder cannot go inside itself")
                seen.add(up)
                row = conn.execute("SELECT parent_id FROM folders WHERE id = ?", (up,)).fetchone()
                up = row["parent_id"] if row else None
            conn.execute("UPDATE folders SET parent_id = ? WHERE id = ?", (parent_id, folder_id))

    def move_conversations(self, conversation_ids: Sequence[str], folder_id: str | None) -> None:
        """Put conversations in a folder (None: the top level). Not activity: the order stays."""
        with self._writing() as conn:
            for cid in conversation_ids:
                conv = self._conv(conn, cid)
                conn.execute(
                    "UPDATE conversations SET folder_id = ? WHERE id = ?", (folder_id, conv.id)
                )

    def set_examples(
        self, conversation_id: str, examples: Sequence[tuple[str, str]]
    ) -> Conversation:
        """The few-shot examples the model reads before the conversation (empty: none)."""
        value = json.dumps([list(p) for p in examples], ensure_ascii=False) if examples else None
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET examples_json = ? WHERE id = ?", (value, conv.id)
            )
            return self._conv(conn, conv.id)

    def update_conversation(
        self,
        conversation_id: str,
        *,
        title: str | _Unset = _UNSET,
        model: str | _Unset | None = _UNSET,
        system_prompt: str | _Unset | None = _UNSET,
        settings: dict[str, Any] | _Unset | None = _UNSET,
    ) -> Conversation:
        """Change the given fields; ``None`` clears model/system prompt, and resets settings."""
        changes: dict[str, Any] = {}
        if title is not _UNSET:
            changes["title"] = title.strip()
        if model is not _UNSET:
            changes["model"] = model
        if system_prompt is not _UNSET:
            changes["system_prompt"] = system_prompt
        if settings is not _UNSET:
            changes["settings_json"] = json.dumps(settings or {})
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                conn.execute(
                    f"UPDATE conversations SET {assignments} WHERE id = ?",
                    (*changes.values(), conv.id),
                )
            return self._conv(conn, conv.id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation with all its messages (they leave the search index too)."""
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            conn.execute("DELETE FROM conversations WHERE id = ?", (conv.id,))

    # -- messages -------------------------------------------------------------------------------

    def delete_message(self, message_id: str) -> tuple[Conversation, list[Message]]:
        """Delete a message and every reply and version below it; the conversation then shows
        its parent's branch. Returns the conversation and what was deleted (whole, oldest
        first), for ``restore_messages`` to bring back."""
        with self._writing() as conn:
            msg = self._msg(conn, message_id)
            conv = self._conv(conn, msg.conversation_id)
            everything = _messages_where(conn, "conversation_id", conv.id)
            below: dict[str | None, list[Message]] = {}
            for m in everything:
                below.setdefault(m.parent_id, []).append(m)
            gone, todo = [], [msg]
            while todo:  # the subtree, without recursion
                m = todo.pop()
                gone.append(m)
                todo.extend(below.get(m.id, []))
            ids = {m.id for m in gone}
            leaf = conv.current_leaf_id
            if leaf in ids:  # on screen: go up to the parent, then down its newest branch
                leaf = msg.parent_id
                while True:
                    kids = [k for k in below.get(leaf, []) if k.id not in ids]
                    if not kids:
                        break
                    leaf = kids[-1].id
                conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf, conv.id)
                )
            conn.execute("DELETE FROM messages WHERE id = ?", (msg.id,))  # cascades down
            return self._conv(conn, conv.id), _topological(gone)

    def restore_messages(
        self, conversation_id: str, messages: Sequence[Message], leaf: str | None
    ) -> Conversation:
        """Put back what ``delete_message`` returned (same ids, texts, metrics), in one
        transaction, and show ``leaf``."""
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            for m in _topological(messages):
                _insert_message(conn, conv.id, m)
            if leaf is not None:
                conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (leaf, conv.id)
                )
            return self._conv(conn, conv.id)

    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        parent_id: str | _Unset | None = _UNSET,
        model: str | None = None,
    ) -> Message:
        """Append a message under ``parent_id`` (default: the current leaf) and commit it.

        The new message becomes the current leaf. A sibling of an existing message (an edit)
        is made by passing that message's parent. ``parent_id=None`` starts a new root.
        """
        with self._writing() as conn:
            return self._append(conn, conversation_id, role, content, parent_id, model)

    def begin_reply(
        self,
        conversation_id: str,
        *,
        parent_id: str | _Unset | None = _UNSET,
        model: str | None = None,
        backend: str | None = None,
        sources: Sources | None = None,
        summary: Summary | None = None,
    ) -> Message:
        """Start an empty assistant reply (the new current leaf) before the first token arrives.

        Saving it up front means a crash mid-reply leaves the partial text, marked interrupted.
        ``backend``: the remote server answering (``None``: this computer). ``sources``: what
        it was given from the user's documents; ``summary``: the summary of older turns it
        was given in their place.
        """
        with self._writing() as conn:
            return self._append(
                conn, conversation_id, "assistant", "", parent_id, model, backend, sources, summary
            )

    def checkpoint_reply(
        self,
        message_id: str,
        content: str,
        *,
        thinking: str | None = None,
        busy_ms: int | None = None,
    ) -> None:
        """Save the text streamed so far: one UPDATE and a commit, cheap enough to call twice a
        second. A checkpoint arriving after finish_reply is ignored, so a late timer can never
        overwrite the finished text.

        ``busy_ms``: how long to wait for another program's lock before :class:`StoreBusy`; a
        streaming reply passes a short wait and tries again at its next checkpoint.
        ``thinking``: a reasoning model's thinking so far (``None``: none).
        """
        with self._writing(busy_ms) as conn:
            cur = conn.execute(
                "UPDATE messages SET content = ?, thinking = ? WHERE id = ? AND role = 'assistant'"
                " AND stop_reason IS NULL",
                (content, thinking, message_id),
            )
            if cur.rowcount:
                return
            msg = self._msg(conn, message_id)  # the slow path: explain why nothing changed
            if msg.role != "assistant":
                raise ValueError(f"message {message_id!r} is a {msg.role} message, not a reply")
            if msg.metrics is not None:
                log.debug("ignoring a checkpoint for finished reply %s", msg.id)
                return
            conn.execute(
                "UPDATE messages SET content = ?, thinking = ? WHERE id = ?",
                (content, thinking, msg.id),
            )

    def finish_reply(
        self,
        message_id: str,
        content: str,
        metrics: ReplyMetrics,
        *,
        thinking: str | None = None,
        busy_ms: int | None = None,
    ) -> Message:
        """Save the final text (and thinking) and metrics; the reply is no longer interrupted."""
        with self._writing(busy_ms) as conn:
            msg = self._msg(conn, message_id)
            if msg.role != "assistant":
                raise ValueError(f"message {message_id!r} is a {msg.role} message, not a reply")
            conn.execute(
                "UPDATE messages SET content = ?, prompt_tokens = ?, prompt_eval_tokens = ?,"
                " completion_tokens = ?, ttft_ms = ?, decode_tps = ?, stop_reason = ?,"
                " dropped_turns = ?, restored_tokens = ?, thinking = ? WHERE id = ?",
                (content, *_metric_values(metrics), thinking, msg.id),
            )
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (self._tick(), msg.conversation_id),
            )
            return self._msg(conn, msg.id)

    def get_message(self, message_id: str) -> Message:
        """The message with this id or unique id prefix; raises NotFound."""
        with self._reading() as conn:
            return self._msg(conn, message_id)

    def thread(
        self, conversation_id: str, leaf_id: str | None = None, *, preview: int | None = None
    ) -> list[Message]:
        """The path root → ``leaf_id`` (default: the current leaf): what the user sees.

        Args:
            preview: a size in bytes: a text longer than this comes back cut to about its first
                ``preview`` bytes (whole characters), with ``Message.full_size`` set. The rest
                is never read into Python, so a thread holding a 200 MB message costs little to
                show. (SQLite itself still loads a long value once, and frees it at once, to
                learn its size: ``octet_length``, which would not, came with SQLite 3.43.)
        """
        columns = _MSG_COLUMNS
        if preview is not None:
            columns = columns.replace(
                "m.content,",
                "CASE WHEN length(CAST(m.content AS BLOB)) > :preview THEN NULL"
                " ELSE m.content END AS content, m.rowid AS row_number,",
            )
        with self._reading() as conn:
            conv = self._conv(conn, conversation_id)
            leaf = conv.current_leaf_id if leaf_id is None else self._msg_in(conn, conv, leaf_id).id
            if leaf is None:
                return []
            rows = conn.execute(
                f"""WITH RECURSIVE path(id, depth) AS (
                    SELECT :leaf, 0
                    UNION ALL
                    SELECT p.parent_id, path.depth + 1 FROM path JOIN messages p ON p.id = path.id
                    WHERE p.parent_id IS NOT NULL
                )
                SELECT {columns} FROM path JOIN messages m ON m.id = path.id
                ORDER BY path.depth DESC""",
                {"leaf": leaf, "preview": preview},
            ).fetchall()
            if preview is None:
                return [_message(r) for r in rows]
            return [_preview(conn, r, preview) for r in rows]

    def write_content(self, message_id: str, out: BinaryIO, chunk: int = 1 << 20) -> int:
        """Write a message's whole text to ``out`` as stored (UTF-8), a chunk at a time: a
        200 MB text never sits in memory whole. Returns the number of bytes written."""
        with self._reading() as conn:
            full = self._resolve(conn, "messages", "message", message_id)
            (rowid,) = conn.execute("SELECT rowid FROM messages WHERE id = ?", (full,)).fetchone()
            with conn.blobopen("messages", "content", rowid, readonly=True) as blob:
                while data := blob.read(chunk):
                    out.write(data)
                return len(blob)

    def messages(self, conversation_id: str) -> list[Message]:
        """Every message of the conversation's tree, oldest first."""
        with self._reading() as conn:
            return _messages_where(conn, "conversation_id", self._conv(conn, conversation_id).id)

    def versions(self, conversation_id: str, message_ids: Sequence[str]) -> dict[str, list[str]]:
        """For each of ``message_ids``: its id and its siblings' (other versions), oldest first.

        One query over ids and parents only: no message text is read.
        """
        wanted = set(message_ids)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, parent_id FROM messages WHERE conversation_id = ?"
                " ORDER BY created_at, rowid",
                (self._conv(conn, conversation_id).id,),
            ).fetchall()
        by_parent: dict[str | None, list[str]] = {}
        parent_of: dict[str, str | None] = {}
        for msg_id, parent_id in rows:
            by_parent.setdefault(parent_id, []).append(msg_id)
            if msg_id in wanted:
                parent_of[msg_id] = parent_id
        return {m: by_parent[p] for m, p in parent_of.items()}

    def children(self, message_id: str) -> list[Message]:
        """The direct replies/alternatives under a message, oldest first (the branch choices)."""
        with self._reading() as conn:
            return _messages_where(conn, "parent_id", self._msg(conn, message_id).id)

    def set_current_leaf(self, conversation_id: str, message_id: str) -> Conversation:
        """Switch the visible thread to end at ``message_id`` (switching branches)."""
        with self._writing() as conn:
            conv = self._conv(conn, conversation_id)
            msg = self._msg_in(conn, conv, message_id)
            conn.execute(
                "UPDATE conversations SET current_leaf_id = ? WHERE id = ?", (msg.id, conv.id)
            )
            return self._conv(conn, conv.id)

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages containing every word of ``query`` (the last one as a prefix), best first.

        Any text is accepted: quotes, ``AND``, ``*`` and brackets are searched as plain words.
        Ranking (BM25) costs a few microseconds per matching message, which for a common word
        in a large history is most of them; so only the newest ``RANK_WINDOW`` matches are
        ranked. A query that matches fewer, as any specific one does, is ranked over all of
        them; and snippets are made only for the hits returned.

        A query with Chinese (Japanese, Korean) text in it is looked up in the trigram index
        instead (see ``_v11_chinese_search``): its CJK runs as substrings ("模型" in
        "大型语言模型"), its other words as whole words, where CJK text beside a word counts as
        a boundary ("Transformer" in "基于Transformer的模型"). A query without is the word
        search it always was, and where that finds fewer than ``limit`` messages, the messages
        that have its words glued to CJK text follow, newest first.
        """
        if limit <= 0:
            return []
        needles = Needles.of(query)
        with self._reading() as conn:
            if needles.runs:
                return self._hits(conn, self._by_trigrams(conn, needles, limit), needles)
            match = _fts_query(query)
            if not match:
                return []
            ranked = self._by_words(conn, match, limit)
            hits = self._unglue(conn, ranked, needles)
            if len(hits) < limit:
                seen = {rowid for rowid, _ in ranked}
                hits += self._hits(
                    conn, self._glued(conn, needles, limit - len(hits), seen), needles
                )
        return hits

    @staticmethod
    def _by_words(conn: sqlite3.Connection, match: str, limit: int) -> list[tuple[int, SearchHit]]:
        """The unicode61 index's best hits for ``match``, with their rowids."""
        oldest = _oldest_ranked(conn, "messages_fts", match, limit)
        rows = conn.execute(
            "WITH best AS MATERIALIZED ("
            "  SELECT rowid AS hit, rank, snippet(messages_fts, 0, ?, ?, ?, 12) AS snippet"
            "  FROM messages_fts WHERE messages_fts MATCH ? AND rowid >= ?"
            "  ORDER BY rank LIMIT ?)"
            " SELECT best.hit, m.conversation_id, c.title, m.id, m.role, best.snippet FROM best"
            " JOIN messages m ON m.rowid = best.hit"
            " JOIN conversations c ON c.id = m.conversation_id"
            " ORDER BY best.rank",
            (
                HIGHLIGHT_START,
                HIGHLIGHT_END,
                SNIPPET_ELLIPSIS,
                match,
                oldest,
                limit,
            ),
        ).fetchall()
        return [(int(row[0]), SearchHit(*row[1:])) for row in rows]

    @staticmethod
    def _unglue(
        conn: sqlite3.Connection, ranked: list[tuple[int, SearchHit]], needles: Needles
    ) -> list[SearchHit]:
        """The hits, where a word search marked a whole run of CJK text the query's last word
        starts ("Transformer" in "Transformer的模型", one unicode61 token), with a snippet made
        from the text that marks the word alone."""
        glued = [rowid for rowid, hit in ranked if _GLUED_MARK.search(hit.snippet)]
        if not glued:
            return [hit for _, hit in ranked]
        marks = ",".join("?" * len(glued))
        sql = f"SELECT m.rowid, {_TEXT} FROM messages m WHERE m.rowid IN ({marks})"
        texts = dict(conn.execute(sql, glued))
        return [
            replace(hit, snippet=needles.snippet(texts[rowid], _MARKS, SNIPPET_ELLIPSIS))
            if rowid in texts and rowid in glued
            else hit
            for rowid, hit in ranked
        ]

    @staticmethod
    def _glued(
        conn: sqlite3.Connection, needles: Needles, limit: int, seen: set[int]
    ) -> list[tuple[int, str]]:
        """(rowid, content) of the newest messages, not in ``seen``, that have every word of a
        query without CJK text, one or more of them glued to CJK text (no unicode61 token of
        their own); found by the words of three or more characters, among the newest
        ``RANK_WINDOW`` messages holding them."""
        words = [w for w in (*needles.words, needles.prefix) if w is not None and len(w) >= 3]
        if not words:
            return []
        rows = conn.execute(
            f"SELECT m.rowid, {_TEXT} FROM messages m WHERE m.rowid IN ("
            "  SELECT rowid FROM messages_tri WHERE messages_tri MATCH ?"
            "  ORDER BY rowid DESC LIMIT ?)"
            " ORDER BY m.rowid DESC",
            (" AND ".join(quote(w) for w in words), RANK_WINDOW),
        )
        return _first(
            rows,
            lambda rowid, text: rowid not in seen and bool(CJK_RUN.search(text)),
            needles,
            limit,
        )

    @staticmethod
    def _by_trigrams(
        conn: sqlite3.Connection, needles: Needles, limit: int
    ) -> list[tuple[int, str]]:
        """(rowid, content) of the best messages for a query with CJK text, from the trigram
        index: a run of three or more characters is a phrase of its trigrams; one or two
        characters stand for the trigrams starting with them (every occurrence starts one, see
        ``_v11_chinese_search``), OR-ed, and BM25 ranks the newest ``RANK_WINDOW`` matches.
        Characters that more than ``PAIR_TRIGRAMS`` trigrams start with are common, and that
        many OR-ed cost tens of milliseconds: then the newest messages holding them (and
        matching the rest of the query) come first, found by a scan that stops soon."""
        terms: list[str] = []
        common = False
        for run in needles.runs:
            if len(run) >= 3:
                terms.append(quote(run))
                continue
            after = trigrams_after(conn, "messages_tri_vocab", run, PAIR_TRIGRAMS + 1)
            if not after:
                return []  # in no message
            if len(after) <= PAIR_TRIGRAMS:
                terms.append(f"({any_of(list(after))})")
            else:
                common = True
        # a word's trigrams match it inside longer words too: the text decides
        terms += [quote(w) for w in (*needles.words, needles.prefix) if w and len(w) >= 3]
        exact = not common and not needles.words and needles.prefix is None
        # what a scan asks of each message in SQL, before Python reads it: every run, and every
        # ASCII word (LIKE ignores case for ASCII only) somewhere
        ascii_words = [w for w in (*needles.words, needles.prefix) if w and w.isascii()]
        holds = " AND ".join(
            ["instr(m.content, ?) > 0"] * len(needles.runs)
            + ["m.content LIKE ? ESCAPE '\\'"] * len(ascii_words)
        )
        likes = ["%" + re.sub(r"([%_\\])", r"\\\1", w) + "%" for w in ascii_words]
        if not terms:
            rows = conn.execute(
                f"SELECT m.rowid, {_TEXT} FROM messages m WHERE {holds} ORDER BY m.rowid DESC",
                (*needles.runs, *likes),
            )
        elif common:
            rows = conn.execute(
                f"SELECT m.rowid, {_TEXT} FROM messages_tri t JOIN messages m ON m.rowid = t.rowid"
                f" WHERE messages_tri MATCH ? AND {holds} ORDER BY t.rowid DESC",
                (" AND ".join(terms), *needles.runs, *likes),
            )
        else:
            match = " AND ".join(terms)
            oldest = _oldest_ranked(conn, "messages_tri", match, limit)
            rows = conn.execute(
                f"SELECT m.rowid, {_TEXT} FROM ("
                "  SELECT rowid AS hit, rank FROM messages_tri"
                "  WHERE messages_tri MATCH ? AND rowid >= ? ORDER BY rank LIMIT ?) AS best"
                " JOIN messages m ON m.rowid = best.hit ORDER BY best.rank",
                (match, oldest, limit if exact else -1),
            )
        return _first(rows, lambda _rowid, _text: True, None if exact else needles, limit)

    @staticmethod
    def _hits(
        conn: sqlite3.Connection, found: list[tuple[int, str]], needles: Needles
    ) -> list[SearchHit]:
        """``found`` (rowid, content), in order, as hits with snippets made from the text."""
        if not found:
            return []
        marks = ",".join("?" * len(found))
        rows: dict[int, tuple[str, str, str, str]] = {
            int(r[0]): (str(r[1]), str(r[2]), str(r[3]), str(r[4]))
            for r in conn.execute(
                "SELECT m.rowid, m.conversation_id, c.title, m.id, m.role FROM messages m"
                f" JOIN conversations c ON c.id = m.conversation_id WHERE m.rowid IN ({marks})",
                [rowid for rowid, _ in found],
            )
        }
        return [
            SearchHit(*rows[rowid], snippet=needles.snippet(content, _MARKS, SNIPPET_ELLIPSIS))
            for rowid, content in found
            if rowid in rows
        ]

    # -- import ---------------------------------------------------------------------------------

    def import_conversation(self, conv: Conversation, messages: Sequence[Message]) -> None:
        """Insert one conversation exactly as given (ids, timestamps); see import_conversations."""
        self.import_conversations([(conv, messages)])

    def import_conversations(
        self,
        items: Sequence[tuple[Conversation, Sequence[Message]]],
        *,
        folders: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Insert conversations exactly as given, all in one transaction: all or nothing.

        ``folders``: the folder to put a conversation in (by its id), as names from the top
        level down; a folder of that name in that place is used, a missing one is made.

        An id that already exists refuses the whole import rather than skipping or overwriting:
        importing the same file twice should say so, not silently duplicate or merge.

        Raises:
            StoreError: a conversation or message id is already in the store.
            ValueError: the messages do not form a tree within their conversation.
        """
        with self._writing() as conn:
            for conv, messages in items:
                label = f"conversation {conv.title or 'untitled'!r} ({conv.id[:8]})"
                if conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conv.id,)).fetchone():
                    raise StoreError(f"{label} is already here; nothing was imported")
                ordered = _topological(messages)
                ids = {m.id for m in ordered}
                if conv.current_leaf_id is not None and conv.current_leaf_id not in ids:
                    raise ValueError(f"{label}: current leaf {conv.current_leaf_id!r} is missing")
                conn.execute(
                    "INSERT INTO conversations (id, title, created_at, updated_at, model,"
                    " system_prompt, settings_json, pinned, collections_json, examples_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        conv.id,
                        conv.title,
                        conv.created_at,
                        conv.updated_at,
                        conv.model,
                        conv.system_prompt,
                        json.dumps(conv.settings),
                        int(conv.pinned),
                        json.dumps(list(conv.collections), ensure_ascii=False)
                        if conv.collections
                        else None,
                        json.dumps([list(p) for p in conv.examples], ensure_ascii=False)
                        if conv.examples
                        else None,
                    ),
                )
                for m in ordered:
                    if conn.execute("SELECT 1 FROM messages WHERE id = ?", (m.id,)).fetchone():
                        raise StoreError(
                            f"{label}: message {m.id[:8]} is already here; nothing was imported"
                        )
                    _insert_message(conn, conv.id, m)
                # Set last: the leaf must exist before the foreign key can point at it.
                conn.execute(
                    "UPDATE conversations SET current_leaf_id = ? WHERE id = ?",
                    (conv.current_leaf_id, conv.id),
                )
                if folders and folders.get(conv.id):
                    conn.execute(
                        "UPDATE conversations SET folder_id = ? WHERE id = ?",
                        (self._folder_at(conn, folders[conv.id]), conv.id),
                    )
