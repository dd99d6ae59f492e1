"""Route llama.cpp's log into Python ``logging`` and let a caller read what it said.

llama.cpp explains a failed load only in its log ("unknown model architecture: 'x'"), and reports
GPU offload there too ("offloaded 33/33 layers to GPU"). One process-wide callback (llama.cpp has
exactly one) forwards every line to the ``llama.cpp`` logger and to any capture open on the
calling thread.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import llama_cpp

log = logging.getLogger("llama.cpp")

# ggml_log_level: NONE=0, DEBUG=1, INFO=2, WARN=3, ERROR=4, CONT=5 (continues the last line)
_LEVELS = {
    0: logging.DEBUG,
    1: logging.DEBUG,
    2: logging.DEBUG,
    3: logging.WARNING,
    4: logging.ERROR,
}
_lock = threading.Lock()
_captures: dict[int, list[tuple[int, str]]] = {}
_installed = False


@llama_cpp.llama_log_callback  # type: ignore[misc, untyped-decorator]  # ctypes, no stubs
def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    line = text.decode("utf-8", errors="replace")
    with _lock:
        capture = _captures.get(threading.get_ident())
        if capture is not None:
            capture.append((level, line))
    if level != 5 and line.strip():
        log.log(_LEVELS.get(level, logging.DEBUG), "%s", line.rstrip())


def install() -> None:
    """Install the callback (idempotent). Must run after ``llama_cpp`` is imported."""
    global _installed
    with _lock:
        if not _installed:
            llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
            _installed = True


@contextmanager
def capture() -> Iterator[list[tuple[int, str]]]:
    """Collect ``(level, text)`` of every llama.cpp log line emitted on this thread."""
    install()
    lines: list[tuple[int, str]] = []
    ident = threading.get_ident()
    with _lock:
        _captures[ident] = lines
    try:
        yield lines
    finally:
        with _lock:
            _captures.pop(ident, None)


def errors(lines: list[tuple[int, str]]) -> list[str]:
    """The error lines of a capture, without llama.cpp's function-name prefixes."""
    out = []
    for level, text in lines:
        if level == 4:
            msg = text.strip()
            # "llama_model_load: error loading model: unknown model architecture: 'x'"
            if ": error loading model: " in msg:
                msg = msg.split(": error loading model: ", 1)[1]
            out.append(msg)
    return out
