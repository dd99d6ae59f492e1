"""The audit hook behind every window test catches disk use on the GUI thread, and only there."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from tests import gui_io


def test_a_slot_that_opens_a_file_is_caught(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    done: list[bool] = []
    gui_io.take()  # what earlier tests left behind

    def slot() -> None:
        target.write_text("from the GUI thread")
        done.append(True)

    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: bool(done))
    found = [f for f in gui_io.take() if str(target) in f]
    assert len(found) == 1 and found[0].startswith("open(")


def test_a_worker_thread_may_use_the_disk(qtbot: QtBot, tmp_path: Path) -> None:
    def slot() -> None:
        t = threading.Thread(target=(tmp_path / "y.txt").write_text, args=("worker",))
        t.start()
        t.join()

    gui_io.take()
    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: (tmp_path / "y.txt").exists())
    assert [f for f in gui_io.take() if str(tmp_path) in f] == []
