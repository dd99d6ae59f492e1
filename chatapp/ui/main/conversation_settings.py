"""One conversation's settings: its system prompt and the sampling settings it overrides."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QWidget

from chatapp.core.config.appsettings import AppSettings
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.storage.store import Conversation
from chatapp.ui.main.settings_dialog import SettingsDialog


class ConversationSettingsDialog(SettingsDialog):
    """Preferences, showing only what a conversation can override (the Generation and Chat
    tabs, without the chat template, which is the app's)."""

    def __init__(
        self, shown: AppSettings, conv: Conversation, parent: QWidget | None = None
    ) -> None:
        super().__init__(shown, parent)
        self.setWindowTitle(f"Settings for “{conv.title or 'New chat'}”")
        for index in range(self.tabs.count()):
            self.tabs.setTabVisible(index, self.tabs.tabText(index) in ("&Generation", "&Chat"))
        self.tabs.setCurrentIndex(1)
        box = self.chat_template.parentWidget()
        form = box.layout() if box is not None else None
        if isinstance(form, QFormLayout):
            form.setRowVisible(self.chat_template, False)

    def overrides(self, defaults: GenerationSettings) -> dict[str, Any]:
        """The generation settings chosen here that differ from the app's defaults."""
        base = defaults.to_dict()
        chosen = self.result_settings().generation.to_dict()
        return {k: v for k, v in chosen.items() if v != base[k]}
