"""Light, dark, high contrast, or whatever the system uses; the font size; and the colour of
the focus ring (focus.py) that goes with them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from chatapp.core.config.appsettings import Theme
from chatapp.ui.main.focus import set_ring_colour

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


def _high_contrast_palette() -> QPalette:
    """White on black; yellow for the selection and the focus, cyan links (every pair over
    7:1, WCAG AAA); disabled text stays readable (light grey, 10:1)."""
    p = QPalette()
    black, white, yellow = QColor(0, 0, 0), QColor(255, 255, 255), QColor(255, 255, 0)
    for role, color in (
        (QPalette.ColorRole.Window, black),
        (QPalette.ColorRole.WindowText, white),
        (QPalette.ColorRole.Base, black),
        (QPalette.ColorRole.AlternateBase, QColor(28, 28, 28)),
        (QPalette.ColorRole.ToolTipBase, black),
        (QPalette.ColorRole.ToolTipText, white),
        (QPalette.ColorRole.Text, white),
        (QPalette.ColorRole.Button, black),
        (QPalette.ColorRole.ButtonText, white),
        (QPalette.ColorRole.BrightText, yellow),
        (QPalette.ColorRole.Light, white),
        (QPalette.ColorRole.Midlight, QColor(200, 200, 200)),
        (QPalette.ColorRole.Mid, QColor(160, 160, 160)),
        (QPalette.ColorRole.Dark, white),
        (QPalette.ColorRole.Shadow, white),
        (QPalette.ColorRole.Link, QColor(0, 255, 255)),
        (QPalette.ColorRole.LinkVisited, QColor(255, 128, 255)),
        (QPalette.ColorRole.Highlight, yellow),
        (QPalette.ColorRole.HighlightedText, black),
        (QPalette.ColorRole.PlaceholderText, QColor(200, 200, 200)),
    ):
        p.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(190, 190, 190))
    return p


#: the focus ring's colour on a light and on a dark window (over 4.5:1 on either), and in
#: the high-contrast theme
FOCUS_ON_LIGHT = QColor(0, 84, 200)
FOCUS_ON_DARK = QColor(255, 200, 40)
FOCUS_HIGH_CONTRAST = QColor(255, 255, 0)


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
        dark = theme in (Theme.DARK, Theme.HIGH_CONTRAST)
        hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        app.setPalette(_dark_palette() if dark else app.style().standardPalette())
        if theme == Theme.HIGH_CONTRAST:
            app.setPalette(_high_contrast_palette())
    font = app.font()
    font.setPointSize(font_size)
    # Latin text in the platform's UI font; Chinese in a CJK face made to match it. Left to
    # fontconfig, Linux often picks Droid Sans Fallback, whose glyphs are a size smaller.
    font.setFamilies([font.family(), *(f for f in CJK_FAMILIES if f != font.family())])
    app.setFont(font)
    dark = app.palette().color(QPalette.ColorRole.Window).lightness() < 128
    set_ring_colour(
        FOCUS_HIGH_CONTRAST
        if theme == Theme.HIGH_CONTRAST
        else FOCUS_ON_DARK
        if dark
        else FOCUS_ON_LIGHT
    )


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128
