"""Small helpers the window's parts share."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str) -> W:
    """``widget`` with an object name (for style sheets and tests) and an accessible name."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def clip(text: str, n: int) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
