"""The GUI thread never touches disk or network: an audit hook that catches it in the act.

Python raises an audit event for every ``open``, ``os.remove``, ``sqlite3.connect`` and socket
connect (PEP 578). The hook records those raised on the main thread while Qt delivers an event:
every slot, timer, paint and queued signal of the window runs inside ``QApplication.notify``,
which ``WatchedApplication`` wraps. Test code itself (setting up a store, checking what was
saved) runs outside event delivery and is not watched.
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

WATCHED = frozenset(
    {
        "open",
        "os.remove",
        "os.unlink",
        "os.rename",
        "os.replace",
        "os.mkdir",
        "os.rmdir",
        "os.listdir",
        "os.scandir",
        "shutil.rmtree",
        "sqlite3.connect",
        "socket.connect",
        "socket.getaddrinfo",
    }
)

# How deep each thread is inside QApplication.notify (worker threads deliver their events
# through it too, so the count is per thread).
_local = threading.local()
violations: list[str] = []


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if (
        event not in WATCHED
        or not getattr(_local, "depth", 0)
        or threading.current_thread() is not threading.main_thread()
    ):
        return
    frame = sys._getframe(1)
    while frame is not None:  # importing a module reads its file, once: not the window's I/O
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib") or name.startswith("shibokensupport"):
            return
        frame = frame.f_back  # type: ignore[assignment]
    depth, _local.depth = _local.depth, 0  # formatting the stack reads source files
    try:
        where = "".join(traceback.format_stack(limit=14)[:-1])
    finally:
        _local.depth = depth
    violations.append(f"{event}{args!r} on the GUI thread, from:\n{where}")


sys.addaudithook(_hook)


class WatchedApplication(QApplication):
    """A QApplication that marks the time it spends delivering events to the window."""

    def notify(self, *args: Any) -> bool:  # Qt's name; (receiver, event)
        receiver, event = _live(*args)
        del args
        depth = getattr(_local, "depth", 0)
        outermost = _deliver(event)
        _local.depth = depth + 1
        try:
            return super().notify(receiver, event)
        finally:
            _local.depth = depth
            if outermost:
                _delivered(event)
            # and this frame (kept by a traceback, say) keeps neither
            del receiver, event


# Overriding notify() gives every event a Python wrapper, made before any event handler sees
# it. PySide invalidates the wrapper it makes for a handler (event(), closeEvent(), ...) once
# the handler returns, but not one that existed before (notify's) and not notify's own: the
# wrapper would stay registered under the event's address after Qt frees the event, for as
# long as anything keeps it -- a frame of notify() or of a handler, kept by an exception's
# traceback (sys.last_exc, a failed job's exception kept or sent on, a log record). PySide
# looks wrappers up by address: a QObject Qt makes later at that address reaches notify() as
# that stale QEvent, and super().notify(QEvent, QEvent) raises TypeError. So notify() does
# what PySide does for a handler: an event Qt made is invalidated once delivered.


def _deliver(event: QEvent) -> bool:
    """Whether this is the outermost delivery of an event Qt made (not Python)."""
    delivering: set[int] = _local.__dict__.setdefault("delivering", set())
    if id(event) in delivering or shiboken6.createdByPython(event):
        return False
    delivering.add(id(event))
    return True


def _delivered(event: QEvent) -> None:
    _local.delivering.discard(id(event))
    shiboken6.invalidate(event)  # the wrapper only; the event is Qt's to delete


def _live(receiver: Any, event: QEvent) -> tuple[QObject, QEvent]:
    """The receiver as a QObject, even where PySide hands over a stale wrapper of another type
    (one that outlived its object, found by the address a new QObject now has)."""
    if not isinstance(receiver, QObject):
        address = shiboken6.getCppPointer(receiver)[0]
        shiboken6.invalidate(receiver)  # forget the stale wrapper, and wrap what is there now
        receiver = shiboken6.wrapInstance(address, QObject)
    return receiver, event


def take() -> list[str]:
    """The violations recorded since the last call."""
    found = violations[:]
    violations.clear()
    return found
