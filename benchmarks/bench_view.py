"""Chat view cost: open, switch away, append and streaming repaints, on real widgets.

Prints one table:
- first paint after ``show_messages`` for 100 and 5,000 messages (target < 300 ms) and the
  longest GUI stall while the conversation opens and settles (target < 50 ms), measured by a
  5 ms QTimer probe whose longest gap between ticks is how long the window was frozen;
- ``clear`` (switching away, target < 100 ms) and the number of message widgets that existed;
- appending one message to a 500-message conversation (target < 16 ms);
- one streaming repaint (``update_text`` plus the layout and paint it causes) at 1, 5 and 20 KB
  of reply with code blocks (target < 5 ms).

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless DISPLAY is set. Usage:
``python benchmarks/bench_view.py [SIZES...] [--cold]`` (the sizes to open; 100 and 5000 by
default; ``--cold`` skips the Markdown warm-up that ``run_app`` does before the window shows)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from chatapp.core.storage.store import Message
from chatapp.ui.main.messages import ChatView, MessageWidget
from chatapp.ui.main.render import warm_up

REPLY = """Here is how you can do it:

1. Read the file line by line.
2. Keep a running **total** and a `count`.

```python
def mean(path):
    total = count = 0
    with open(path) as f:
        for line in f:
            total += float(line)
            count += 1
    return total / count
```

That is *all* there is to it; see [the docs](https://docs.python.org/3/) for more.
"""


def conversation(n: int) -> list[Message]:
    out = []
    for i in range(n):
        user = i % 2 == 0
        out.append(
            Message(
                id=f"m{i}",
                conversation_id="c",
                parent_id=f"m{i - 1}" if i else None,
                role="user" if user else "assistant",
                content=f"Question {i}: how do I average a file?" if user else REPLY,
                created_at="2026-01-01T00:00:00",
                model=None if user else "tiny",
            )
        )
    return out


class Probe(QObject):
    """The longest gap between ticks of a 5 ms timer, and the time of the first paint."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.longest = 0.0
        self.painted: float | None = None

    def start(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0
        self.painted = None
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.Paint and self.painted is None:
            self.painted = time.perf_counter()
        return False


def settle(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    if "--cold" not in sys.argv:
        warm_up()  # as run_app does, on a thread, before the window shows
    win = QMainWindow()
    view = ChatView(win)
    win.setCentralWidget(view)
    win.resize(1000, 750)
    win.show()
    probe = Probe()
    app.installEventFilter(probe)  # the first paint of any widget after the open call
    settle(app, 0.3)
    rows: list[tuple[str, str]] = []

    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [100, 5000]
    for n in sizes:
        messages = conversation(n)
        settle(app, 0.1)
        probe.start()
        t0 = time.perf_counter()
        probe.painted = None
        QTimer.singleShot(0, lambda m=messages: view.show_messages(m))  # type: ignore[misc]
        t_call = time.perf_counter()
        while probe.painted is None and time.perf_counter() - t0 < 120:
            app.processEvents()
        first = (probe.painted or time.perf_counter()) - t_call
        settle(app, 1.5)
        probe.timer.stop()
        rows.append((f"open {n} messages: first paint", f"{first * 1000:.0f} ms"))
        rows.append((f"open {n} messages: longest GUI stall", f"{probe.longest * 1000:.0f} ms"))
        count = len(win.findChildren(MessageWidget))
        rows.append((f"open {n} messages: message widgets", str(count)))
        t0 = time.perf_counter()
        view.clear()
        t_clear = time.perf_counter() - t0
        probe.start()
        settle(app, 0.5)
        probe.timer.stop()
        rows.append((f"switch away from {n}: clear()", f"{t_clear * 1000:.1f} ms"))
        rows.append(
            (f"switch away from {n}: longest stall after", f"{probe.longest * 1000:.0f} ms")
        )

    messages = conversation(500)
    view.show_messages(messages)
    settle(app, 1.5)
    times = []
    for k in range(5):
        extra = Message(
            id=f"new{k}",
            conversation_id="c",
            parent_id=None,
            role="user",
            content="One more question about averages",
            created_at="2026-01-01T00:00:00",
        )
        t0 = time.perf_counter()
        view.append(extra)
        app.processEvents()
        times.append(time.perf_counter() - t0)
        settle(app, 0.1)
    rows.append(
        ("append to 500 messages (median of 5)", f"{statistics.median(times) * 1000:.1f} ms")
    )

    # streaming: grow one reply to 20 KB of text with code blocks, a piece at a time
    long_reply = (REPLY * 60)[:20_500]
    view.show_messages(conversation(4))
    settle(app, 0.5)
    stream = Message(
        id="s",
        conversation_id="c",
        parent_id=None,
        role="assistant",
        content="",
        created_at="2026-01-01T00:00:00",
        model="tiny",
    )
    view.append(stream, streaming=True)
    marks = {1000: "1 KB", 5000: "5 KB", 20000: "20 KB"}
    samples: dict[str, list[float]] = {v: [] for v in marks.values()}
    updates: dict[str, list[float]] = {v: [] for v in marks.values()}
    step = 40
    for end in range(step, len(long_reply) + 1, step):
        t0 = time.perf_counter()
        view.update_text("s", long_reply[:end])
        view.widgets["s"].body.document().size()  # the layout, without painting
        t1 = time.perf_counter()
        view.viewport().repaint()
        app.processEvents()
        dt = time.perf_counter() - t0
        for size, label in marks.items():
            if size <= end < size + 400:
                samples[label].append(dt)
                updates[label].append(t1 - t0)
    for label, got in samples.items():
        rows.append(
            (
                f"streaming repaint at {label} (median)",
                f"{statistics.median(got) * 1000:.1f} ms"
                f" (render + document update {statistics.median(updates[label]) * 1000:.1f} ms)",
            )
        )
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    win.close()


if __name__ == "__main__":
    main()
