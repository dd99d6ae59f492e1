"""What can still be read from a damaged database: for an export, or a repaired copy.

SQLite keeps each table as a B-tree of pages. A damaged page makes every statement that walks
through it fail, so one plain ``SELECT *`` loses everything after the damage. Here each table
is read in rowid order and, where a read fails, the scan steps over the damaged rowids one by
one until rows can be read again: everything outside the damaged pages comes back.

What comes back is rebuilt into whole conversations: a message whose parent was lost starts a
branch of its own, a conversation whose row was lost gets a plain one named after its first
message, and a lost current leaf becomes the newest message. ``repair`` copies the result into
a new database and keeps the damaged file beside it, untouched.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from chatapp.core.storage.store import (
    _CONV_COLUMNS,
    _MSG_COLUMNS,
    ROLES,
    Conversation,
    Message,
    Store,
    StoreError,
    _conversation,
    _message,
    _read_only_uri,
    title_from_text,
)

log = logging.getLogger(__name__)

# After a failed read, how many rowids past the last known one are tried before giving up.
PROBE_BEYOND: Final = 10_000
MAX_ROWID: Final = 2**63 - 1


@dataclass
class Salvage:
    """The conversations that could be read, ready for ``Store.import_conversations``."""

    conversations: list[tuple[Conversation, list[Message]]] = field(default_factory=list)
    unreadable_rows: int = 0  # rows (of either table) that could not be read
    notes: list[str] = field(default_factory=list)  # what was rebuilt, for the user

    @property
    def message_count(self) -> int:
        return sum(len(messages) for _, messages in self.conversations)

    def summary(self) -> str:
        """One line: what was read and what was not."""
        line = (
            f"{len(self.conversations)} conversations and {self.message_count} messages "
            "could be read"
        )
        if self.unreadable_rows:
            line += f"; {self.unreadable_rows} rows could not"
        return line


def _text(raw: bytes) -> str:
    """Damaged bytes in a text column read as U+FFFD instead of failing the whole row."""
    return raw.decode("utf-8", errors="replace")


def _connect(path: Path) -> sqlite3.Connection:
    """A connection that never writes to the damaged file.

    Where the schema itself is damaged, ``writable_schema`` (on a read-only connection, so
    nothing is written) makes SQLite read the tables it can still parse.
    """
    last: Exception | None = None
    for immutable in (False, True):
        for lenient_schema in (False, True):
            try:
                conn = sqlite3.connect(_read_only_uri(path, immutable=immutable), uri=True)
            except sqlite3.Error as exc:
                last = exc
                continue
            try:
                conn.text_factory = _text
                if lenient_schema:
                    conn.execute("PRAGMA writable_schema = ON")
                conn.execute("SELECT count(*) FROM messages").fetchall()
            except (sqlite3.Error, UnicodeDecodeError) as exc:
                conn.close()
                last = exc
                continue
            conn.row_factory = sqlite3.Row
            return conn
    detail = "its list of tables is unreadable" if isinstance(last, UnicodeDecodeError) else last
    raise StoreError(f"nothing can be read from {path}: {detail}")


def _indexed_rowids(conn: sqlite3.Connection, table: str, index: str) -> list[int]:
    """The rowids an index lists (a separate B-tree, often intact where the table is not)."""
    found: set[int] = set()
    for sql in (
        f"SELECT rowid FROM {table} INDEXED BY {index}",
        f"SELECT rowid FROM {table} INDEXED BY {index} ORDER BY rowid DESC",
    ):
        try:
            for (rowid,) in conn.execute(sql):
                found.add(int(rowid))
        except (sqlite3.DatabaseError, UnicodeDecodeError):
            continue
    return sorted(found)


def _message_columns(conn: sqlite3.Connection) -> str:
    """The message columns to read: an older database lacks the newer ones (``thinking``
    before schema 3, ``restored_tokens`` before 4, ``backend`` before 5, ``sources_json``
    before 6, ``origin`` before 8, ``summary_json`` before 10); they read as NULL."""
    return _older_columns(
        conn,
        "messages",
        _MSG_COLUMNS,
        ("thinking", "restored_tokens", "backend", "sources_json", "origin", "summary_json"),
    )


def _conversation_columns(conn: sqlite3.Connection) -> str:
    """The conversation columns to read (``collections_json`` came with schema 6)."""
    return _older_columns(
        conn, "conversations", _CONV_COLUMNS, ("collections_json", "examples_json", "folder_id")
    )


def _older_columns(
    conn: sqlite3.Connection, table: str, columns: str, newer: tuple[str, ...]
) -> str:
    try:
        names = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    except sqlite3.DatabaseError:
        names = set()
    listed = [c.strip() for c in columns.split(",")]
    for name in newer:
        if names and name not in names:
            listed = [f"NULL AS {name}" if c in (name, f"m.{name}") else c for c in listed]
    return ", ".join(listed)


def _rows(
    conn: sqlite3.Connection, table: str, columns: str, index: str
) -> tuple[list[sqlite3.Row], int]:
    """Every row of ``table`` that can be read, in rowid order, and how many could not.

    After a failed read the scan carries on from the next rowid that can be read: tried in
    the order the table's index lists them, else one by one for ``PROBE_BEYOND`` rowids.
    """
    scan = f"SELECT m.rowid AS _rowid, {columns} FROM {table} m WHERE m.rowid > ? ORDER BY m.rowid"
    rows: list[sqlite3.Row] = []
    lost = 0
    after = 0
    indexed: list[int] | None = None
    while True:
        try:
            for row in conn.execute(scan, (after,)):
                rows.append(row)
                after = int(row["_rowid"])
            break
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            log.info("%s: unreadable after rowid %d: %s", table, after, exc)
        if indexed is None:
            indexed = _indexed_rowids(conn, table, index)
        later = [r for r in indexed if r > after]
        candidates = later or range(after + 1, min(after + 1 + PROBE_BEYOND, MAX_ROWID + 1))
        found = None
        for rowid in candidates:
            try:
                found = conn.execute(
                    scan.replace("m.rowid > ?", "m.rowid = ?"), (rowid,)
                ).fetchone()
            except (sqlite3.DatabaseError, UnicodeDecodeError):
                found = None
            if found is not None:
                break
            if later:
                lost += 1  # the index says this row exists
        if found is None:
            break
        rows.append(found)  # and the scan goes on after it: every pass moves forward
        after = int(found["_rowid"])
    if indexed:  # the index knows how many rows there were
        lost = len(set(indexed) - {int(r["_rowid"]) for r in rows})
    return rows, lost


_TEXT_COLUMNS: Final = ("title", "content", "settings_json")  # may be read as '' when lost
_KEY_COLUMNS: Final = ("id", "conversation_id", "created_at", "updated_at")  # must be text


def _cleaned(row: sqlite3.Row) -> dict[str, Any] | None:
    """The row with damage-flipped types put right, or None when its keys are unusable.

    A damaged cell can hold another type than its column's: a BLOB or number where text was,
    NULL in a NOT NULL column.
    """
    out = dict(zip(row.keys(), tuple(row), strict=True))
    for key, value in out.items():
        if isinstance(value, bytes):
            out[key] = _text(value)
    for key in _KEY_COLUMNS:
        if key in out and isinstance(out[key], int | float):
            out[key] = str(out[key])
        if key in out and not (isinstance(out[key], str) and out[key]):
            return None
    for key in _TEXT_COLUMNS:
        if key in out and not isinstance(out[key], str):
            out[key] = "" if key != "settings_json" else "{}"
    for key in (
        "parent_id",
        "current_leaf_id",
        "model",
        "system_prompt",
        "stop_reason",
        "thinking",
        "backend",
    ):
        if key in out and out[key] is not None and not isinstance(out[key], str):
            out[key] = None
    return out


def _conversations(rows: list[sqlite3.Row]) -> Iterator[Conversation]:
    for row in rows:
        clean = _cleaned(row)
        try:
            if clean is not None:
                yield _conversation(clean)  # type: ignore[arg-type]
                continue
        except (ValueError, TypeError, KeyError) as exc:  # a row that reads as nonsense
            log.info("skipping an unreadable conversation row: %s", exc)
        log.info("skipping a conversation row without a usable id or time")


def _messages(rows: list[sqlite3.Row]) -> Iterator[Message]:
    for row in rows:
        clean = _cleaned(row)
        if clean is None:
            continue
        try:
            msg = _message(clean)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError) as exc:
            log.info("skipping an unreadable message row: %s", exc)
            continue
        if msg.role in ROLES:
            yield msg


def _rebuild(
    conv: Conversation, messages: list[Message], notes: list[str]
) -> tuple[Conversation, list[Message]]:
    """A whole conversation from what was read: every parent present, no loops, a leaf."""
    by_id = {m.id: m for m in messages}
    orphans = 0
    fixed: dict[str, Message] = {}
    for m in messages:
        if m.parent_id is not None and m.parent_id not in by_id:
            orphans += 1
            m = replace(m, parent_id=None)
        fixed[m.id] = m
    # Break any loop (damage can leave nonsense ids): a message whose ancestors come back to it
    # becomes a root.
    reaches_root: set[str] = set()
    for start in list(fixed):
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in reaches_root:
            if current in on_path:
                fixed[current] = replace(fixed[current], parent_id=None)
                break
            path.append(current)
            on_path.add(current)
            current = fixed[current].parent_id
        reaches_root.update(path)
    if orphans:
        notes.append(
            f"conversation {conv.title or conv.id[:8]!r}: {orphans} messages lost their parent "
            "and start branches of their own"
        )
    leaf = conv.current_leaf_id
    if leaf not in fixed:
        newest = max(fixed.values(), key=lambda m: (m.created_at, m.id), default=None)
        leaf = newest.id if newest else None
    return replace(conv, current_leaf_id=leaf), list(fixed.values())


def read_damaged(path: Path) -> Salvage:
    """Every conversation and message of the database at ``path`` that can still be read.

    Raises:
        StoreError: not even the list of tables can be read.
    """
    conn = _connect(path)
    try:
        conv_rows, lost_convs = _rows(
            conn, "conversations", _conversation_columns(conn), "sqlite_autoindex_conversations_1"
        )
        msg_rows, lost_msgs = _rows(
            conn, "messages", _message_columns(conn), "messages_by_conversation"
        )
    finally:
        conn.close()
    out = Salvage(unreadable_rows=lost_convs + lost_msgs)
    convs = {c.id: c for c in _conversations(conv_rows)}
    grouped: dict[str, list[Message]] = {}
    for m in _messages(msg_rows):
        grouped.setdefault(m.conversation_id, []).append(m)
    recreated = 0
    for conv_id, messages in grouped.items():
        if conv_id not in convs:  # its row was lost: a plain one, named after its first words
            recreated += 1
            first = min(messages, key=lambda m: (m.created_at, m.id))
            last = max(messages, key=lambda m: (m.created_at, m.id))
            user = next((m for m in messages if m.role == "user"), first)
            title = title_from_text(user.content) or "Recovered conversation"
            convs[conv_id] = Conversation(conv_id, title, first.created_at, last.created_at)
    if recreated:
        out.notes.append(f"{recreated} conversations lost their title and settings")
    for conv in sorted(convs.values(), key=lambda c: (c.created_at, c.id)):
        out.conversations.append(_rebuild(conv, grouped.get(conv.id, []), out.notes))
    return out


def salvage_store(path: Path) -> tuple[Store, Salvage]:
    """What can be read, in an in-memory store (for exporting with the usual code)."""
    salvage = read_damaged(path)
    store = Store(Path(":memory:"), check=False)
    store.import_conversations(salvage.conversations)
    return store, salvage


@dataclass(frozen=True)
class Repair:
    salvage: Salvage
    kept_as: Path  # the damaged file, renamed


def _sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


class RepairRefused(StoreError):
    """Repairing would keep too little of what the file lists; it was left as it is."""


def _kept_name(path: Path) -> Path:
    """``<name>.damaged-<time>``, with a counter where that name is taken: never overwrite."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while any(p.exists() for p in _sidecars(candidate)):
        n += 1
        candidate = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    return candidate


def repair(path: Path, *, force: bool = False) -> Repair:
    """Copy what can be read into a new database at ``path``; keep the old file beside it.

    The damaged file (with its -wal, so the pair stays readable) is renamed to
    ``<name>.damaged-<time>`` and never written to. The renames are undone if one fails, so
    the user's file is always where it was or kept beside the repaired one. Nothing else may
    have the database open.

    Args:
        force: repair even when less than half of the messages its index lists can be read
            (a damaged page high in the tree hides all the rows below it).

    Raises:
        RepairRefused: too little could be read (see ``force``); nothing was changed.
        StoreError: nothing could be read, or the new file cannot be written.
    """
    salvage = read_damaged(path)
    if not force and not salvage.message_count:
        raise RepairRefused(
            f"no message of {path} can be read; the file is left as it is "
            "(`chatapp repair --force` replaces it with an empty database anyway)"
        )
    if not force and salvage.unreadable_rows > salvage.message_count:
        raise RepairRefused(
            f"only {salvage.message_count} messages of {path} can be read and "
            f"{salvage.unreadable_rows} rows cannot; a repair would lose those, so the file is "
            "left as it is. `chatapp export` saves what can be read; `chatapp repair --force` "
            "repairs anyway"
        )
    fresh = path.with_name(path.name + ".repairing")
    for leftover in _sidecars(fresh):
        leftover.unlink(missing_ok=True)
    try:
        with Store(fresh, check=False) as store:
            store.import_conversations(salvage.conversations)
        kept = _kept_name(path)
        # The old -wal and -shm move first, so they can never sit beside the new file; the
        # main file moves last. Each done rename is undone if a later one fails.
        moves = [
            (old, new)
            for old, new in zip(_sidecars(path)[::-1], _sidecars(kept)[::-1], strict=True)
            if old.exists()
        ]
        moves.append((fresh, path))
        done: list[tuple[Path, Path]] = []
        try:
            for old, new in moves:
                os.replace(old, new)
                done.append((old, new))
        except OSError:
            for old, new in reversed(done):
                os.replace(new, old)
            raise
    except OSError as exc:
        raise StoreError(
            f"cannot write the repaired database next to {path}: {exc}; the file was left as it is"
        ) from exc
    finally:
        for leftover in _sidecars(fresh):
            leftover.unlink(missing_ok=True)
    return Repair(salvage, kept)


def needs_repair(path: Path) -> list[str]:
    """Why the file needs repairing (empty: it does not): integrity_check's findings, or text
    whose bytes were damaged (which integrity_check does not look at)."""
    problems = integrity_problems(path)
    if problems:
        return problems
    try:
        with Store(path, read_only=True) as store:
            for conv in store.list_conversations():
                store.messages(conv.id)
    except StoreError as exc:
        return [str(exc.__cause__ or exc)]
    return []


def integrity_problems(path: Path) -> list[str]:
    """``PRAGMA integrity_check``'s findings (empty: the file is sound), read-only."""
    try:
        conn = _connect(path)
    except StoreError as exc:
        return [str(exc)]
    try:
        rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return [str(exc) if isinstance(exc, sqlite3.Error) else "the schema is unreadable"]
    finally:
        conn.close()
    return [str(r[0]) for r in rows if r[0] != "ok"]
