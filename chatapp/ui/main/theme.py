"""Light, dark, or whatever the system uses; and the font size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from chatapp.core.config.appsettings import Theme

# Simplified Chinese faces, first one installed wins: Linux (Noto/Source Han are the same
# design; WenQuanYi on older systems), Windows, macOS.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
)


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    for role, color in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, QColor(52, 54, 58)),
        (QPalette.ColorRole.ToolTipBase, window),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, window),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor(255, 90, 90)),
        (QPalette.ColorRole.Link, QColor(110, 170, 255)),
        (QPalette.ColorRole.Highlight, QColor(60, 110, 200)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.PlaceholderText, QColor(140, 143, 150)),
    ):
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(135, 138, 145))
    return p


def apply_theme(theme: Theme, font_size: int) -> None:
    """Apply the user's theme choice; ``Theme.SYSTEM`` follows the platform's light/dark."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    hints = QGuiApplication.styleHints()
    if theme == Theme.SYSTEM:
        hints.unsetColorScheme()
        app.setPalette(app.style().standardPalette())
    else:
        app.setStyle("Fusion")
        dark = theme == Theme.DARK
        hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    font = app.font()
    font.setPointSize(font_size)
    # Latin text in the platform's UI font; Chinese in a CJK face made to match it. Left to
    # fontconfig, Linux often picks Droid Sans Fallback, whose glyphs are a size smaller.
    font.setFamilies([font.family(), *(f for f in CJK_FAMILIES if f != font.family())])
    app.setFont(font)


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
