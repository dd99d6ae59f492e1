"""Chat → Compare…: the last question answered twice, with the conversation's settings (A) and
with other settings (B), side by side with their metrics; the user keeps the better reply.

Both replies run on the engine thread one after the other (this machine runs one model at a
time) and each is saved as a version of the reply, so nothing is lost: Keep shows the chosen one
in the conversation, the other stays one click away among the versions.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QWidget,
)

from chatapp.core.config.settings import GenerationSettings, bounds
from chatapp.core.storage.store import Message
from chatapp.ui.i18n import translate
from chatapp.ui.main.message_widget import metrics_footer
from chatapp.ui.main.render import escape_plain
from chatapp.ui.main.render_stream import render_blocks
from chatapp.ui.main.widgets import named
from chatapp.ui.main.workers import EngineClient, StoreClient


class CompareDialog(QDialog):
    kept = Signal(str)  # the message id kept on screen
    finished_both = Signal()  # for tests

    def __init__(
        self,
        engine: EngineClient,
        db: StoreClient,
        conversation_id: str,
        question: Message,
        settings: GenerationSettings,
        *,
        dark: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine, self.db = engine, db
        self.conversation_id, self.question = conversation_id, question
        self.settings_a = settings
        self.dark = dark
        self.ids: list[str] = ["", ""]
        self.cancel = threading.Event()
        self.running = False
        self.setObjectName("compareDialog")
        self.setWindowTitle(translate("CompareDialog", "Compare two replies"))
        self.resize(900, 560)
        grid = QGridLayout(self)
        asked = QLabel(
            translate("CompareDialog", "<b>Question:</b> {question}").format(
                question=escape_plain(question.content[:300])
            ),
            self,
        )
        asked.setWordWrap(True)
        grid.addWidget(asked, 0, 0, 1, 2)
        grid.addWidget(
            QLabel(
                translate(
                    "CompareDialog",
                    "<b>A</b>: this conversation's settings (temperature "
                    "{temperature}, top-p {top_p}, seed {seed})",
                ).format(
                    temperature=f"{settings.temperature:g}",
                    top_p=f"{settings.top_p:g}",
                    seed=settings.seed,
                ),
                self,
            ),
            1,
            0,
        )
        form_box = QWidget(self)
        form = QFormLayout(form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.temperature = named(
            QDoubleSpinBox(self),
            "compareTemperature",
            translate("CompareDialog", "B's temperature"),
        )
        self.temperature.setRange(*bounds(GenerationSettings, "temperature"))
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(min(settings.temperature + 0.5, self.temperature.maximum()))
        self.top_p = named(
            QDoubleSpinBox(self), "compareTopP", translate("CompareDialog", "B's top-p")
        )
        self.top_p.setRange(*bounds(GenerationSettings, "top_p"))
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(settings.top_p)
        self.seed = named(QSpinBox(self), "compareSeed", translate("CompareDialog", "B's seed"))
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(settings.seed)
        form.addRow(translate("CompareDialog", "<b>B</b>: temperature"), self.temperature)
        form.addRow("top-p", self.top_p)
        form.addRow(translate("CompareDialog", "seed (-1: random)"), self.seed)
        grid.addWidget(form_box, 1, 1)
        self.views = [
            named(QTextBrowser(self), "compareA", translate("CompareDialog", "Reply A")),
            named(QTextBrowser(self), "compareB", translate("CompareDialog", "Reply B")),
        ]
        self.metas = [
            named(
                QLabel(self),
                f"compareMeta{n}",
                translate("CompareDialog", "Reply {side} metrics").format(side=n),
            )
            for n in "AB"
        ]
        self.keeps = [
            named(
                QPushButton(translate("CompareDialog", "Keep {side}").format(side=n), self),
                f"keep{n}",
                translate("CompareDialog", "Keep reply {side}").format(side=n),
            )
            for n in "AB"
        ]
        for side in (0, 1):
            self.views[side].setOpenLinks(False)
            grid.addWidget(self.views[side], 2, side)
            self.metas[side].setWordWrap(True)
            grid.addWidget(self.metas[side], 3, side)
            self.keeps[side].setEnabled(False)
            self.keeps[side].clicked.connect(lambda _c=False, s=side: self.keep(s))
            grid.addWidget(self.keeps[side], 4, side)
        self.run_button = named(
            QPushButton(translate("CompareDialog", "Run both"), self),
            "compareRun",
            translate("CompareDialog", "Run both replies"),
        )
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        grid.addWidget(self.run_button, 5, 0, 1, 2)
        grid.setRowStretch(2, 1)
        w = engine.worker
        w.compare_piece.connect(self._piece)
        w.compare_done.connect(self._done)

    def settings_b(self) -> GenerationSettings:
        return self.settings_a.model_copy(
            update={
                "temperature": round(self.temperature.value(), 2),
                "top_p": round(self.top_p.value(), 2),
                "seed": self.seed.value(),
            }
        )

    def run(self) -> None:
        if self.running:
            return
        self.running = True
        self.run_button.setEnabled(False)
        for side in (0, 1):
            self.views[side].setPlainText("")
            self.metas[side].setText(
                translate("CompareDialog", "waiting…")
                if side
                else translate("CompareDialog", "generating…")
            )
            self.keeps[side].setEnabled(False)
        self.engine.worker.compare_requested.emit(
            self.conversation_id,
            self.question.id,
            [self.settings_a, self.settings_b()],
            self.cancel,
        )

    def _piece(self, side: int, text: str) -> None:
        self.views[side].setHtml(render_blocks(text, dark=self.dark).html)
        self.metas[side].setText(translate("CompareDialog", "generating…"))

    def _done(self, side: int, message_id: str, error: str) -> None:
        self.ids[side] = message_id
        if error:
            self.metas[side].setText(
                translate("CompareDialog", "failed: {error}").format(error=error)
            )
        if side == 0:
            self.metas[1].setText(translate("CompareDialog", "generating…"))
        if message_id:
            self.db.call(lambda s: s.get_message(message_id), lambda m: self._show(side, m))
        if side == 1:
            self.running = False
            self.run_button.setEnabled(True)

    def _show(self, side: int, message: Message) -> None:
        self.views[side].setHtml(render_blocks(message.content, dark=self.dark).html)
        if message.metrics is not None:
            self.metas[side].setText(metrics_footer(message.metrics))
        self.keeps[side].setEnabled(True)
        if all(self.ids) and all(k.isEnabled() for k in self.keeps):
            self.finished_both.emit()

    def keep(self, side: int) -> None:
        """Show this reply in the conversation (the other stays among its versions)."""
        message_id = self.ids[side]
        if message_id:
            self.kept.emit(message_id)
            self.accept()

    def reject(self) -> None:
        self.cancel.set()  # a reply still running stops, saved as far as it came
        super().reject()


__all__ = ["CompareDialog"]
