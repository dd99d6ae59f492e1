"""Chat → Prompt library…: saved system prompts and few-shot example sets, edited here and
used in the chat on screen or a new one. Variables ({{date}}, {{language}}…) are filled in when
a prompt is used. The library's file is written on the store thread (``save``), never here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.chat.prompts import VARIABLES, Example, Prompt, PromptError, apply
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, translate
from chatapp.ui.main.widgets import named

JSON_FILTER = QT_TRANSLATE_NOOP("PromptsDialog", "Prompts (*.json);;All files (*)")


class PromptsDialog(QDialog):
    use_requested = Signal(object, bool)  # Prompt, True: in a new chat
    save_requested = Signal(object)  # Prompt: add or replace it in the library
    remove_requested = Signal(str)  # a prompt's name
    import_requested = Signal(str)  # a file's path
    export_requested = Signal(str)  # a file's path

    def __init__(self, prompts: Callable[[], list[Prompt]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prompts = prompts
        self.setObjectName("promptsDialog")
        self.setWindowTitle(translate("PromptsDialog", "Prompt library"))
        self.resize(820, 540)
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.list = named(
            QListWidget(self), "promptList", translate("PromptsDialog", "Saved prompts")
        )
        self.list.currentTextChanged.connect(self._show)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_button = named(
            QPushButton(translate("PromptsDialog", "New"), self),
            "newPrompt",
            translate("PromptsDialog", "New prompt"),
            translate("PromptsDialog", "Start a new prompt in the library"),
        )
        self.new_button.clicked.connect(self._new)
        self.delete_button = named(
            QPushButton(translate("PromptsDialog", "Delete"), self),
            "deletePrompt",
            translate("PromptsDialog", "Delete prompt"),
            translate("PromptsDialog", "Delete the chosen prompt from the library"),
        )
        self.delete_button.clicked.connect(self._delete)
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)
        row2 = QHBoxLayout()
        self.import_button = named(
            QPushButton(translate("PromptsDialog", "Import…"), self),
            "importPrompts",
            translate("PromptsDialog", "Import"),
            translate("PromptsDialog", "Add prompts from a JSON file"),
        )
        self.import_button.clicked.connect(self._ask_import)
        self.export_button = named(
            QPushButton(translate("PromptsDialog", "Export…"), self),
            "exportPrompts",
            translate("PromptsDialog", "Export"),
            translate("PromptsDialog", "Save every prompt of the library to a JSON file"),
        )
        self.export_button.clicked.connect(self._ask_export)
        row2.addWidget(self.import_button)
        row2.addWidget(self.export_button)
        left.addLayout(row2)
        outer.addLayout(left, 1)

        right = QVBoxLayout()
        form = QFormLayout()
        self.name = named(
            QLineEdit(self),
            "promptName",
            translate("PromptsDialog", "Prompt name"),
            translate("PromptsDialog", "The name the prompt is listed and chosen by"),
        )
        form.addRow(translate("PromptsDialog", "&Name:"), self.name)
        self.system = named(
            QPlainTextEdit(self), "promptSystem", translate("PromptsDialog", "System prompt")
        )
        self.system.setAccessibleDescription(
            translate(
                "PromptsDialog",
                "What the model is told before the conversation; {{date}} becomes today's date",
            )
        )
        self.system.setPlaceholderText(
            translate("PromptsDialog", "You are a helpful assistant. Today is {{date}}.")
        )
        form.addRow(translate("PromptsDialog", "&System prompt:"), self.system)
        right.addLayout(form)
        right.addWidget(
            QLabel(translate("PromptsDialog", "Examples the model reads first (few-shot):"), self)
        )
        self.examples = named(
            QTableWidget(0, 2, self), "promptExamples", translate("PromptsDialog", "Examples")
        )
        self.examples.setHorizontalHeaderLabels(
            [translate("PromptsDialog", "User"), translate("PromptsDialog", "Assistant")]
        )
        self.examples.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        right.addWidget(self.examples, 1)
        ex_row = QHBoxLayout()
        self.add_example = named(
            QPushButton(translate("PromptsDialog", "Add example"), self),
            "addExample",
            translate("PromptsDialog", "Add example"),
            translate(
                "PromptsDialog",
                "Add a row for an example question and answer the model is shown first",
            ),
        )
        self.add_example.clicked.connect(lambda: self.examples.insertRow(self.examples.rowCount()))
        self.remove_example = named(
            QPushButton(translate("PromptsDialog", "Remove example"), self),
            "removeExample",
            translate("PromptsDialog", "Remove example"),
            translate("PromptsDialog", "Remove the chosen example"),
        )
        self.remove_example.clicked.connect(
            lambda: (
                self.examples.removeRow(max(0, self.examples.currentRow()))
                if self.examples.rowCount()
                else None
            )
        )
        ex_row.addWidget(self.add_example)
        ex_row.addWidget(self.remove_example)
        ex_row.addStretch(1)
        right.addLayout(ex_row)
        hint = QLabel(
            translate("PromptsDialog", "Variables, filled in when a prompt is used: ")
            + ", ".join("{{" + v + "}}" for v in VARIABLES),
            self,
        )
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        right.addWidget(hint)
        self.problem = named(
            QLabel(self),
            "promptProblem",
            translate("PromptsDialog", "What is wrong with the prompt"),
        )
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        right.addWidget(self.problem)
        actions = QHBoxLayout()
        self.save_button = named(
            QPushButton(translate("PromptsDialog", "Save"), self),
            "savePrompt",
            translate("PromptsDialog", "Save prompt"),
            translate("PromptsDialog", "Save the changes to this prompt"),
        )
        self.save_button.clicked.connect(self._save)
        self.use_button = named(
            QPushButton(translate("PromptsDialog", "Use in this chat"), self),
            "usePrompt",
            translate("PromptsDialog", "Use in this chat"),
            translate(
                "PromptsDialog", "Make this prompt the system prompt of the current conversation"
            ),
        )
        self.use_button.clicked.connect(lambda: self._use(new_chat=False))
        self.use_new_button = named(
            QPushButton(translate("PromptsDialog", "Use in a new chat"), self),
            "usePromptNew",
            translate("PromptsDialog", "Use in a new chat"),
            translate(
                "PromptsDialog", "Start a new conversation with this prompt as its system prompt"
            ),
        )
        self.use_new_button.setDefault(True)
        self.use_new_button.clicked.connect(lambda: self._use(new_chat=True))
        close = named(
            QPushButton(translate("PromptsDialog", "Close"), self),
            "closePrompts",
            translate("PromptsDialog", "Close"),
            translate("PromptsDialog", "Close the prompt library; changes not saved are lost"),
        )
        close.clicked.connect(self.reject)
        for b in (self.save_button, self.use_button, self.use_new_button, close):
            actions.addWidget(b)
        right.addLayout(actions)
        outer.addLayout(right, 2)
        self.refresh()

    # -- showing -----------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        keep = select or (self.list.currentItem().text() if self.list.currentItem() else None)
        self.list.blockSignals(True)
        self.list.clear()
        names = [p.name for p in self._prompts()]
        self.list.addItems(names)
        self.list.blockSignals(False)
        if keep in names:
            self.list.setCurrentRow(names.index(keep))
        elif names:
            self.list.setCurrentRow(0)
        self._show(self.list.currentItem().text() if self.list.currentItem() else "")

    def _show(self, name: str) -> None:
        prompt = next((p for p in self._prompts() if p.name == name), None)
        self.problem.hide()
        self.name.setText(prompt.name if prompt else "")
        self.system.setPlainText(prompt.system if prompt else "")
        self.examples.setRowCount(0)
        for e in prompt.examples if prompt else ():
            r = self.examples.rowCount()
            self.examples.insertRow(r)
            self.examples.setItem(r, 0, QTableWidgetItem(e.user))
            self.examples.setItem(r, 1, QTableWidgetItem(e.assistant))

    def edited(self) -> Prompt:
        """The prompt as the form has it (rows with both texts empty are left out)."""
        pairs = []
        for r in range(self.examples.rowCount()):
            cells = [self.examples.item(r, c) for c in (0, 1)]
            user, assistant = (c.text() if c is not None else "" for c in cells)
            if user.strip() or assistant.strip():
                pairs.append(Example(user, assistant))
        return Prompt(self.name.text().strip(), self.system.toPlainText(), tuple(pairs))

    def _checked(self) -> Prompt | None:
        prompt = self.edited()
        try:
            if not prompt.name:
                raise PromptError("a prompt needs a name")
            apply(prompt)
        except PromptError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return None
        self.problem.hide()
        return prompt

    # -- asking ------------------------------------------------------------------------------

    def _new(self) -> None:
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self._show("")
        self.name.setFocus()

    def _save(self) -> None:
        prompt = self._checked()
        if prompt is not None:
            self.save_requested.emit(prompt)

    def _delete(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.text())

    def _use(self, *, new_chat: bool) -> None:
        prompt = self._checked()
        if prompt is not None:
            self.use_requested.emit(prompt, new_chat)

    def _ask_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            translate("PromptsDialog", "Import prompts"),
            "",
            translate("PromptsDialog", JSON_FILTER),
        )
        if name:
            self.import_requested.emit(name)

    def _ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            translate("PromptsDialog", "Export prompts"),
            str(Path.home() / "chatapp-prompts.json"),
            translate("PromptsDialog", JSON_FILTER),
        )
        if name:
            self.export_requested.emit(name)

    def show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()


__all__ = ["PromptsDialog"]
