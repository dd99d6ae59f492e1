"""The audit hook behind every window test catches disk use on the GUI thread, and only there."""

from __future__ import annotations

import threading
from pathlib import Path
from types import FrameType

import shiboken6
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget
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


def _frames_back(exc: BaseException) -> list[FrameType]:
    """The frame an exception was caught in and, linked back from it, every caller."""
    tb = exc.__traceback__
    assert tb is not None
    frame: FrameType | None = tb.tb_frame
    out = []
    while frame is not None:
        out.append(frame)
        frame = frame.f_back
    return out


def _kept_events(exc: BaseException) -> list[QEvent]:
    """The Qt events whose wrappers those frames keep alive, in their locals (or a tuple there)."""
    values = [v for f in _frames_back(exc) for v in f.f_locals.values()]
    values += [x for v in values if isinstance(v, tuple) for x in v]
    return [v for v in values if isinstance(v, QEvent) and shiboken6.isValid(v)]


def test_an_exception_kept_after_a_slot_does_not_keep_the_event_that_ran_it(qtbot: QtBot) -> None:
    # A slot that keeps the exception it caught (as the engine keeps a template's error) keeps
    # its traceback's frames, and through them WatchedApplication.notify's frame. PySide does
    # not invalidate notify()'s event wrapper once the event is delivered and freed: were it
    # kept, a QObject made later at that address would reach notify() as a QEvent.
    kept: list[BaseException] = []

    def slot() -> None:
        try:
            raise ValueError("kept")
        except ValueError as exc:
            kept.append(exc)

    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: bool(kept))
    assert any(
        f.f_code is gui_io.WatchedApplication.notify.__code__ for f in _frames_back(kept[0])
    ), "the slot did not run inside WatchedApplication.notify"
    assert _kept_events(kept[0]) == []


def test_a_stale_wrapper_at_a_receivers_address_still_reaches_the_receiver(qtbot: QtBot) -> None:
    # What a stale event wrapper does: PySide finds it by the address of an object Qt made
    # since, and hands it to notify() as that object. Here one is made on purpose, a QEvent
    # wrapper at the address of a scroll area's viewport (a QWidget made by Qt, in C++).
    area = QScrollArea()
    qtbot.addWidget(area)
    viewport = area.viewport()
    address = shiboken6.getCppPointer(viewport)[0]
    shiboken6.invalidate(viewport)
    del viewport
    stale = shiboken6.wrapInstance(address, QEvent)
    assert isinstance(area.viewport(), QEvent)  # PySide now hands out the stale wrapper
    with qtbot.captureExceptions() as exceptions:
        area.resize(200, 100)
        area.show()
        qtbot.waitExposed(area)
    assert exceptions == []  # before: TypeError, QApplication.notify(QEvent, QEvent)
    assert not shiboken6.isValid(stale)
    assert isinstance(area.viewport(), QWidget)


def test_an_exception_in_a_slot_still_reaches_pytest_qt(qtbot: QtBot) -> None:
    """WatchedApplication.notify passes a slot's exception on: pytest-qt fails the test."""

    def slot() -> None:
        raise RuntimeError("from a slot")

    with qtbot.captureExceptions() as exceptions:
        QTimer.singleShot(0, slot)
        qtbot.waitUntil(lambda: bool(exceptions))
    assert [str(e[1]) for e in exceptions] == ["from a slot"]


def test_an_event_qt_made_is_invalid_once_delivered_and_one_python_made_is_not(
    qtbot: QtBot,
) -> None:
    # PySide's own rule for an event handler's event, kept under WatchedApplication.notify:
    # a handler that keeps Qt's event keeps a dead wrapper, not one found by a later object.
    kept: list[QEvent] = []

    class Keeper(QWidget):
        def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
            kept.append(event)
            super().closeEvent(event)

    widget = Keeper()
    qtbot.addWidget(widget)
    widget.show()
    widget.close()
    assert len(kept) == 1 and not shiboken6.isValid(kept[0])
    mine = QEvent(QEvent.Type.User)
    QApplication.sendEvent(widget, mine)
    assert shiboken6.isValid(mine) and mine.type() == QEvent.Type.User  # still the caller's
