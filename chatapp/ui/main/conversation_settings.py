"""One conversation's settings: its system prompt and the sampling settings it overrides."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QWidget

from chatapp.core.config.appsettings import AppSettings
from chatapp.core.config.settings import REASONING_EFFORTS, GenerationSettings
from chatapp.core.inference.engine import LoadedModel
from chatapp.core.storage.store import Conversation
from chatapp.ui.i18n import QT_TRANSLATE_NOOP, translate
from chatapp.ui.main.settings_dialog import SettingsDialog
from chatapp.ui.main.settings_fields import combo_box, form_row, setting_field

# the reasoning efforts' names, for lupdate
_EFFORTS = (
    QT_TRANSLATE_NOOP("ConversationSettings", "Low"),
    QT_TRANSLATE_NOOP("ConversationSettings", "Medium"),
    QT_TRANSLATE_NOOP("ConversationSettings", "High"),
)
_TEMPLATE_DEFAULT = QT_TRANSLATE_NOOP("ConversationSettings", "The template's default")


class ConversationSettingsDialog(SettingsDialog):
    """Preferences, showing only what a conversation can override (the Generation and Chat
    tabs, without the chat template, which is the app's).

    The thinking switch and the reasoning effort are shown only where ``model``'s chat template
    reads them (``enable_thinking``, ``reasoning_effort``); otherwise they would change nothing.
    """

    def __init__(
        self,
        shown: AppSettings,
        conv: Conversation,
        parent: QWidget | None = None,
        *,
        model: LoadedModel | None = None,
    ) -> None:
        super().__init__(shown, parent)
        title = conv.title or translate("ConversationSettings", "New chat")
        self.setWindowTitle(
            translate("ConversationSettings", "Settings for “{title}”").format(title=title)
        )
        shown_tabs = (
            translate("SettingsDialog", "&Generation"),
            translate("SettingsDialog", "&Chat"),
        )
        for index in range(self.tabs.count()):
            self.tabs.setTabVisible(index, self.tabs.tabText(index) in shown_tabs)
        self.tabs.setCurrentIndex(1)
        box = self.chat_template.parentWidget()
        form = box.layout() if box is not None else None
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.chat_template, False)

        gen = GenerationSettings
        self.thinking = combo_box(
            "thinking",
            translate("ConversationSettings", "Thinking"),
            [
                (translate("ConversationSettings", _TEMPLATE_DEFAULT), None),
                (translate("ConversationSettings", "On"), True),
                (translate("ConversationSettings", "Off"), False),
            ],
        )
        self.thinking.setToolTip(setting_field(gen, "thinking").tooltip)
        self.reasoning_effort = combo_box(
            "reasoningEffort",
            translate("ConversationSettings", "Reasoning effort"),
            [
                (translate("ConversationSettings", _TEMPLATE_DEFAULT), None),
                *(
                    (translate("ConversationSettings", e.capitalize()), e)
                    for e in REASONING_EFFORTS
                ),
            ],
        )
        self.reasoning_effort.setToolTip(setting_field(gen, "reasoning_effort").tooltip)
        page = self.temperature.parentWidget()
        generation_form = page.layout() if page is not None else None
        assert isinstance(generation_form, QFormLayout)
        form_row(generation_form, translate("ConversationSettings", "T&hinking:"), self.thinking)
        form_row(
            generation_form,
            translate("ConversationSettings", "Reasoning e&ffort:"),
            self.reasoning_effort,
        )
        generation_form.setRowVisible(
            self.thinking, model is not None and model.reads_enable_thinking
        )
        generation_form.setRowVisible(
            self.reasoning_effort, model is not None and model.reads_reasoning_effort
        )
        self._show_reasoning(shown.generation)

    def _show_reasoning(self, gen: GenerationSettings) -> None:
        self.thinking.setCurrentIndex(self.thinking.findData(gen.thinking))
        self.reasoning_effort.setCurrentIndex(self.reasoning_effort.findData(gen.reasoning_effort))

    def _read_generation(self) -> dict[str, Any]:
        return {
            **super()._read_generation(),
            "thinking": self.thinking.currentData(),
            "reasoning_effort": self.reasoning_effort.currentData(),
        }

    def restore_defaults(self) -> None:
        super().restore_defaults()
        self._show_reasoning(GenerationSettings())

    def overrides(self, defaults: GenerationSettings) -> dict[str, Any]:
        """The generation settings chosen here that differ from the app's defaults."""
        base = defaults.to_dict()
        chosen = self.result_settings().generation.to_dict()
        return {k: v for k, v in chosen.items() if v != base[k]}
