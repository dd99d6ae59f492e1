"""What the fault handling costs, and what it saves, in one table.

- the integrity check each store runs when it opens (``PRAGMA quick_check``), on the
  100,000-message history of bench_scale (benchmarks/out/scale/), vs a full integrity_check;
- reading every row through ``salvage.read_damaged`` vs a plain ``SELECT`` of the same rows;
- one streaming checkpoint (an UPDATE and commit, with its search index) at our
  ``wal_autocheckpoint`` of 16 pages vs SQLite's default of 1,000;
- on a 2 MB tmpfs with 300 KB free (root only), how much of a reply checkpointed twice a second
  is saved before the disk is full, with each setting.

Usage: ``python benchmarks/bench_faults.py [--runs N]``; builds the history first if needed.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from chatapp.core.storage.salvage import read_damaged  # noqa: E402
from chatapp.core.storage.store import Store, StoreError  # noqa: E402


def best_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def scale_db() -> Path:
    db = HERE / "out" / "scale" / "chatapp.sqlite3"
    if not db.exists():
        subprocess.run([sys.executable, str(HERE / "scale_data.py")], check=True)
    return db


def pragma(db: Path, name: str) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert conn.execute(f"PRAGMA {name}").fetchone()[0] == "ok"
    conn.close()


def plain_select(db: Path) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.execute("SELECT * FROM conversations").fetchall()
    conn.execute("SELECT rowid, * FROM messages ORDER BY rowid").fetchall()
    conn.close()


def checkpoint_ms(folder: Path, pages: int, runs: int) -> float:
    with Store(folder / f"ac{pages}.sqlite3") as store:
        store._conn.execute(f"PRAGMA wal_autocheckpoint = {pages}")  # type: ignore[union-attr]
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "hello")
        reply = store.begin_reply(conv.id)
        text = ""
        times = []
        for i in range(runs * 20):
            text += f"word{i} and some more words of a streaming reply "
            start = time.perf_counter()
            store.checkpoint_reply(reply.id, text)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def saved_before_full(pages: int) -> str:
    """Characters of a growing reply saved on a 2 MB tmpfs with 300 KB free."""
    mount = Path(tempfile.mkdtemp(prefix="chatapp-full-"))
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    ).returncode:
        return "(needs root)"
    try:
        with Store.open_dir(mount / "data") as store:
            store._conn.execute(f"PRAGMA wal_autocheckpoint = {pages}")  # type: ignore[union-attr]
            conv = store.create_conversation()
            store.add_message(conv.id, "user", "hello")
            reply = store.begin_reply(conv.id)
            stat = os.statvfs(mount)
            with open(mount / "filler", "wb") as f:
                f.write(b"\0" * (stat.f_bavail * stat.f_frsize - 300 * 1024))
            text, saved = "", 0
            for i in range(20_000):
                text += f"word{i} "
                try:
                    store.checkpoint_reply(reply.id, text)
                except StoreError:
                    break
                saved = len(text)
        return f"{saved:,} characters"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    db = scale_db()
    rows = []
    quick = best_ms(lambda: pragma(db, "quick_check"), runs)
    full = best_ms(lambda: pragma(db, "integrity_check"), runs)
    rows.append(("check at open, 100k messages (warm)", f"{quick:.0f} ms", f"{full:.0f} ms"))
    salvage = best_ms(lambda: read_damaged(db), runs)
    raw = best_ms(lambda: plain_select(db), runs)
    rows.append(("read every row: salvage vs plain SELECT", f"{salvage:.0f} ms", f"{raw:.0f} ms"))
    with tempfile.TemporaryDirectory() as tmp:
        ours = checkpoint_ms(Path(tmp), 16, runs)
        default = checkpoint_ms(Path(tmp), 1000, runs)
    rows.append(
        (
            "one checkpoint (median): autocheckpoint 16 vs 1000",
            f"{ours:.2f} ms",
            f"{default:.2f} ms",
        )
    )
    rows.append(
        ("reply saved, 300 KB free: 16 vs 1000", saved_before_full(16), saved_before_full(1000))
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'ours':>18}  {'raw / default':>18}")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>18}  {b:>18}")


if __name__ == "__main__":
    main()
