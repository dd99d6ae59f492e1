"""The documents index: collections of files, their chunks, vectors and full-text index, in a
SQLite file of its own (``docs.sqlite3`` in the data dir), never the conversation database.

Vectors are float32 BLOBs beside their chunk. This Python's sqlite3 cannot load extensions
(sqlite-vec), so search reads a collection's vectors into one numpy matrix, cached until the
collection changes, and takes one matrix-vector product with the unit query vector: about
100k chunks x 768 floats = 300 MB read once, then a few milliseconds per query.

Indexing is incremental and resumable: a file is skipped when its (size, mtime) or else its
SHA-256 is unchanged; a changed file is re-embedded; a deleted one is removed. Each file's chunks
and its row are written in one transaction after all its chunks are embedded, so an interrupted
run (cancel, crash, power cut) loses at most the file it was on, and the next run starts there.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from chatapp.core.docs.chunk import MAX_TOKENS, chunk_sections
from chatapp.core.docs.extract import Skipped, extract

if TYPE_CHECKING:
    from chatapp.core.inference.embeddings import Embedder

DB_FILENAME: Final = "docs.sqlite3"
EMBED_BATCH: Final = 32

_SCHEMA: Final = (
    """
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        dim INTEGER
    );
    CREATE TABLE roots (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        PRIMARY KEY (collection_id, path)
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('indexed', 'skipped')),
        reason TEXT,
        UNIQUE (collection_id, path)
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        page INTEGER,
        heading TEXT,
        vector BLOB NOT NULL
    );
    CREATE INDEX chunks_file ON chunks(file_id);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id');
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
)


class DocIndexError(Exception):
    """The index cannot do what was asked (unknown collection, unreadable file); for the user."""


@dataclass(frozen=True)
class Collection:
    name: str
    model: str
    files: int
    chunks: int
    skipped: list[tuple[str, str]]  # (path, reason)
    roots: list[str]


@dataclass(frozen=True)
class Progress:
    """Where an index run stands; ``bytes_*`` give an ETA (files differ in size)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    chunks_done: int  # embedded in this run
    file_chunks_done: int  # of the current file
    file_chunks_total: int
    path: str


@dataclass
class IndexResult:
    embedded: list[str] = field(default_factory=list)  # paths (re-)embedded
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    cancelled: bool = False
    model_changed: bool = False


class DocIndex:
    """One ``docs.sqlite3``; its own connection, used by one thread at a time (a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._matrices: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 5000")
            self._conn = conn
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise DocIndexError(f"cannot open the documents index {path}: {exc}") from exc

    @classmethod
    def open_dir(cls, data_dir: Path) -> DocIndex:
        return cls(data_dir / DB_FILENAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> DocIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_SCHEMA):
            raise DocIndexError(f"{self.path} was written by a newer chatapp")
        for step in range(version, len(_SCHEMA)):
            # one script, one transaction: a crash leaves the schema at a whole step
            script = f"BEGIN IMMEDIATE;{_SCHEMA[step]}PRAGMA user_version = {step + 1:d};COMMIT;"
            try:
                self._conn.executescript(script)
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    # collections

    def _collection_id(self, name: str) -> int:
        row = self._conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise DocIndexError(f"no collection named {name!r} (chatapp docs list shows them)")
        return int(row[0])

    def model_of(self, name: str) -> str:
        with self._lock:
            cid = self._collection_id(name)
            return str(
                self._conn.execute("SELECT model FROM collections WHERE id = ?", (cid,)).fetchone()[
                    0
                ]
            )

    def exists(self, name: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM collections WHERE name = ?", (name,))
            return row.fetchone() is not None

    def collections(self) -> list[Collection]:
        with self._lock:
            out = []
            for cid, name, model in self._conn.execute(
                "SELECT id, name, model FROM collections ORDER BY name"
            ).fetchall():
                files = self._conn.execute(
                    "SELECT count(*) FROM files WHERE collection_id = ? AND state = 'indexed'",
                    (cid,),
                ).fetchone()[0]
                chunks = self._conn.execute(
                    "SELECT count(*) FROM chunks JOIN files ON files.id = chunks.file_id "
                    "WHERE files.collection_id = ?",
                    (cid,),
                ).fetchone()[0]
                skipped = self._conn.execute(
                    "SELECT path, reason FROM files WHERE collection_id = ? AND state = 'skipped' "
                    "ORDER BY path",
                    (cid,),
                ).fetchall()
                roots = self._conn.execute(
                    "SELECT path FROM roots WHERE collection_id = ? ORDER BY path", (cid,)
                ).fetchall()
                out.append(
                    Collection(
                        name,
                        model,
                        int(files),
                        int(chunks),
                        [(str(p), str(r)) for p, r in skipped],
                        [str(r[0]) for r in roots],
                    )
                )
            return out

    def remove(self, name: str) -> None:
        with self._writing() as conn:
            cid = self._collection_id(name)
            # chunks first, one statement, so the FTS trigger sees each row
            conn.execute(
                "DELETE FROM chunks WHERE file_id IN "
                "(SELECT id FROM files WHERE collection_id = ?)",
                (cid,),
            )
            conn.execute("DELETE FROM collections WHERE id = ?", (cid,))
            self._matrices.pop(cid, None)

    # indexing

    def index(
        self,
        collection: str,
        paths: list[Path] | None,
        embedder: Embedder,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexResult:
        """Index ``paths`` (files or folders) into ``collection``, created if new; ``None``: the
        paths it was given before. Files under those paths that are gone are removed.

        The collection remembers ``embedder``'s model; another model re-embeds everything."""
        model = str(Path(embedder.info.path).resolve())
        result = IndexResult()
        with self._writing() as conn:
            row = conn.execute(
                "SELECT id, model FROM collections WHERE name = ?", (collection,)
            ).fetchone()
            if row is None:
                cid = int(
                    conn.execute(
                        "INSERT INTO collections(name, model) VALUES (?, ?)", (collection, model)
                    ).lastrowid
                    or 0
                )
            else:
                cid = int(row[0])
                if row[1] != model:
                    conn.execute(
                        "DELETE FROM chunks WHERE file_id IN "
                        "(SELECT id FROM files WHERE collection_id = ?)",
                        (cid,),
                    )
                    conn.execute("DELETE FROM files WHERE collection_id = ?", (cid,))
                    conn.execute(
                        "UPDATE collections SET model = ?, dim = NULL WHERE id = ?", (model, cid)
                    )
                    result.model_changed = True
            if paths is not None:
                for p in paths:
                    conn.execute(
                        "INSERT OR IGNORE INTO roots(collection_id, path) VALUES (?, ?)",
                        (cid, str(p.resolve())),
                    )
            self._matrices.pop(cid, None)
        if paths is None or result.model_changed:  # another model: every root, not only these
            with self._lock:
                roots = [
                    Path(r[0])
                    for r in self._conn.execute(
                        "SELECT path FROM roots WHERE collection_id = ? ORDER BY path", (cid,)
                    )
                ]
        else:
            roots = [p.resolve() for p in paths]

        walked: dict[Path, os.stat_result] = {}  # a folder inside another: its files once
        for root in roots:
            walked.update(_walk(root))
        found = sorted(walked.items())
        seen = {str(p) for p, _ in found}
        with self._writing() as conn:  # removed files: under a walked root, no longer there
            known = conn.execute(
                "SELECT id, path FROM files WHERE collection_id = ?", (cid,)
            ).fetchall()
            for fid, fpath in known:
                if fpath not in seen and any(_under(Path(fpath), r) for r in roots):
                    conn.execute("DELETE FROM chunks WHERE file_id = ?", (fid,))
                    conn.execute("DELETE FROM files WHERE id = ?", (fid,))
                    result.removed.append(str(fpath))
            if result.removed:
                self._matrices.pop(cid, None)

        bytes_total = sum(st.st_size for _, st in found)
        bytes_done = 0
        for n, (path, st) in enumerate(found):
            if cancel is not None and cancel.is_set():
                result.cancelled = True
                break

            def report(
                done: int, total: int, n: int = n, path: Path = path, at: int = bytes_done
            ) -> None:
                if on_progress is not None:
                    on_progress(
                        Progress(
                            n,
                            len(found),
                            at,
                            bytes_total,
                            result.chunks + done,
                            done,
                            total,
                            str(path),
                        )
                    )

            report(0, 0)
            if not self._index_file(cid, path, st, embedder, result, report, cancel):
                result.cancelled = True
                break
            bytes_done += st.st_size
        if on_progress is not None and not result.cancelled:
            on_progress(
                Progress(len(found), len(found), bytes_total, bytes_total, result.chunks, 0, 0, "")
            )
        return result

    def _index_file(
        self,
        cid: int,
        path: Path,
        st: os.stat_result,
        embedder: Embedder,
        result: IndexResult,
        report: Callable[[int, int], None],
        cancel: threading.Event | None,
    ) -> bool:
        """False when cancelled before the file was written."""
        key = str(path)
        with self._lock:
            row = self._conn.execute(
                "SELECT id, size, mtime_ns, sha256 FROM files WHERE collection_id = ? AND path = ?",
                (cid, key),
            ).fetchone()
        if row is not None and row[1] == st.st_size and row[2] == st.st_mtime_ns:
            result.unchanged += 1
            return True
        try:
            digest = _sha256(path)
        except OSError as exc:
            self._write_skipped(cid, key, st, "", f"cannot read it ({exc.strerror or exc})")
            result.skipped.append((key, f"cannot read it ({exc.strerror or exc})"))
            return True
        if row is not None and row[3] == digest:  # touched, not changed
            with self._writing() as conn:
                conn.execute(
                    "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?",
                    (st.st_size, st.st_mtime_ns, row[0]),
                )
            result.unchanged += 1
            return True
        try:
            sections = extract(path)
        except Skipped as exc:
            self._write_skipped(cid, key, st, digest, exc.reason)
            result.skipped.append((key, exc.reason))
            return True
        except OSError as exc:
            reason = f"cannot read it ({exc.strerror or exc})"
            self._write_skipped(cid, key, st, digest, reason)
            result.skipped.append((key, reason))
            return True
        chunks = chunk_sections(
            sections, embedder.count_tokens, max_tokens=min(MAX_TOKENS, embedder.max_tokens - 2)
        )
        vectors: list[list[float]] = []
        report(0, len(chunks))
        for start in range(0, len(chunks), EMBED_BATCH):
            if cancel is not None and cancel.is_set():
                return False
            batch = chunks[start : start + EMBED_BATCH]
            vectors.extend(embedder.embed([c.text for c in batch]).vectors)
            report(len(vectors), len(chunks))
        dim = len(vectors[0]) if vectors else None
        with self._writing() as conn:
            if dim is not None:
                conn.execute(
                    "UPDATE collections SET dim = ? WHERE id = ? AND dim IS NULL", (dim, cid)
                )
            if row is not None:
                conn.execute("DELETE FROM chunks WHERE file_id = ?", (row[0],))
            fid = conn.execute(
                "INSERT INTO files(collection_id, path, size, mtime_ns, sha256, state, reason) "
                "VALUES (?, ?, ?, ?, ?, 'indexed', NULL) "
                "ON CONFLICT(collection_id, path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, state = 'indexed', "
                "reason = NULL RETURNING id",
                (cid, key, st.st_size, st.st_mtime_ns, digest),
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO chunks(file_id, seq, text, page, heading, vector) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (fid, i, c.text, c.page, c.heading, np.asarray(v, np.float32).tobytes())
                    for i, (c, v) in enumerate(zip(chunks, vectors, strict=True))
                ],
            )
            self._matrices.pop(cid, None)
        result.embedded.append(key)
        result.chunks += len(chunks)
        return True

    def _write_skipped(
        self, cid: int, key: str, st: os.stat_result, digest: str, reason: str
    ) -> None:
        with self._writing() as conn:
            conn.execute(
                "DELETE FROM chunks WHERE file_id IN "
                "(SELECT id FROM files WHERE collection_id = ? AND path = ?)",
                (cid, key),
            )
            conn.execute(
                "INSERT INTO files(collection_id, path, size, mtime_ns, sha256, state, reason) "
                "VALUES (?, ?, ?, ?, ?, 'skipped', ?) "
                "ON CONFLICT(collection_id, path) DO UPDATE SET size = excluded.size, "
                "mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, state = 'skipped', "
                "reason = excluded.reason",
                (cid, key, st.st_size, st.st_mtime_ns, digest, reason),
            )
            self._matrices.pop(cid, None)

    # reading, for search.py

    def collection_id(self, name: str) -> int:
        with self._lock:
            return self._collection_id(name)

    def matrix(self, cid: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors as rows) of a collection, cached until it changes."""
        with self._lock:
            cached = self._matrices.get(cid)
            if cached is not None:
                return cached
            rows = self._conn.execute(
                "SELECT chunks.id, chunks.vector FROM chunks JOIN files ON files.id = "
                "chunks.file_id WHERE files.collection_id = ? ORDER BY chunks.id",
                (cid,),
            ).fetchall()
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            if rows:
                vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(
                    len(rows), -1
                )
            else:
                vectors = np.zeros((0, 0), np.float32)
            self._matrices[cid] = (ids, vectors)
            return ids, vectors

    def keyword(self, cid: int, match: str, limit: int) -> list[int]:
        """Chunk ids matching an FTS5 query, best BM25 first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT chunks.id FROM chunks_fts JOIN chunks ON chunks.id = chunks_fts.rowid "
                "JOIN files ON files.id = chunks.file_id "
                "WHERE chunks_fts MATCH ? AND files.collection_id = ? "
                "ORDER BY bm25(chunks_fts) LIMIT ?",
                (match, cid, limit),
            ).fetchall()
            return [int(r[0]) for r in rows]

    def files(self, collection: str) -> list[tuple[str, int]]:
        """The collection's indexed files and how many chunks each has, by path."""
        with self._lock:
            cid = self._collection_id(collection)
            rows = self._conn.execute(
                "SELECT files.path, count(chunks.id) FROM files LEFT JOIN chunks ON "
                "chunks.file_id = files.id WHERE files.collection_id = ? AND "
                "files.state = 'indexed' GROUP BY files.id ORDER BY files.path",
                (cid,),
            ).fetchall()
            return [(str(r[0]), int(r[1])) for r in rows]

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple[str, str, int | None, str | None]]:
        """id → (file path, text, page, heading)."""
        if not ids:
            return {}
        with self._lock:
            marks = ",".join("?" * len(ids))
            rows = self._conn.execute(
                "SELECT chunks.id, files.path, chunks.text, chunks.page, chunks.heading "
                f"FROM chunks JOIN files ON files.id = chunks.file_id WHERE chunks.id IN ({marks})",
                ids,
            ).fetchall()
            return {int(r[0]): (str(r[1]), str(r[2]), r[3], r[4]) for r in rows}


def _walk(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under ``root`` (or ``root`` itself), sorted; hidden ones left out."""
    try:
        st = root.stat()
    except OSError:
        return
    if root.is_file():
        yield root, st
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                if path.is_file():
                    yield path, path.stat()
            except OSError:
                continue


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


__all__ = [
    "DB_FILENAME",
    "Collection",
    "DocIndex",
    "DocIndexError",
    "IndexResult",
    "Progress",
]
