"""The window's Local API server switch: other programs use the window's model while the
window stays responsive and keeps its own conversation."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from chatapp.ui.main.api_server import ApiServerDialog
from tests.helpers import TIMEOUT, MakeWindow, send

ROOT = Path(__file__).resolve().parents[1]


def test_32_clients_stream_from_the_windows_model_and_the_window_never_stalls(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, test_keyring: Path
) -> None:
    window = make_window(tiny_model)
    dialog = ApiServerDialog(window.api_server, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.status.text() == "Not serving."
    dialog.port.setValue(_free_port())
    dialog.enabled.setChecked(True)
    qtbot.waitUntil(lambda: bool(dialog.key.text()), timeout=TIMEOUT)
    url, key = dialog.url.text(), dialog.key.text()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
    assert "kept in the system keyring" in dialog.status.text()
    copy = dialog.findChild(QPushButton, "apiServerKeyCopy")
    assert isinstance(copy, QPushButton)
    copy.click()
    assert QGuiApplication.clipboard().text() == key

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    meter = QTimer()
    meter.setInterval(5)
    meter.timeout.connect(tick)
    # the clients are another program, as they would be
    clients = subprocess.Popen(
        [sys.executable, "-m", "tests.api_clients", url, key, "32", "8"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    # what run_app does once the window is up: the objects made at start-up (here: the whole
    # test session's) are left out of garbage collection, so a full collection does not
    # pause the GUI thread for ~100 ms while it walks them
    gc.freeze()
    meter.start()
    qtbot.waitUntil(lambda: clients.poll() is not None, timeout=120_000)
    meter.stop()
    gc.unfreeze()
    out, _ = clients.communicate()
    result = json.loads(out.strip().splitlines()[-1])
    assert not result["errors"], result["errors"][0]
    answered, refused = result["answered"], result["refused"]
    assert len(answered) + len(refused) == 32 and len(answered) >= 9
    for i, a in answered.items():  # each stream is one reply, with its own id throughout
        assert a["ids"] == 1 and a["text"], i
    worst = max(gaps[1:])
    print(f"GUI thread: worst gap {worst * 1000:.1f} ms over {len(gaps)} ticks")
    # The 50 ms target is measured by benchmarks/bench_api.py on a quiet machine (12-32 ms
    # here); this bound catches a window that waits on the API or the engine (seconds), not a
    # test worker beside it taking the CPU.
    assert worst < 0.25

    # the window still chats, with the same model
    reply = send(qtbot, window, "hello after the API")
    assert window.chat_view.widgets[reply].body.toPlainText()
    dialog.enabled.setChecked(False)
    assert dialog.status.text() == "Stopped." and not window.api_server.running


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
