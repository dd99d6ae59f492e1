"""Real scale in one run: a real model, a 100,000-message history, long replies, closing.

Prints one table, ours against the raw library on the same work where there is one:

- reading a real model's metadata (``read_model_info``) vs loading it in ``llama_cpp.Llama``;
- a whole ``chatapp chat`` (load, 256 tokens, save) vs a raw llama-cpp-python script with the
  same settings, greedy, as separate processes, alternating; the two texts must be equal;
- opening a 100- and a 5,000-message conversation in the window: first paint, longest stall,
  switching away (offscreen Qt, through benchmarks/bench_view.py);
- the cost of a repaint while a 1, 5 and 20 KB reply streams, and of a send in a 500-message chat;
- full-text search for common words over 100,000 messages, vs FTS5 ranking every match;
- the same in Chinese, over a 100,000-message history 30% Chinese (``--only chinese``): 2-, 4-
  and 1-character words, a word glued to Chinese text, mixed queries, vs what unicode61 finds;
  and the schema-10 migration that builds the trigram index over it: time, and size on disk;
- closing the window while a long prompt is read, and while a reply streams.

The real model comes from ../shared/models/fetch-real-model (or $CHATAPP_REAL_MODEL). The history
is generated once into benchmarks/out/scale/. Usage: ``python benchmarks/bench_scale.py
[--runs N] [--only metadata,chat,search,chinese,view,window]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from realmodel import real_model

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

PROMPT = "Write a detailed tutorial on Python list comprehensions, with many examples."
RAW_CHAT = r"""
import sys, time, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=4096, n_batch=512, verbose=False)
out = llm.create_chat_completion(
    [{"role": "user", "content": sys.argv[2]}], max_tokens=256, temperature=0.0, seed=1,
    top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1,
)
sys.stdout.write(out["choices"][0]["message"]["content"] + "\n")
"""


def median_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def metadata(model: Path, runs: int) -> list[tuple[str, str, str]]:
    import llama_cpp

    from chatapp.core.models.modelinfo import read_model_info

    ours = median_ms(lambda: read_model_info(model), runs)

    def raw_load() -> None:
        llama_cpp.Llama(model_path=str(model), n_ctx=512, verbose=False).close()

    raw = median_ms(raw_load, runs)
    return [("read a real model's metadata (151k vocab)", f"{ours:.1f} ms", f"{raw:.0f} ms load")]


def whole_chat(model: Path, runs: int) -> list[tuple[str, str, str]]:
    ours_s, raw_s, texts = [], [], set()
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data:
            cmd = [
                sys.executable,
                "-m",
                "chatapp",
                "chat",
                "--data-dir",
                data,
                "--model",
                str(model),
            ]
            cmd += ["--ctx", "4096", "--max-tokens", "256", "--temperature", "0", "--seed", "1"]
            t = time.perf_counter()
            ours = subprocess.run([*cmd, PROMPT], capture_output=True, text=True, check=True)
            ours_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw = subprocess.run(
            [sys.executable, "-c", RAW_CHAT, str(model), PROMPT],
            capture_output=True,
            text=True,
            check=True,
        )
        raw_s.append(time.perf_counter() - t)
        texts.update((ours.stdout.strip(), raw.stdout.strip()))
    ours_m, raw_m = statistics.median(ours_s), statistics.median(raw_s)
    same = "same text" if len(texts) == 1 else f"{len(texts)} different texts"
    return [
        (
            "whole `chatapp chat`: load, 256 tokens, save",
            f"{ours_m:.2f} s ({ours_m / raw_m:.3f} x raw, {same})",
            f"{raw_m:.2f} s",
        )
    ]


def history() -> tuple[Path, str]:
    from scale_data import make_history

    data = OUT / "scale"
    marker = data / "newest.txt"
    if not marker.exists():
        print("generating 100,000 messages (once) ...", file=sys.stderr)
        data.mkdir(parents=True, exist_ok=True)
        store, newest = make_history(data)
        store.close()
        marker.write_text(newest)
    return data, marker.read_text().strip()


def search(data: Path, runs: int) -> list[tuple[str, str, str]]:
    from chatapp.core.storage.store import Store, _fts_query

    rows = []
    db = sqlite3.connect(data / "chatapp.sqlite3")
    with Store.open_dir(data) as store:
        for word in ("the", "python code", "error"):
            store.search(word)  # warm the page cache
            ours = median_ms(lambda w=word: store.search(w, 50), runs)  # type: ignore[misc]
            match = _fts_query(word)
            raw = median_ms(
                lambda m=match: db.execute(  # type: ignore[misc]
                    "SELECT rowid, snippet(messages_fts, 0, '[', ']', '…', 12) FROM messages_fts"
                    " WHERE messages_fts MATCH ? ORDER BY rank LIMIT 50",
                    (m,),
                ).fetchall(),
                runs,
            )
            rows.append(
                (f"search {word!r}, 50 hits of 100k messages", f"{ours:.1f} ms", f"{raw:.1f} ms")
            )
    return rows


ZH_QUERIES = (
    "模型",
    "语言模型",
    "型",
    "的",
    "Transformer",
    "Transformer 模型",
    "数据 Python",
    "the",
    "error",
)


def chinese_history() -> Path:
    from scale_data import make_history

    data = OUT / "scale-zh"
    marker = data / "newest.txt"
    if not marker.exists():
        print("generating 100,000 messages, 30% Chinese (once) ...", file=sys.stderr)
        data.mkdir(parents=True, exist_ok=True)
        store, newest = make_history(data, chinese=0.3)
        store.close()
        marker.write_text(newest)
    return data


def _used_mb(db: sqlite3.Connection) -> float:
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    size = db.execute("PRAGMA page_size").fetchone()[0]
    return (pages - free) * size / 1e6


def chinese(runs: int) -> list[tuple[str, str, str]]:
    """Chinese queries over a part-Chinese 100k history, then the migration that indexes it."""
    import shutil

    from chatapp.core.storage.store import MIGRATIONS, SCHEMA_VERSION, Store, _fts_query

    # the migration is undone by dropping what it made: only the newest step can be
    assert "chinese" in MIGRATIONS[-1].__name__, "the trigram index is no longer the last step"

    data = chinese_history()
    rows = []
    db = sqlite3.connect(data / "chatapp.sqlite3")
    with Store.open_dir(data) as store:
        for query in ZH_QUERIES:
            store.search(query)  # warm the page cache
            ours = median_ms(lambda q=query: store.search(q, 50), runs)  # type: ignore[misc]
            hits = len(store.search(query, 50))
            words = db.execute(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", (_fts_query(query),)
            ).fetchone()[0]
            rows.append(
                (f"search {query!r}, 100k messages, 30% Chinese", f"{ours:.1f} ms, {hits} hits",
                 f"word search alone: {words} matches")
            )  # fmt: skip
    db.close()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "chatapp.sqlite3"
        shutil.copyfile(data / "chatapp.sqlite3", old)  # closed: the WAL is checkpointed
        conn = sqlite3.connect(old, isolation_level=None)
        with_index = _used_mb(conn)
        text_mb = conn.execute("SELECT sum(length(CAST(content AS BLOB))) FROM messages")
        text_mb = text_mb.fetchone()[0] / 1e6
        conn.executescript(
            "DROP TRIGGER messages_tri_insert; DROP TRIGGER messages_tri_delete;"
            " DROP TRIGGER messages_tri_update; DROP TABLE messages_tri_vocab;"
            f" DROP TABLE messages_tri; PRAGMA user_version = {SCHEMA_VERSION - 1};"
        )
        before = _used_mb(conn)
        conn.close()
        t = time.perf_counter()
        Store(old, check=False).close()
        took = time.perf_counter() - t
        conn = sqlite3.connect(old)
        after = _used_mb(conn)
        conn.close()
    rows.append(
        (f"migrate to schema {SCHEMA_VERSION}: trigram index of 100k messages",
         f"{took:.1f} s", f"{text_mb:.0f} MB of text")
    )  # fmt: skip
    rows.append(
        ("database in use, before / after the migration",
         f"{before:.0f} / {after:.0f} MB (+{after - before:.0f} MB)",
         f"generated with it: {with_index:.0f} MB")
    )  # fmt: skip
    return rows


def view() -> list[tuple[str, str, str]]:
    """benchmarks/bench_view.py's table: the view on its own, in a process of its own."""
    done = subprocess.run(
        [sys.executable, str(HERE / "bench_view.py")], capture_output=True, text=True, check=True
    )
    rows = []
    for line in done.stdout.splitlines():
        what, _, value = line.partition("  ")
        if value.strip():
            rows.append((what.strip(), value.strip(), ""))
    return rows


# The real window on the 100k-message store, with the 5,000-message chat the newest: time from
# the window appearing to that conversation shown, the longest stall in the first second, then
# (with a model) closing while a long prompt is read and while a reply streams.
WINDOW_PROBE = r"""
import json, sys, time
from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication
import chatapp.ui.main.window as w
out = {}
stall = {"last": 0.0, "longest": 0.0}
def tick():
    now = time.perf_counter()
    if stall["last"]:
        stall["longest"] = max(stall["longest"], now - stall["last"])
    stall["last"] = now
original_show = w.MainWindow.show
def show(self):
    original_show(self)
    out["shown"] = time.perf_counter()
    timer = QTimer(self); timer.setInterval(5); timer.timeout.connect(tick); timer.start()
    def shown(_conv_id):
        if "opened" not in out:
            out["opened"] = time.perf_counter() - out["shown"]
    self.conversation_shown.connect(shown)
    def after_a_second():
        out["stall"] = stall["longest"]
        timer.stop()
        if len(sys.argv) > 2:
            self.model_loaded.connect(lambda _m: start(self))
            if self.model is not None:
                start(self)
        else:
            finish(self)
    QTimer.singleShot(1500, after_a_second)
class Hook(QObject):  # lives on the GUI thread, so the worker's signal is queued to it
    @Slot(str, int, int)
    def progress(self, _msg, done, total):
        if "close_prompt" not in out and done == 0 and total > 600:
            QTimer.singleShot(200, lambda: finish(self.win, "close_prompt"))
hook = Hook()
def start(win):
    hook.win = win
    win.engine.worker.prompt_progress.connect(hook.progress)
    win.new_chat()
    win.send("Summarise this log:\n" + "INFO all systems nominal\n" * 200)
def finish(win, key=None):
    t = time.perf_counter()
    win.close()
    if key:
        out[key] = time.perf_counter() - t
    print(json.dumps(out), flush=True)
    QApplication.instance().quit()
w.MainWindow.show = show
from chatapp.cli import main
args = ["--data-dir", sys.argv[1]] + (["--model", sys.argv[2]] if len(sys.argv) > 2 else [])
main(args)
"""


def window(data: Path, model: Path | None) -> list[tuple[str, str, str]]:
    import json
    import shutil

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as copy:  # the probe's own chat must not become the newest
        shutil.copy2(data / "chatapp.sqlite3", copy)
        args = [sys.executable, "-c", WINDOW_PROBE, copy] + ([str(model)] if model else [])
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        return [("window probe failed", done.stderr.strip().splitlines()[-1][:80], "")]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        (
            "window on 100k messages: newest (5,000) chat shown",
            f"{got['opened'] * 1000:.0f} ms after the window",
            "",
        ),
        (
            "window on 100k messages: longest stall, first 1.5 s",
            f"{got['stall'] * 1000:.0f} ms",
            "",
        ),
    ]
    if "close_prompt" in got:
        rows.append(
            ("close while a 1,200-token prompt is read", f"{got['close_prompt'] * 1000:.0f} ms", "")
        )
    return rows


SECTIONS = ("metadata", "chat", "search", "chinese", "view", "window")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; rows: what, chatapp, raw library",
        flush=True,
    )
    model = real_model() if wanted & {"metadata", "chat", "window"} else None
    data = history()[0] if wanted & {"search", "window"} else None
    steps = {
        "metadata": lambda: metadata(model, args.runs),
        "chat": lambda: whole_chat(model, max(3, args.runs // 2)),
        "search": lambda: search(data, args.runs),
        "chinese": lambda: chinese(args.runs),
        "view": view,
        "window": lambda: window(data, model),
    }
    for name in SECTIONS:
        if name in wanted:
            for what, ours, raw in steps[name]():  # type: ignore[no-untyped-call]
                print(f"{what:<52}  {ours:<40}  {raw}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
