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

    def notify(self, receiver: QObject, event: QEvent) -> bool:  # Qt's name
        depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            return super().notify(receiver, event)
        finally:
            _local.depth = depth


def take() -> list[str]:
    """The violations recorded since the last call."""
    found = violations[:]
    violations.clear()
    return found
