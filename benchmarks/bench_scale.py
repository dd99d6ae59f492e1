"""Real scale in one run: a real model, a 100,000-message history, long replies, closing.

Prints one table, ours against the raw library on the same work where there is one:

- reading a real model's metadata (``read_model_info``) vs loading it in ``llama_cpp.Llama``;
- a whole ``chatapp chat`` (load, 256 tokens, save) vs a raw llama-cpp-python script with the
  same settings, greedy, as separate processes, alternating; the two texts must be equal;
- opening a 100- and a 5,000-message conversation in the window: first paint, longest stall,
  switching away (offscreen Qt, through benchmarks/bench_view.py);
- the cost of a repaint while a 1, 5 and 20 KB reply streams, and of a send in a 500-message chat;
- full-text search for common words over 100,000 messages, vs FTS5 ranking every match;
- closing the window while a long prompt is read, and while a reply streams.

The real model comes from ../shared/models/fetch-real-model (or $CHATAPP_REAL_MODEL). The history
is generated once into benchmarks/out/scale/. Usage: ``python benchmarks/bench_scale.py
[--runs N] [--skip-chat]``.
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

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

PROMPT = "Write a detailed tutorial on Python list comprehensions, with many examples."
RAW_CHAT = """
import sys, time, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=4096, n_batch=512, verbose=False)
out = llm.create_chat_completion(
    [{"role": "user", "content": sys.argv[2]}], max_tokens=256, temperature=0.0, seed=1,
    top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.1,
)
sys.stdout.write(out["choices"][0]["message"]["content"] + "\\n")
"""


def real_model() -> Path:
    if given := os.environ.get("CHATAPP_REAL_MODEL"):
        return Path(given)
    script = ROOT.parent / "shared" / "models" / "fetch-real-model"
    out = ROOT / ".test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    done = subprocess.run([str(script), str(out)], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])


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


def view(data: Path, newest: str) -> list[tuple[str, str, str]]:
    try:
        import bench_view
    except ImportError:
        return [("conversation view", "benchmarks/bench_view.py missing", "")]
    return list(bench_view.scale_rows(data, newest))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-chat", action="store_true", help="leave out the real-model runs")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    if not args.skip_chat:
        model = real_model()
        rows += metadata(model, args.runs)
        rows += whole_chat(model, max(3, args.runs // 2))
    data, newest = history()
    rows += search(data, args.runs)
    rows += view(data, newest)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'chatapp':<34}  raw library")
    for what, ours, raw in rows:
        print(f"{what:<{width}}  {ours:<34}  {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
