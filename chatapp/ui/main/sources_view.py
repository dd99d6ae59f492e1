"""Under a reply answered from the user's documents: what it was given, as sources.

One row a source: "[1] manual.pdf, p. 3" (a link that opens the file, at the page where the
viewer can) and the start of the passage. The reply's own "[1]" citations link here: a click
shows the list and marks that row. Everything from a document is shown as plain text (escaped
before Qt sees it): a document's HTML is never rendered.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from chatapp.core.docs.sources import Source, Sources
from chatapp.ui.i18n import translate


def summary(sources: Sources) -> str:
    """One line for the reply's footer: which mode, how many, from where (``Sources.summary``,
    in the window's language)."""
    if sources.mode == "document" and sources.items:
        name = sources.items[0].label.split("] ", 1)[-1]
        return translate("Sources", "whole document: {name}").format(name=name)
    collections = sorted({s.collection for s in sources.items if s.collection})
    count = len(sources.items)
    passages = translate("Sources", "%n passage(s)", None, count)
    if not collections:
        return passages
    return translate("Sources", "{passages} from {collections}").format(
        passages=passages, collections=", ".join(collections)
    )


EXCERPT_CHARS = 240
MARK_MS = 2500


def _plain(text: str) -> str:
    return html.escape(text, quote=True)


class SourcesView(QFrame):
    open_requested = Signal(str, object)  # path, page (or None)

    def __init__(self, sources: Sources, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = sources
        self.setObjectName("sourcesBox")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("sourcesToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setText(
            translate("Sources", "Sources · {summary}").format(summary=summary(sources))
        )
        self.toggle.setAccessibleName(translate("Sources", "Sources of this reply"))
        self.toggle.setAccessibleDescription(
            translate("Sources", "Shows or hides what the reply was given")
        )
        self.toggle.toggled.connect(self._set_open)
        layout.addWidget(self.toggle)
        self.note: QLabel | None = None
        if sources.note:
            self.note = QLabel(sources.note, self)
            self.note.setObjectName("sourcesNote")
            self.note.setTextFormat(Qt.TextFormat.PlainText)
            self.note.setWordWrap(True)
            self.note.setEnabled(False)
            layout.addWidget(self.note)
        self.rows: list[QLabel] = []
        for src in sources.items:
            row = QLabel(self._row_html(src), self)
            row.setObjectName(f"source-{src.n}")
            row.setTextFormat(Qt.TextFormat.RichText)
            row.setWordWrap(True)
            row.setTextInteractionFlags(
                Qt.TextInteractionFlag.LinksAccessibleByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
                | Qt.TextInteractionFlag.TextSelectableByMouse
            )
            row.setOpenExternalLinks(False)
            row.setAccessibleName(translate("Sources", "Source {label}").format(label=src.label))
            row.setAccessibleDescription(src.text[:EXCERPT_CHARS])
            row.setToolTip(f"<qt>{_plain(src.path)}<br><br>{_plain(src.text[:2000])}</qt>")
            row.linkActivated.connect(lambda _href, s=src: self.open_requested.emit(s.path, s.page))
            layout.addWidget(row)
            self.rows.append(row)
        self._unmark = QTimer(self)
        self._unmark.setSingleShot(True)
        self._unmark.setInterval(MARK_MS)
        self._unmark.timeout.connect(self._clear_marks)

    @staticmethod
    def _row_html(src: Source) -> str:
        excerpt = " ".join(src.text.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        where = f" · {_plain(src.collection)}" if src.collection else ""
        return (
            f'<a href="open:{src.n}">{_plain(src.label)}</a>'
            f'<span style="color:gray;">{where}</span><br>{_plain(excerpt)}'
        )

    def _set_open(self, shown: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        for row in self.rows:
            row.setVisible(shown)
        if self.note is not None:
            self.note.setVisible(shown)

    def mark(self, n: int) -> QLabel | None:
        """Show the list and mark source ``n`` for a moment (a click on "[n]" in the reply)."""
        self.toggle.setChecked(True)
        self._clear_marks()
        for src, row in zip(self.sources.items, self.rows, strict=True):
            if src.n == n:
                row.setAutoFillBackground(True)
                row.setBackgroundRole(QPalette.ColorRole.Highlight)
                row.setForegroundRole(QPalette.ColorRole.HighlightedText)
                self._unmark.start()
                return row
        return None

    def _clear_marks(self) -> None:
        for row in self.rows:
            row.setAutoFillBackground(False)
            row.setBackgroundRole(QPalette.ColorRole.Window)
            row.setForegroundRole(QPalette.ColorRole.WindowText)


__all__ = ["SourcesView"]
