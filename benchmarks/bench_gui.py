"""GUI responsiveness: launch time to window shown, and the longest event-loop stall.

Prints one table:
- time from process start to the main window shown, without a model (target < 1.5 s);
- the longest gap between ticks of a 5 ms timer on the GUI thread while a model loads and while
  a reply streams (target < 50 ms): that gap is how long the window would have been frozen.

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless DISPLAY is set. Usage:
``python benchmarks/bench_gui.py``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import chatapp.ui.main.window as w
original_show = w.MainWindow.show
def show(self):
    original_show(self)
    def shown():
        print(f"{time.time() - t0:.4f}", flush=True)
        QApplication.instance().quit()
    QTimer.singleShot(0, shown)
w.MainWindow.show = show
from chatapp.cli import main
sys.exit(main(["--data-dir", sys.argv[2]]))
"""


def launch_times(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data:
            t0 = time.time()
            r = subprocess.run(
                [sys.executable, "-c", PROBE, str(t0), data],
                capture_output=True,
                text=True,
                check=True,
            )
            out.append(float(r.stdout.strip().splitlines()[-1]))
    return out


def stalls() -> tuple[float, float, str]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from chatapp.core.config.appsettings import SETTINGS_FILENAME, AppSettings, SettingsFile
    from chatapp.core.config.settings import GenerationSettings, LoadSettings
    from chatapp.core.inference.engine import Engine
    from chatapp.core.models.synthetic import ModelShape, write_chat_model
    from chatapp.core.storage.store import Store
    from chatapp.ui.main.window import MainWindow

    _app = QApplication.instance() or QApplication(sys.argv)
    tmp = Path(tempfile.mkdtemp())
    # big enough that loading takes a while: ~110M parameters in F32 (~440 MB)
    shape = ModelShape(
        n_embd=1024,
        n_layer=8,
        n_head=16,
        n_head_kv=4,
        n_ff=2816,
        context_length=8192,
        extra_vocab=20_000,
    )
    model = write_chat_model(tmp / "stall.gguf", shape=shape, name="Stall probe")
    store = Store.open_dir(tmp / "data")
    settings = AppSettings().updated(
        generation=GenerationSettings(max_tokens=400, seed=1), load=LoadSettings(n_ctx=4096)
    )
    window = MainWindow(
        store=store,
        engine=Engine(),
        settings_file=SettingsFile(tmp / SETTINGS_FILENAME),
        settings=settings,
    )
    window.show()

    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)

    def measure(start: object, done_signal: object) -> float:
        loop = QEventLoop()
        done_signal.connect(loop.quit)  # type: ignore[attr-defined]
        gaps.clear()
        last[0] = clock.elapsed()
        timer.start()
        start()  # type: ignore[operator]
        loop.exec()
        timer.stop()
        return max(gaps) if gaps else 0.0

    load_stall = measure(lambda: window.load_model(model), window.model_loaded)
    pieces = [0]
    window.reply_piece.connect(lambda _t: pieces.__setitem__(0, pieces[0] + 1))

    def send() -> None:
        window.composer.setPlainText("Tell me a long story about a lighthouse keeper.")
        window.send(window.composer.toPlainText())

    stream_stall = measure(send, window.reply_done)
    note = f"{pieces[0]} pieces streamed; model {model.stat().st_size / 1e6:.0f} MB F32"
    window.close()
    store.close()
    return load_stall, stream_stall, note


def main() -> None:
    os.environ.setdefault(
        "QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb"
    )
    times = launch_times(5)
    load_stall, stream_stall, note = stalls()
    print(f"platform {os.environ['QT_QPA_PLATFORM']}; {os.cpu_count()} cores; {note}")
    print()
    print("| measure                                   | result   | target   |")
    print("|-------------------------------------------|----------|----------|")
    median = statistics.median(times)
    print(f"| launch to window shown, no model (median) | {median:6.2f} s | < 1.5 s  |")
    print(f"| launch to window shown, worst of 5        | {max(times):6.2f} s |          |")
    print(f"| longest GUI stall while a model loads     | {load_stall:5.0f} ms | < 50 ms  |")
    print(f"| longest GUI stall while a reply streams   | {stream_stall:5.0f} ms | < 50 ms  |")


if __name__ == "__main__":
    main()
