"""The keyboard focus, always visible: a 2 px ring in a high-contrast colour around whichever
widget has the focus, in every window and dialog, whatever the style.

Styles draw focus their own way, and some not at all: Fusion draws none on a flat button (the
message buttons: Copy, Edit, Regenerate, the versions) and a faint one on Send and New chat. A
style sheet could draw it, but a ``border`` in a ``:focus`` rule replaces a button's whole look
and changes its size. So one :class:`FocusRing` is put on the focused widget each time the
focus moves: a child of it, over its edges (a ring outside would be clipped where the widget
fills its parent), that lets the mouse through and paints only the ring.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QWidget

RING_PX = 2

#: the ring's colour: set by the theme (theme.apply_theme), read when the ring paints
_colour = QColor(0, 84, 200)  # theme.FOCUS_ON_LIGHT, until a theme is applied


def set_ring_colour(colour: QColor) -> None:
    global _colour
    _colour = QColor(colour)
    if _tracker is not None and _tracker.ring is not None and shiboken6.isValid(_tracker.ring):
        _tracker.ring.update()


def ring_colour() -> QColor:
    return QColor(_colour)


class FocusRing(QWidget):
    """The ring on one widget: its child, as large as it, above its other children."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.setObjectName("focusRing")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(widget.rect())
        widget.installEventFilter(self)
        self.raise_()
        self.show()

    def target(self) -> QWidget | None:
        return self.parentWidget()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        target = self.parentWidget()
        if watched is target and target is not None:
            if event.type() == QEvent.Type.Resize:
                self.setGeometry(target.rect())
            elif event.type() == QEvent.Type.ChildAdded:
                self.raise_()  # above the children added after it
        return False

    def paintEvent(self, _event: QPaintEvent) -> None:  # Qt's name
        painter = QPainter(self)
        pen = QPen(_colour, RING_PX)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        half = RING_PX / 2
        painter.drawRect(QRectF(self.rect()).adjusted(half, half, -half, -half))
        painter.end()


class _Tracker(QObject):
    """Moves the ring to each widget that takes the focus."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.ring: FocusRing | None = None
        app.focusChanged.connect(self._moved)

    def _moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        ring, self.ring = self.ring, None
        if ring is not None and shiboken6.isValid(ring):  # gone with its parent, perhaps
            ring.hide()
            target = ring.parentWidget()
            if target is not None and shiboken6.isValid(target):
                target.removeEventFilter(ring)
            ring.deleteLater()
        if new is None or new.isWindow() or isinstance(new, FocusRing):
            return
        self.ring = FocusRing(new)


_tracker: _Tracker | None = None


def install_focus_ring() -> None:
    """From now on the focused widget of every window has the ring (once per application)."""
    global _tracker
    app = QApplication.instance()
    if (_tracker is not None and shiboken6.isValid(_tracker)) or not isinstance(app, QApplication):
        return
    _tracker = _Tracker(app)
    focused = app.focusWidget()
    if focused is not None:
        _tracker._moved(None, focused)


def ring_around(widget: QWidget) -> FocusRing | None:
    """The ring shown around ``widget`` (for tests), or None."""
    ring = _tracker.ring if _tracker is not None else None
    if ring is None or not shiboken6.isValid(ring) or ring.target() is not widget:
        return None
    return ring if ring.isVisible() else None
