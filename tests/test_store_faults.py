"""Faults of the database under a reply being written and a user's commands: another program's
lock, a full disk, a damaged file, a read-only medium or file, another program's SQLite file,
two chatapps on one conversation, undecodable text. Real SQLite files, the real command line
and real llama.cpp on generated models; a small tmpfs for the full disk and the read-only
medium when the tests run as root (as CI does), the store's own write limit otherwise.

Each case's expectation is in docs/RELIABILITY.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from chatapp.core.chat.conversation import reply_to
from chatapp.core.chat.transfer import export_json
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.engine import Engine
from chatapp.core.storage.salvage import integrity_problems
from chatapp.core.storage.store import DB_FILENAME, Store, StoreDamaged, StoreError
from tests.helpers import run_cli

IS_ROOT = os.geteuid() == 0


# --- helpers -----------------------------------------------------------------------------------


class Running:
    """A ``chatapp`` process whose stdout and stderr are read as they come."""

    def __init__(self, *args: str | Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chatapp", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out = bytearray()
        self.err = bytearray()
        self._changed = threading.Condition()
        self._pumps = [
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream: object, sink: bytearray) -> None:
        assert stream is not None
        while chunk := os.read(stream.fileno(), 4096):  # type: ignore[attr-defined]
            with self._changed:
                sink.extend(chunk)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, what: str, *, stderr: bool = False, timeout: float = 60) -> None:
        """Until ``what`` has been written (or the process ended without it: a failure)."""
        sink = self.err if stderr else self.out
        with self._changed:
            ok = self._changed.wait_for(
                lambda: what.encode() in sink or self.proc.poll() is not None, timeout
            )
        assert ok and what.encode() in sink, f"never saw {what!r}: {bytes(self.err)!r}"

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        code = self.proc.wait(timeout)
        for pump in self._pumps:  # each ends at its pipe's end of file
            pump.join(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            assert stream is not None
            stream.close()
        return code, self.out.decode(), self.err.decode()


def rows(db: Path) -> list[tuple[str, str, str, str | None]]:
    """(id, role, content, stop_reason) of every message, read-only."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT id, role, content, stop_reason FROM messages ORDER BY rowid"
        ).fetchall()
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chat(data: Path, model: Path, text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli("chat", "--data-dir", data, "--model", model, text, *extra)


def one_line(stderr: str) -> str:
    """The one "chatapp: …" line a failure prints, checking there is no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("chatapp: ")]
    assert len(lines) == 1, stderr
    return lines[0]


@contextmanager
def tmpfs(folder: Path, size: str, why_root: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (made here), unmounted afterwards; skips the
    test (saying ``why_root``) where it cannot be mounted: not root, or no mount permission."""
    folder.mkdir()
    if not IS_ROOT:
        pytest.skip(why_root)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (root only); skipped elsewhere, where the write-limit tests stand in."""
    with tmpfs(
        tmp_path / "disk",
        "2m",
        "mounting a small disk needs root; test_store_write_limit_* cover the rest",
    ) as mount:
        yield mount


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill ``disk`` up to ``leave_kb`` KB free; returns the filler (delete it to free space)."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave_kb * 1024))
    return filler


# --- another program's lock ----------------------------------------------------------------------


def test_a_lock_held_by_another_program_mid_reply_delays_the_save_but_loses_nothing(
    tmp_path: Path, long_model: Path
) -> None:
    data = tmp_path / "data"
    assert chat(data, long_model, "first", "--max-tokens", "4").returncode == 0
    run = Running("chat", "--data-dir", data, "--model", long_model, "tell", "--max-tokens", "3000")
    run.wait_for("a")  # streaming
    other = sqlite3.connect(data / DB_FILENAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program takes the write lock…
    run.wait_for("locked by another program", stderr=True)
    other.execute("COMMIT")  # …and lets it go only after chatapp has met it
    other.close()
    code, out, err = run.finish()
    assert code == 0, err
    assert "Traceback" not in err
    reply = rows(data / DB_FILENAME)[-1]
    assert reply[1] == "assistant" and reply[3] is not None  # finished, with its metrics
    assert reply[2] == out.rstrip("\n")  # everything shown is saved
    assert len(out) > 100


def test_the_final_save_waits_for_the_lock_to_be_released(tmp_path: Path, tiny_model: Path) -> None:
    engine = Engine()
    engine.load(tiny_model, LoadSettings(n_ctx=512))
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation()
        user = store.add_message(conv.id, "user", "hello")
        other = sqlite3.connect(store.path, isolation_level=None)
        told: list[str] = []

        def locked(reason: str) -> None:
            told.append(reason)
            other.execute("COMMIT")  # released once chatapp has met it

        events = reply_to(
            store,
            engine,
            conv.id,
            user,
            GenerationSettings(max_tokens=30, seed=1),
            on_save_delayed=locked,
        )
        first = next(events)  # the reply row exists; now the other program takes the lock
        other.execute("BEGIN IMMEDIATE")
        for _ in events:
            pass
        reply = store.thread(conv.id)[-1]
        assert told and "locked by another program" in told[0]
        assert reply.metrics is not None and reply.metrics.completion_tokens == 30
        assert first is not None
        other.close()
    engine.unload()


# --- a full disk ---------------------------------------------------------------------------------


def test_a_full_disk_at_start_is_one_line_and_changes_nothing(
    small_disk: Path, tiny_model: Path
) -> None:
    data = small_disk / "data"
    assert chat(data, tiny_model, "first", "--max-tokens", "4").returncode == 0
    before = rows(data / DB_FILENAME)
    fill(small_disk, leave_kb=0)
    done = chat(data, tiny_model, "second", "--max-tokens", "20")
    assert done.returncode == 1
    assert "the disk is full" in one_line(done.stderr)
    assert rows(data / DB_FILENAME) == before


def test_a_disk_that_fills_mid_reply_stops_generation_and_keeps_what_fitted(
    small_disk: Path, long_model: Path
) -> None:
    data = small_disk / "data"
    assert chat(data, long_model, "first", "--max-tokens", "4").returncode == 0
    filler = fill(small_disk, leave_kb=200)
    done = chat(data, long_model, "write a lot", "--max-tokens", "20000")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "the disk is full" in line and "the reply stopped" in line
    reply = rows(data / DB_FILENAME)[-1]
    assert reply[1] == "assistant" and reply[3] is None  # marked interrupted
    assert reply[2] and done.stdout.startswith(reply[2])  # what the last checkpoint saved
    assert len(done.stdout) < 20000  # it stopped, rather than streaming on into nothing
    assert integrity_problems(data / DB_FILENAME) == []
    filler.unlink()  # space freed: chatapp works again
    again = chat(data, long_model, "again", "--max-tokens", "4")
    assert again.returncode == 0, again.stderr


def test_store_write_limit_mid_reply_stops_generation_and_keeps_the_last_checkpoint(
    tmp_path: Path, long_model: Path
) -> None:
    """The same, on the store's own write limit (SQLite's max_page_count), without root."""
    engine = Engine()
    engine.load(long_model, LoadSettings(n_ctx=8192))
    db = tmp_path / DB_FILENAME
    with Store(db) as store:
        conv = store.create_conversation()
        user = store.add_message(conv.id, "user", "hello")
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[union-attr]
    shown = ""
    with Store(db, max_pages=pages + 3) as store:
        events = reply_to(
            store,
            engine,
            conv.id,
            user,
            GenerationSettings(max_tokens=8000, seed=1),
            checkpoint_s=0.0,
        )
        with pytest.raises(StoreError, match="the disk is full"):
            for event in events:
                shown += getattr(event, "text", "")
        reply = store.thread(conv.id)[-1]
    assert reply.interrupted and reply.content and shown.startswith(reply.content)
    assert len(shown) < 8000 * 3
    engine.unload()


# --- a damaged database --------------------------------------------------------------------------

MARKER = "marker-that-is-lost"


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A data dir whose database (50 conversations) has one page of messages overwritten."""
    data = tmp_path / "damaged"
    with Store.open_dir(data) as store:
        for c in range(50):
            conv = store.create_conversation()
            for i in range(10):
                text = MARKER if (c, i) == (25, 5) else f"question {c}.{i} " + "words " * 20
                store.add_message(conv.id, "user", text)
                reply = store.begin_reply(conv.id)
                store.checkpoint_reply(reply.id, f"answer {c}.{i} " + "more words " * 20)
    db = data / DB_FILENAME
    raw = bytearray(db.read_bytes())
    page = raw.index(MARKER.encode()) // 4096 * 4096
    raw[page + 8 : page + 4096] = os.urandom(4088)  # the leaf page holding the marker
    db.write_bytes(bytes(raw))
    assert integrity_problems(db)
    return data


def message_count(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])
    finally:
        conn.close()


def test_a_damaged_database_is_not_written_and_the_message_says_how_to_recover(
    damaged: Path, tiny_model: Path
) -> None:
    db = damaged / DB_FILENAME
    before = digest(db)
    done = chat(damaged, tiny_model, "hello")
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert "is damaged" in line and "chatapp repair" in line and "chatapp export" in line
    assert digest(db) == before and message_count(db) == 50


def test_export_of_a_damaged_database_saves_every_row_that_can_be_read(
    damaged: Path, tmp_path: Path
) -> None:
    out = tmp_path / "saved.json"
    done = run_cli("export", "--data-dir", damaged, "-o", out)
    assert done.returncode == 0, done.stderr
    assert "damaged; exported what could be read" in one_line(done.stderr)
    document = json.loads(out.read_text(encoding="utf-8"))
    messages = [m for c in document["conversations"] for m in c["messages"]]
    assert len(document["conversations"]) == 50
    assert 900 <= len(messages) < 1000  # one page of ~10 messages is lost, nothing else
    assert MARKER not in {m["content"] for m in messages}
    assert "answer 49.9 " + "more words " * 20 in {m["content"] for m in messages}


def test_repair_copies_what_can_be_read_into_a_new_file_and_keeps_the_old_one(
    damaged: Path, tiny_model: Path, tmp_path: Path
) -> None:
    db = damaged / DB_FILENAME
    before = digest(db)
    exported = tmp_path / "before.json"
    assert run_cli("export", "--data-dir", damaged, "-o", exported).returncode == 0
    done = run_cli("repair", "--data-dir", damaged)
    assert done.returncode == 0, done.stderr
    line = one_line(done.stderr)
    assert "repaired" in line and "kept as" in line
    kept = [p for p in damaged.iterdir() if p.name.startswith(f"{DB_FILENAME}.damaged-")]
    assert [digest(p) for p in kept if not p.name.endswith(("-wal", "-shm"))] == [before]
    assert integrity_problems(db) == []
    after = tmp_path / "after.json"
    assert run_cli("export", "--data-dir", damaged, "-o", after).returncode == 0
    assert (
        json.loads(after.read_text())["conversations"]
        == json.loads(exported.read_text())["conversations"]
    )
    assert chat(damaged, tiny_model, "hello", "--max-tokens", "3").returncode == 0
    assert "nothing to repair" in one_line(run_cli("repair", "--data-dir", damaged).stderr)


def test_the_store_refuses_writes_once_damage_is_found(damaged: Path) -> None:
    with Store.open_dir(damaged) as store:
        assert "is damaged" in (store.verify() or "")
        with pytest.raises(StoreDamaged, match="chatapp repair"):
            store.create_conversation("new")
        with pytest.raises(StoreDamaged):
            export_json(store)  # the plain export meets the damaged page


def test_the_window_offers_to_save_what_can_be_read_from_a_damaged_database(
    damaged: Path, tmp_path: Path, make_window, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    window = make_window(data=damaged)
    banner = window.chat_panel.banner
    qtbot.waitUntil(lambda: banner.isVisible() and "damaged" in banner.label.text())
    assert "chatapp repair" in banner.label.text()
    assert banner.action.isVisible() and banner.action.text() == "Save what can be read…"
    target = tmp_path / "rescued.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    banner.action.click()
    qtbot.waitUntil(lambda: "Saved 50 conversations" in window.statusBar().currentMessage())
    document = json.loads(target.read_text(encoding="utf-8"))
    assert len(document["conversations"]) == 50
    assert MARKER not in target.read_text(encoding="utf-8")


# --- read-only -----------------------------------------------------------------------------------


@pytest.fixture
def read_only_data(tmp_path: Path, tiny_model: Path) -> Iterator[Path]:
    """A data dir with one conversation, on a read-only medium (root: a tmpfs remounted
    read-only) or in a folder without write permission (other users)."""
    if IS_ROOT:
        with tmpfs(tmp_path / "medium", "8m", "") as mount:
            data = mount / "data"
            assert chat(data, tiny_model, "hello there", "--max-tokens", "3").returncode == 0
            subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
            yield data
        return
    data = tmp_path / "data"
    assert chat(data, tiny_model, "hello there", "--max-tokens", "3").returncode == 0
    data.chmod(0o555)
    try:
        yield data
    finally:
        data.chmod(0o755)


def test_a_read_only_medium_can_be_read_searched_and_exported(
    read_only_data: Path, tiny_model: Path
) -> None:
    exported = run_cli("export", "--data-dir", read_only_data, "--format", "markdown")
    assert exported.returncode == 0, exported.stderr
    assert "# hello there" in exported.stdout
    found = run_cli("search", "--data-dir", read_only_data, "hello")
    assert found.returncode == 0 and "[hello] there" in found.stdout
    done = chat(read_only_data, tiny_model, "more")
    assert done.returncode == 1
    assert "cannot write the data directory" in one_line(done.stderr)


def test_the_window_opens_a_read_only_medium_read_only_and_says_so(
    read_only_data: Path, make_window, qtbot
) -> None:
    window = make_window(data=read_only_data)
    banner = window.chat_panel.banner
    qtbot.waitUntil(lambda: banner.isVisible())
    assert banner.label.text().startswith("Read-only: cannot write the data directory")
    qtbot.waitUntil(lambda: len(window.sidebar.titles()) == 1)


@pytest.fixture
def read_only_file(tmp_path: Path, tiny_model: Path) -> Iterator[Path]:
    """A data dir whose database file cannot be written (chattr +i as root, else mode 444)."""
    data = tmp_path / "data"
    assert chat(data, tiny_model, "hello there", "--max-tokens", "3").returncode == 0
    db = data / DB_FILENAME
    if IS_ROOT:
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
            pytest.skip("this file system has no immutable files, and root writes any file")
    else:
        db.chmod(0o444)
    try:
        yield data
    finally:
        if IS_ROOT:
            subprocess.run(["chattr", "-i", str(db)], check=False)
        db.chmod(0o644)


def test_a_read_only_database_file_is_one_line_and_still_exports(
    read_only_file: Path, tiny_model: Path
) -> None:
    done = chat(read_only_file, tiny_model, "more")
    assert done.returncode == 1
    assert "read-only" in one_line(done.stderr) or "readonly" in one_line(done.stderr)
    exported = run_cli("export", "--data-dir", read_only_file, "--format", "markdown")
    assert exported.returncode == 0 and "# hello there" in exported.stdout


# --- another program's file, two chatapps, bad text ---------------------------------------------


def test_another_programs_sqlite_file_is_refused_without_being_touched(
    tmp_path: Path, tiny_model: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / DB_FILENAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE accounts (name TEXT, balance INTEGER)")
    conn.execute("INSERT INTO accounts VALUES ('ada', 100)")
    conn.commit()
    conn.close()
    before = digest(db)
    for args in (("chat", "--model", tiny_model, "hi"), ("export",), ("search", "x")):
        done = run_cli(*args, "--data-dir", data)
        assert done.returncode == 1
        assert "not a chatapp database" in one_line(done.stderr)
    assert digest(db) == before
    assert sorted(p.name for p in data.iterdir()) == [DB_FILENAME]  # no -wal, no -shm


def test_two_continues_at_once_are_both_saved_and_the_overtaken_one_says_so(
    tmp_path: Path, long_model: Path
) -> None:
    data = tmp_path / "data"
    first = chat(data, long_model, "start", "--max-tokens", "4")
    conv = first.stderr.split("conversation ")[1].split()[0]
    slow = Running(
        "chat",
        "--data-dir",
        data,
        "--model",
        long_model,
        "--continue",
        conv,
        "long",
        "--max-tokens",
        "6000",
    )
    slow.wait_for("a")  # its reply streams while the second one starts and finishes
    quick = chat(data, long_model, "short", "--continue", conv, "--max-tokens", "5")
    assert quick.returncode == 0, quick.stderr
    code, out, err = slow.finish()
    assert code == 0, err
    assert "tokens," in err and "tokens," in quick.stderr  # both print their metrics
    assert "moved on while this reply was written" in err and "saved as a branch" in err
    saved = {r[2] for r in rows(data / DB_FILENAME) if r[1] == "assistant"}
    assert out.rstrip("\n") in saved  # both replies are saved


@pytest.mark.parametrize("where", ["argv", "stdin", "system"])
def test_text_that_is_not_utf8_is_one_line_and_creates_nothing(
    tmp_path: Path, tiny_model: Path, where: str
) -> None:
    data = tmp_path / "data"
    bad = b"bad \xff\xfe"
    if where == "stdin":
        argv = [b"-"]
    elif where == "system":
        argv = [b"fine", b"--system", bad]
    else:
        argv = [bad]
    done = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"chatapp",
            b"chat",
            b"--data-dir",
            bytes(data),
            b"--model",
            bytes(tiny_model),
            *argv,
        ],
        input=bad if where == "stdin" else None,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    assert "is not UTF-8 text" in one_line(done.stderr.decode())
    assert not (data / DB_FILENAME).exists()  # no empty conversation left behind


def test_the_window_says_saving_waits_for_a_lock_and_saves_the_whole_reply_after(
    tmp_path: Path, long_model: Path, make_window, qtbot
) -> None:
    from PySide6.QtCore import Qt

    from chatapp.core.config.settings import GenerationSettings

    window = make_window(long_model, generation=GenerationSettings(max_tokens=1500, seed=1))
    banner = window.chat_panel.banner
    other = sqlite3.connect(tmp_path / "data" / DB_FILENAME, isolation_level=None)
    window.composer.setFocus()
    qtbot.keyClicks(window.composer, "tell me")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.state.stream is not None, timeout=20_000)  # streaming
    other.execute("BEGIN IMMEDIATE")  # another program takes the lock mid-reply
    with qtbot.waitSignal(window.reply_done, timeout=60_000) as done:
        qtbot.waitUntil(lambda: "Saving the reply waits" in banner.label.text(), timeout=20_000)
        other.execute("COMMIT")
    other.close()
    reply_id = str(done.args[1])
    with Store.open_dir(tmp_path / "data") as store:
        saved = store.get_message(reply_id)
    assert saved.metrics is not None
    assert saved.content == window.chat_view.widgets[reply_id].text and len(saved.content) > 100


def test_export_of_an_older_chatapps_database_upgrades_it_first(tmp_path: Path) -> None:
    from chatapp.core.storage.store import migrate

    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / DB_FILENAME, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES"
        " ('c1', 'Old chat', '2025-01-01T10:00:00.000Z', '2025-01-01T10:01:00.000Z')"
    )
    conn.close()
    done = run_cli("export", "--data-dir", data, "--format", "markdown")
    assert done.returncode == 0, done.stderr
    assert "# Old chat" in done.stdout


def test_a_message_that_cannot_be_saved_leaves_no_empty_conversation(tmp_path: Path) -> None:
    from chatapp.core.chat.service import ChatService
    from chatapp.core.storage.store import InvalidText

    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, GenerationSettings)
        with pytest.raises(InvalidText, match="not valid Unicode"):
            chats.send(None, "half a pair \ud800", model="m")
        assert store.list_conversations() == []
        conv, msg = chats.send(None, "a good one", model="m")
        assert store.thread(conv.id) == [msg] and conv.title == "a good one"


def test_a_send_that_cannot_be_saved_gives_the_text_back_and_the_window_stays_usable(
    read_only_data: Path, tiny_model: Path, make_window, qtbot
) -> None:
    from PySide6.QtCore import Qt

    window = make_window(tiny_model, data=read_only_data)
    banner, panel = window.chat_panel.banner, window.chat_panel
    for attempt in range(2):  # the second try meets the same clear refusal, not "still streaming"
        window.composer.setFocus()
        if attempt == 0:
            qtbot.keyClicks(window.composer, "will not be saved")
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not panel.busy)
        assert "cannot write" in banner.label.text()
        assert window.composer.toPlainText() == "will not be saved"  # nothing typed is lost
        assert not panel.stop_button.isVisible()


def _damage_with_sql(data: Path, *statements: str) -> Path:
    """A database damaged the way flipped bytes damage one: through raw SQL on the file."""
    with Store.open_dir(data) as store:
        for c in range(3):
            conv = store.create_conversation()
            for i in range(4):
                store.add_message(conv.id, "user", f"question {c}.{i}")
                store.begin_reply(conv.id)
    conn = sqlite3.connect(data / DB_FILENAME, isolation_level=None)
    for sql in statements:
        conn.execute(sql)
    conn.close()
    return data


def test_text_whose_bytes_were_damaged_is_exported_and_repaired(tmp_path: Path) -> None:
    data = _damage_with_sql(
        tmp_path / "data",
        "UPDATE messages SET content = CAST(x'71fffe21' AS TEXT) WHERE rowid = 3",
        "UPDATE messages SET content = x'68656c6c6f' WHERE rowid = 5",  # a BLOB where text was
        "UPDATE messages SET created_at = 12345 WHERE rowid = 7",  # a number where text was
    )
    out = tmp_path / "out.json"
    done = run_cli("export", "--data-dir", data, "-o", out)
    assert done.returncode == 0, done.stderr
    assert "damaged; exported what could be read" in one_line(done.stderr)
    contents = {
        m["content"] for c in json.loads(out.read_text())["conversations"] for m in c["messages"]
    }
    assert "q\ufffd\ufffd!" in contents and "hello" in contents and "question 2.3" in contents
    fixed = run_cli("repair", "--data-dir", data)
    assert fixed.returncode == 0 and "repaired" in one_line(fixed.stderr)
    again = run_cli("export", "--data-dir", data, "--format", "markdown")
    assert again.returncode == 0 and "Traceback" not in again.stderr
    assert "question 2.3" in again.stdout


def test_a_damaged_page_high_in_the_tree_makes_repair_refuse_rather_than_lose_rows(
    damaged: Path, tmp_path: Path
) -> None:
    db = damaged / DB_FILENAME
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
    conn.close()
    raw = bytearray(db.read_bytes())
    raw[(root - 1) * 4096 : root * 4096] = os.urandom(4096)
    db.write_bytes(bytes(raw))
    before = digest(db)
    done = run_cli("repair", "--data-dir", damaged)
    assert done.returncode == 1
    assert "the file is left as it is" in one_line(done.stderr)
    assert digest(db) == before
    out = tmp_path / "what.json"
    exported = run_cli("export", "--data-dir", damaged, "-o", out)
    assert exported.returncode == 0 and "rows could not" in one_line(exported.stderr)
    assert len(json.loads(out.read_text())["conversations"]) == 50  # their rows are intact


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, tiny_model: Path) -> None:
    data = tmp_path / "data"
    for i in range(3):
        assert chat(data, tiny_model, f"hello number {i}", "--max-tokens", "2").returncode == 0
    done = subprocess.run(
        f"{sys.executable} -m chatapp search --data-dir {data} hello | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_a_read_only_medium_with_a_wal_left_by_a_crash_shows_the_newest_messages(
    tmp_path: Path,
) -> None:
    why = "a read-only medium needs root to mount; chmod cannot strand a -wal"
    with tmpfs(tmp_path / "medium", "8m", why) as mount:
        data = mount / "data"
        crash = (
            "import os, sys; from pathlib import Path;"
            "from chatapp.core.storage.store import Store;"
            "s = Store.open_dir(Path(sys.argv[1])); c = s.create_conversation('Kept in the wal');"
            "s.add_message(c.id, 'user', 'the newest words'); os._exit(0)"
        )
        subprocess.run([sys.executable, "-c", crash, str(data)], check=True)
        assert (data / f"{DB_FILENAME}-wal").stat().st_size > 0  # the crash left it unmerged
        (data / f"{DB_FILENAME}-shm").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        done = run_cli("export", "--data-dir", data, "--format", "markdown")
        assert done.returncode == 0, done.stderr
        assert "# Kept in the wal" in done.stdout and "the newest words" in done.stdout
