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
from typing import TYPE_CHECKING, Final, Protocol

import numpy as np

from chatapp.core.docs.chunk import MAX_TOKENS, chunk_sections
from chatapp.core.docs.extract import Skipped, extract

if TYPE_CHECKING:
    from chatapp.core.inference.embeddings import Embedded


class ModelFile(Protocol):
    @property
    def path(self) -> Path: ...


class TextEmbedder(Protocol):
    """What indexing needs of an embedding model (``inference.embeddings.Embedder``): its
    file, and its tokens and vectors, asked only for a file that is new or changed."""

    @property
    def info(self) -> ModelFile: ...

    @property
    def max_tokens(self) -> int: ...

    def count_tokens(self, text: str) -> int: ...

    def embed(self, texts: list[str]) -> Embedded: ...


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
    # FTS5's own per-term statistics (in how many chunks each term is), so search can leave out
    # the words nearly every chunk has before ranking; and a trigram index of the same chunks,
    # for text without spaces between words (Chinese, Japanese): unicode61 reads a whole run of
    # CJK characters as one token, so a question matches no passage by keyword there.
    """
    CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
    CREATE VIRTUAL TABLE chunks_tri USING fts5(
        text, content='chunks', content_rowid='id', tokenize='trigram'
    );
    CREATE VIRTUAL TABLE chunks_tri_vocab USING fts5vocab(chunks_tri, 'row');
    CREATE TRIGGER chunks_ai_tri AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_tri(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_ad_tri AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_tri(chunks_tri, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    INSERT INTO chunks_tri(chunks_tri) VALUES ('rebuild');
    """,
)
KEYWORD_TABLES: Final = ("chunks_fts", "chunks_tri")


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
        self._count: int | None = None  # chunks, cached until a write
        # (vocabulary table, term) -> chunks holding it, cached until a write: FTS5 counts a
        # term's chunks by reading its whole posting list (~10 ms for "the" over 100k chunks)
        self._docs: dict[tuple[str, str], int] = {}
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
            self._count = None
            self._docs.clear()
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
        embedder: TextEmbedder,
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
        embedder: TextEmbedder,
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

    def chunk_count(self) -> int:
        """Chunks in the whole index (every collection: FTS5's statistics are index-wide)."""
        with self._lock:
            if self._count is None:
                self._count = int(self._conn.execute("SELECT count(*) FROM chunks").fetchone()[0])
            return self._count

    def term_docs(self, table: str, terms: list[str]) -> dict[str, int]:
        """In how many chunks each term (as the table's tokenizer folded it) is, from FTS5's
        vocabulary table; a term in none is left out."""
        if table not in KEYWORD_TABLES:
            raise ValueError(table)
        if not terms:
            return {}
        vocab = {"chunks_fts": "chunks_vocab", "chunks_tri": "chunks_tri_vocab"}[table]
        with self._lock:
            missing = [t for t in dict.fromkeys(terms) if (vocab, t) not in self._docs]
            if missing:
                if len(self._docs) > 100_000:
                    self._docs.clear()
                for t in missing:
                    self._docs[(vocab, t)] = 0
                marks = ",".join("?" * len(missing))
                for t, d in self._conn.execute(
                    f"SELECT term, doc FROM {vocab} WHERE term IN ({marks})", missing
                ):
                    self._docs[(vocab, str(t))] = int(d)
            return {t: n for t in terms if (n := self._docs[(vocab, t)])}

    def trigrams_after(self, prefix: str, limit: int) -> dict[str, int]:
        """The trigrams of the index that start with ``prefix`` (one or two characters), with
        the number of chunks each is in: at most ``limit``, from the trigram vocabulary, by
        range."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT term, doc FROM chunks_tri_vocab WHERE term >= ? AND term < ? LIMIT ?",
                (prefix.lower(), prefix.lower() + "\U0010ffff", limit),
            ).fetchall()
            return {str(t): int(d) for t, d in rows}

    def keyword(
        self, cids: int | list[int], match: str, limit: int, table: str = "chunks_fts"
    ) -> list[int]:
        """Chunk ids of the collections matching an FTS5 query on ``table`` (``chunks_fts``,
        words; ``chunks_tri``, trigrams), best BM25 first."""
        if table not in KEYWORD_TABLES:
            raise ValueError(table)
        ids = [cids] if isinstance(cids, int) else cids
        if not ids:
            return []
        with self._lock:
            marks = ",".join("?" * len(ids))
            rows = self._conn.execute(
                f"SELECT chunks.id FROM {table} JOIN chunks ON chunks.id = {table}.rowid "
                "JOIN files ON files.id = chunks.file_id "
                f"WHERE {table} MATCH ? AND files.collection_id IN ({marks}) "
                f"ORDER BY bm25({table}) LIMIT ?",
                (match, *ids, limit),
            ).fetchall()
            return [int(r[0]) for r in rows]

    def containing(self, cids: list[int], needles: list[str], limit: int) -> list[tuple[int, str]]:
        """(id, text) of at most ``limit`` chunks of the collections holding any of ``needles``
        as a substring, in index order: a scan of the chunks' text that stops at ``limit``, for
        what no index can look up (one or two CJK characters: a trigram needs three)."""
        if not cids or not needles:
            return []
        with self._lock:
            marks = ",".join("?" * len(cids))
            anyof = " OR ".join("instr(chunks.text, ?) > 0" for _ in needles)
            rows = self._conn.execute(
                "SELECT chunks.id, chunks.text FROM chunks JOIN files ON files.id = chunks.file_id "
                f"WHERE files.collection_id IN ({marks}) AND ({anyof}) LIMIT ?",
                (*cids, *needles, limit),
            ).fetchall()
            return [(int(i), str(t)) for i, t in rows]

    def chunk_rows(self, ids: list[int]) -> dict[int, tuple[str, str, int | None, str | None, int]]:
        """id → (file path, text, page, heading, collection id)."""
        if not ids:
            return {}
        with self._lock:
            marks = ",".join("?" * len(ids))
            rows = self._conn.execute(
                "SELECT chunks.id, files.path, chunks.text, chunks.page, chunks.heading, "
                "files.collection_id FROM chunks JOIN files ON files.id = chunks.file_id "
                f"WHERE chunks.id IN ({marks})",
                ids,
            ).fetchall()
            return {int(r[0]): (str(r[1]), str(r[2]), r[3], r[4], int(r[5])) for r in rows}

    # whole documents

    def files(self, collection: str) -> list[tuple[str, int]]:
        """The collection's indexed files (path, number of chunks), by path."""
        with self._lock:
            cid = self._collection_id(collection)
            rows = self._conn.execute(
                "SELECT files.path, count(chunks.id) FROM files "
                "LEFT JOIN chunks ON chunks.file_id = files.id "
                "WHERE files.collection_id = ? AND files.state = 'indexed' "
                "GROUP BY files.id ORDER BY files.path",
                (cid,),
            ).fetchall()
            return [(str(p), int(n)) for p, n in rows]

    def file_chunks(self, collection: str, path: str) -> list[tuple[int | None, str | None, str]]:
        """(page, heading, text) of one indexed file's chunks, in the file's order.

        Raises DocIndexError for an unknown collection or a file it has not indexed."""
        with self._lock:
            cid = self._collection_id(collection)
            row = self._conn.execute(
                "SELECT id FROM files WHERE collection_id = ? AND path = ? AND state = 'indexed'",
                (cid, path),
            ).fetchone()
            if row is None:
                raise DocIndexError(f"{path} is not indexed in the collection {collection!r}")
            rows = self._conn.execute(
                "SELECT page, heading, text FROM chunks WHERE file_id = ? ORDER BY seq", (row[0],)
            ).fetchall()
            return [(r[0], r[1], str(r[2])) for r in rows]


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
