"""Chat → Compare…: the last question answered twice, with the conversation's model and settings
(A) and with another model or other settings (B), side by side with their metrics; the user
keeps the better reply.

B is this model with other settings, another local model (loaded beside this one for the
comparison, then unloaded), or a server's model. Replies from this computer run one after the
other on the engine thread; a server's reply runs at the same time (``core.chat.compare``). Each
is saved as a version of the reply, so nothing is lost: Keep shows the chosen one in the
conversation, the other stays one click away among the versions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
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
from chatapp.ui.main.servers import RemoteModel
from chatapp.ui.main.widgets import named
from chatapp.ui.main.workers import EngineClient, StoreClient

PAINT_MS = 50  # a streaming reply is drawn at most this often


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
        model_a: str = "",
        others: Sequence[tuple[str, Path | RemoteModel]] = (),
        dark: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine, self.db = engine, db
        self.conversation_id, self.question = conversation_id, question
        self.settings_a = settings
        self.dark = dark
        self.ids: list[str] = ["", ""]
        self._done_sides: set[int] = set()
        self._latest: dict[int, str] = {}  # each side's text not drawn yet
        self._paint = QTimer(self)
        self._paint.setSingleShot(True)
        self._paint.setInterval(PAINT_MS)
        self._paint.timeout.connect(self._paint_latest)
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
        self.label_a = QLabel(
            translate(
                "CompareDialog",
                "<b>A</b>: {model} with this conversation's settings (temperature "
                "{temperature}, top-p {top_p}, seed {seed})",
            ).format(
                model=escape_plain(model_a or translate("CompareDialog", "this model")),
                temperature=f"{settings.temperature:g}",
                top_p=f"{settings.top_p:g}",
                seed=settings.seed,
            ),
            self,
        )
        self.label_a.setWordWrap(True)
        grid.addWidget(self.label_a, 1, 0, Qt.AlignmentFlag.AlignTop)
        form_box = QWidget(self)
        form = QFormLayout(form_box)
        form.setContentsMargins(0, 0, 0, 0)
        self.model_b = named(
            QComboBox(self),
            "compareModel",
            translate("CompareDialog", "Who answers B"),
            translate(
                "CompareDialog", "The model that writes reply B: this one, another, or a server's"
            ),
        )
        self.model_b.view().setAccessibleName(self.model_b.accessibleName())  # its choices
        self.model_b.addItem(translate("CompareDialog", "This model, other settings"), None)
        for label, target in others:
            self.model_b.addItem(label, target)
        self.model_b.currentIndexChanged.connect(self._model_chosen)
        self.how = named(
            QLabel(self), "compareHow", translate("CompareDialog", "How the two replies run")
        )
        self.how.setWordWrap(True)
        self.how.setEnabled(False)  # the quiet colour
        self.temperature = named(
            QDoubleSpinBox(self),
            "compareTemperature",
            translate("CompareDialog", "B's temperature"),
            translate("CompareDialog", "How freely reply B is written: higher is more varied"),
        )
        self.temperature.setRange(*bounds(GenerationSettings, "temperature"))
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(min(settings.temperature + 0.5, self.temperature.maximum()))
        self.top_p = named(
            QDoubleSpinBox(self),
            "compareTopP",
            translate("CompareDialog", "B's top-p"),
            translate(
                "CompareDialog", "Reply B picks among the likeliest words that add up to this share"
            ),
        )
        self.top_p.setRange(*bounds(GenerationSettings, "top_p"))
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(settings.top_p)
        self.seed = named(
            QSpinBox(self),
            "compareSeed",
            translate("CompareDialog", "B's seed"),
            translate(
                "CompareDialog",
                "The same seed gives the same reply B; -1 picks a new one each time",
            ),
        )
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setValue(settings.seed)
        form.addRow(translate("CompareDialog", "<b>B</b>: &model"), self.model_b)
        form.addRow("", self.how)
        form.addRow(translate("CompareDialog", "temperature"), self.temperature)
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
                translate(
                    "CompareDialog",
                    "Show reply {side} in the conversation; the other stays a version",
                ).format(side=n),
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
            translate(
                "CompareDialog", "Answer the last question again as A and as B, to compare them"
            ),
        )
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        grid.addWidget(self.run_button, 5, 0, 1, 2)
        grid.setRowStretch(2, 1)
        w = engine.worker
        w.compare_piece.connect(self._piece)
        w.compare_done.connect(self._done)
        w.compare_status.connect(self._status)
        self._model_chosen()

    @property
    def other(self) -> Path | RemoteModel | None:
        """Who answers B: None for this model."""
        target = self.model_b.currentData()
        return target if isinstance(target, Path | RemoteModel) else None

    def _model_chosen(self) -> None:
        other = self.other
        if other is None:
            self.how.setText(translate("CompareDialog", "One after the other, on this computer."))
        elif isinstance(other, Path):
            self.how.setText(
                translate(
                    "CompareDialog",
                    "One after the other, on this computer: B's model is loaded beside this one "
                    "for the comparison (memory for both), then unloaded.",
                )
            )
            self._same_settings()
        else:
            self.how.setText(
                translate("CompareDialog", "At the same time: B runs on {server}.").format(
                    server=other.server.name
                )
            )
            self._same_settings()

    def _same_settings(self) -> None:
        """Another model: B starts with A's settings, so the model is what differs."""
        self.temperature.setValue(self.settings_a.temperature)
        self.top_p.setValue(self.settings_a.top_p)
        self.seed.setValue(self.settings_a.seed)

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
        self.model_b.setEnabled(False)
        self.ids = ["", ""]
        self._done_sides = set()
        at_once = isinstance(self.other, RemoteModel)
        for side in (0, 1):
            self.views[side].setPlainText("")
            self.metas[side].setText(
                translate("CompareDialog", "generating…")
                if side == 0 or at_once
                else translate("CompareDialog", "waiting…")
            )
            self.keeps[side].setEnabled(False)
        self.engine.worker.compare_requested.emit(
            self.conversation_id,
            self.question.id,
            [self.settings_a, self.settings_b()],
            self.cancel,
            self.other,
        )

    def _status(self, side: int, what: str) -> None:
        self.metas[side].setText(what)

    def _piece(self, side: int, text: str) -> None:
        # each piece brings the whole text so far: it is drawn at most every PAINT_MS, so a
        # long reply is not rendered again from its start for every token
        self._latest[side] = text
        if not self._paint.isActive():
            self._paint.start()

    def _paint_latest(self) -> None:
        for side, text in self._latest.items():
            self.views[side].setHtml(render_blocks(text, dark=self.dark).html)
            self.metas[side].setText(translate("CompareDialog", "generating…"))
        self._latest.clear()

    def _done(self, side: int, message_id: str, error: str) -> None:
        self._latest.pop(side, None)  # its saved text is drawn instead
        self.ids[side] = message_id
        self._done_sides.add(side)
        if error:
            self.metas[side].setText(
                translate("CompareDialog", "failed: {error}").format(error=error)
            )
        elif not message_id:  # the other side could not start, so this one did not either
            self.metas[side].setText(translate("CompareDialog", "not run"))
        if (
            side == 0
            and 1 not in self._done_sides
            and self.metas[1].text() == translate("CompareDialog", "waiting…")
        ):
            self.metas[1].setText(translate("CompareDialog", "generating…"))
        if message_id:
            self.db.call(lambda s: s.get_message(message_id), lambda m: self._show(side, m))
        if self._done_sides == {0, 1}:
            self.running = False
            self.run_button.setEnabled(True)
            self.model_b.setEnabled(True)

    def _show(self, side: int, message: Message) -> None:
        self.views[side].setHtml(render_blocks(message.content, dark=self.dark).html)
        if message.metrics is not None:
            who = message.model or translate("CompareDialog", "model")
            if message.backend:
                who = translate("CompareDialog", "{model} via {server}").format(
                    model=who, server=message.backend
                )
            self.metas[side].setText(f"{who} · {metrics_footer(message.metrics)}")
        self.keeps[side].setEnabled(True)
        if all(self.ids) and all(k.isEnabled() for k in self.keeps):
            self.finished_both.emit()

    def keep(self, side: int) -> None:
        """Show this reply in the conversation (the other stays among its versions)."""
        message_id = self.ids[side]
        if message_id:
            self.kept.emit(message_id)
            self.accept()

    def done(self, result: int) -> None:  # Qt's name: Keep (accept), Close and Esc (reject)
        # a reply still running stops, saved as far as it came; one not begun never begins
        self.cancel.set()
        super().done(result)


__all__ = ["CompareDialog"]
