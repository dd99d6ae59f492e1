"""The row above the composer: which document collections the conversation answers from, as
chips ("Manuals" and a close mark), a Documents menu to choose them, and a line on what
indexing or a search is doing. It reads ``WindowState``; choosing goes back through the
``chosen`` signal."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QWidget

from chatapp.ui.i18n import translate
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import named


def status_text(state: WindowState) -> str:
    """ "Indexing Manuals: 3 of 40 files, 120 passages, about 2 min left", or ""."""
    status = state.index_status
    if status is None:
        return ""
    if status.paused:
        return translate("DocsBar", "Indexing {collection} paused").format(
            collection=status.collection
        )
    p = status.progress
    if p is None or p.files_done >= p.files_total:
        return ""
    total, passages = p.files_total, p.chunks_done  # lupdate reads a count only as a plain name
    text = translate("DocsBar", "Indexing {collection}: {done} of %n file(s)", None, total).format(
        collection=status.collection, done=p.files_done
    )
    text += translate("DocsBar", ", %n passage(s)", None, passages)
    if status.eta_s is not None:
        eta = status.eta_s
        text += (
            translate("DocsBar", ", about {minutes} min left").format(minutes=f"{eta / 60:.0f}")
            if eta >= 90
            else translate("DocsBar", ", about {seconds} s left").format(seconds=f"{eta:.0f}")
        )
    return text


class DocsBar(QWidget):
    chosen = Signal(object)  # tuple[str, ...]: the collections the conversation answers from
    manage_requested = Signal()

    def __init__(self, state: WindowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setObjectName("docsBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.menu_button = named(
            QToolButton(self), "documentsButton", translate("DocsBar", "Answer from your documents")
        )
        self.menu_button.setText(translate("DocsBar", "Documents"))
        self.menu_button.setToolTip(
            translate("DocsBar", "Choose the document collections this chat answers from")
        )
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.menu_button)
        self.menu.setObjectName("documentsMenu")
        self.menu.aboutToShow.connect(self._fill_menu)
        self.menu_button.setMenu(self.menu)
        row.addWidget(self.menu_button)
        self._chips_row = QHBoxLayout()
        self._chips_row.setSpacing(4)
        row.addLayout(self._chips_row)
        self.chips: list[QToolButton] = []
        self.status = named(QLabel(self), "docsStatus", translate("DocsBar", "Documents status"))
        self.status.setEnabled(False)  # the quiet colour
        self.status.setMinimumWidth(1)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.status, 1)
        self._searching = ""
        self._shown_for: str | None = None  # the conversation the search line is about
        state.documents_changed.connect(self.refresh)
        state.conversation_changed.connect(self.refresh)
        self.refresh()

    def set_searching(self, text: str) -> None:
        """ "Searching Manuals…" while a question's passages are found ("" when done)."""
        self._searching = text
        self._shown_for = self.state.current.id if self.state.current is not None else None
        self.refresh()

    def refresh(self) -> None:
        current = self.state.current.id if self.state.current is not None else None
        if current != self._shown_for:  # another conversation: the last search is not its
            self._shown_for = current
            self._searching = ""
        chosen = self.state.chosen_collections
        for chip in self.chips:
            self._chips_row.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        known = {c.name for c in self.state.collections}
        for name in chosen:
            chip = named(
                QToolButton(self),
                f"chip-{name}",
                translate("DocsBar", "Stop answering from {name}").format(name=name),
            )
            gone = bool(self.state.collections) and name not in known
            shown = translate("DocsBar", "{name} (removed)").format(name=name) if gone else name
            chip.setText(f"{shown}  \u2715")
            chip.setToolTip(
                translate("DocsBar", "This chat answers from {name}; click to stop").format(
                    name=name
                )
            )
            chip.clicked.connect(lambda _c=False, n=name: self._drop(n))
            self._chips_row.addWidget(chip)
            self.chips.append(chip)
        self.status.setText(self._searching or status_text(self.state))

    def _fill_menu(self) -> None:
        self.menu.clear()
        chosen = set(self.state.chosen_collections)
        if not self.state.collections:
            none = self.menu.addAction(translate("DocsBar", "No collections yet"))
            none.setEnabled(False)
        for c in self.state.collections:
            count = c.files
            files = translate("DocsBar", "%n file(s)", None, count)
            action = self.menu.addAction(f"{c.name}  ({files})")
            action.setCheckable(True)
            action.setChecked(c.name in chosen)
            action.toggled.connect(lambda on, n=c.name: self._toggle(n, on))
        self.menu.addSeparator()
        self.menu.addAction(translate("DocsBar", "Manage documents…"), self.manage_requested.emit)

    def _toggle(self, name: str, on: bool) -> None:
        names = [n for n in self.state.chosen_collections if n != name]
        if on:
            names.append(name)
        self.chosen.emit(tuple(names))

    def _drop(self, name: str) -> None:
        self._toggle(name, False)


__all__ = ["DocsBar", "status_text"]
