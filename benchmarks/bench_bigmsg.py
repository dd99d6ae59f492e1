"""A 200 MB message: import it, open the window on it, ``chatapp chat --continue`` after it.

The fault it measures: a JSON export whose one message holds 200 MB of text, imported with
``chatapp import``. The window then opens that conversation at start (it is the newest), and
``chatapp chat --continue ID "hi"`` builds a prompt from it. Each step runs in its own process;
peak memory is that process's VmHWM (read at exit, so nothing of this script's own memory
counts). The window runs offscreen; its row is the time from process start until the
conversation is on screen with its widgets built, and the longest gap of a 5 ms timer on the GUI
thread meanwhile (how long the window was frozen).

``--app-root DIR`` runs another checkout of chatapp (say, an older commit unpacked with
``git archive``) for a before/after table. Usage::

    python benchmarks/bench_bigmsg.py [--mb 200] [--model M.gguf] [--app-root DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINE = "2026-11-22 08:52:36.123 INFO worker-3: processed item 123456 in 12 ms, ok\n"

# Runs the command line in this process and writes its peak RSS (VmHWM, kB) to argv[1].
CLI = """
import atexit, sys
def report():
    with open("/proc/self/status") as f:
        hwm = next(l.split()[1] for l in f if l.startswith("VmHWM"))
    with open(sys.argv[1], "w") as out:
        out.write(hwm)
atexit.register(report)
from chatapp.cli import main
sys.exit(main(sys.argv[2:]))
"""

# The window on a data dir: prints seconds from t0 to the conversation shown and settled, the
# longest GUI-thread gap until then (ms) and VmHWM (kB).
WINDOW = """
import sys, time
t0, data, limit = float(sys.argv[1]), sys.argv[2], float(sys.argv[3])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import chatapp.ui.main.window as w
gaps = [0.0]
last = [time.perf_counter()]
def tick():
    now = time.perf_counter()
    gaps.append(now - last[0])
    last[0] = now
def report(label):
    with open("/proc/self/status") as f:
        hwm = next(l.split()[1] for l in f if l.startswith("VmHWM"))
    print(label, f"{time.time() - t0:.3f}", f"{max(gaps) * 1000:.0f}", hwm, flush=True)
    QApplication.instance().quit()
original = w.MainWindow.__init__
def init(self, *a, **k):
    original(self, *a, **k)
    timer = QTimer(self)
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    def shown(_conv_id):
        def settled():
            if self.chat_view._fill_timer.isActive():
                QTimer.singleShot(10, settled)
            else:
                report("shown")
        settled()
    self.conversation_shown.connect(shown)
    QTimer.singleShot(int(limit * 1000), lambda: report("timeout"))
w.MainWindow.__init__ = init
from chatapp.cli import main
sys.exit(main(["--data-dir", data]))
"""


def env(app_root: Path) -> dict[str, str]:
    e = dict(os.environ, PYTHONPATH=str(app_root))
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    return e


def export_file(path: Path, mb: int) -> None:
    """An export with one conversation: a question whose text is ``mb`` MB, and a short reply."""
    text = LINE * (mb * 1_000_000 // len(LINE))
    doc = {
        "format": "chatapp-export",
        "version": 1,
        "exported_at": "2026-11-22T08:52:36.123Z",
        "app_version": "bench",
        "conversations": [
            {
                "id": "b" * 32,
                "title": "Log dump",
                "created_at": "2026-11-22T08:52:36.123Z",
                "updated_at": "2026-11-22T08:52:37.123Z",
                "model": None,
                "system_prompt": None,
                "settings": {},
                "pinned": False,
                "current_leaf_id": "2" * 32,
                "messages": [
                    {
                        "id": "1" * 32,
                        "parent_id": None,
                        "role": "user",
                        "content": text,
                        "created_at": "2026-11-22T08:52:36.123Z",
                        "model": None,
                        "metrics": None,
                    },
                    {
                        "id": "2" * 32,
                        "parent_id": "1" * 32,
                        "role": "assistant",
                        "content": "That is a long log.",
                        "created_at": "2026-11-22T08:52:37.123Z",
                        "model": "bench",
                        "metrics": None,
                    },
                ],
            }
        ],
    }
    Path(path).write_text(json.dumps(doc), encoding="utf-8")


def cli(app_root: Path, args: list[str], timeout: float) -> tuple[float, int | None, int, str]:
    """(seconds, peak RSS MB or None, exit status, last stderr line) of one command."""
    with tempfile.NamedTemporaryFile("r", suffix=".hwm") as hwm:
        started = time.perf_counter()
        try:
            r = subprocess.run(
                [sys.executable, "-c", CLI, hwm.name, *args],
                env=env(app_root),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return timeout, None, -1, f"killed after {timeout:.0f} s"
        seconds = time.perf_counter() - started
        kb = hwm.read().strip()
    lines = r.stderr.strip().splitlines()
    return seconds, int(kb) // 1024 if kb else None, r.returncode, lines[-1] if lines else ""


def window(app_root: Path, data: Path, timeout: float) -> tuple[str, float, float, int]:
    r = subprocess.run(
        [sys.executable, "-c", WINDOW, str(time.time()), str(data), str(timeout)],
        env=env(app_root),
        capture_output=True,
        text=True,
        timeout=timeout + 60,
    )
    line = next(x for x in r.stdout.splitlines() if x.startswith(("shown", "timeout")))
    label, seconds, gap, kb = line.split()
    return label, float(seconds), float(gap), int(kb) // 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=int, default=200, help="size of the message (default 200 MB)")
    p.add_argument("--model", type=Path, help="GGUF model (default: a generated tiny one)")
    p.add_argument("--app-root", type=Path, default=ROOT, help="the chatapp checkout to run")
    p.add_argument("--timeout", type=float, default=120, help="seconds before a step is killed")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model = args.model
        if model is None:
            sys.path.insert(0, str(ROOT))
            from chatapp.core.models.synthetic import write_chat_model

            model = write_chat_model(tmp / "tiny.gguf")
        export = tmp / "export.json"
        subprocess.run(  # in its own process: this one stays small
            [
                sys.executable,
                "-c",
                f"import bench_bigmsg as b; b.export_file({str(export)!r}, {args.mb})",
            ],
            cwd=Path(__file__).parent,
            env=env(args.app_root),
            check=True,
        )
        data = tmp / "data"
        rows: list[tuple[str, str, str, str]] = []
        s, mb, rc, last = cli(
            args.app_root, ["import", "--data-dir", str(data), str(export)], args.timeout
        )
        rows.append((f"import a {args.mb} MB message", f"{s:.2f} s", f"{mb} MB", last))
        export.unlink()
        label, s, gap, mb_ = window(args.app_root, data, args.timeout)
        what = "on screen" if label == "shown" else f"not shown after {args.timeout:.0f} s"
        rows.append(
            (
                "window opens it at start",
                f"{s:.2f} s",
                f"{mb_} MB",
                f"{what}; longest GUI stall {gap:.0f} ms",
            )
        )
        chat = [
            "chat",
            "--data-dir",
            str(data),
            "--model",
            str(model),
            "--ctx",
            "4096",
            "--max-tokens",
            "8",
        ]
        s, mb, rc, last = cli(args.app_root, [*chat, "--continue", "b" * 8, "hi"], args.timeout)
        rows.append(
            ("chat --continue ID hi (drop oldest)", f"{s:.2f} s", f"{mb} MB", f"exit {rc}: {last}")
        )
        s, mb, rc, last = cli(
            args.app_root, [*chat, "--refuse-overflow", "--continue", "b" * 8, "hi"], args.timeout
        )
        rows.append(
            (
                "chat --continue ID hi --refuse-overflow",
                f"{s:.2f} s",
                f"{mb} MB",
                f"exit {rc}: {last}",
            )
        )
    print(f"chatapp at {args.app_root}, model {Path(str(model)).name}")
    print("| step | time | peak RSS | result |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(x.replace("|", "/") for x in row) + " |")


if __name__ == "__main__":
    main()
