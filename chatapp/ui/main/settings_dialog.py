"""The settings dialog: edits an ``AppSettings`` and hands back a new one; the caller saves it.

Bounds and validation belong to the settings classes in ``chatapp.core``: every spin box takes its
range, step and tooltip from its setting's field (``settings_fields.setting_field``), and OK
builds the classes and shows their ``SettingsError`` inline, so the dialog never accepts
something the core would refuse.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from chatapp.core.config.appsettings import (
    AppSettings,
    Language,
    Theme,
    check_chat_template,
)
from chatapp.core.config.settings import (
    DEFAULT_CTX_CAP,
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
    SettingsError,
)
from chatapp.ui.i18n import NATIVE_NAMES, translate
from chatapp.ui.main.settings_fields import (
    combo_box,
    float_spin,
    form_row,
    int_spin,
    setting_field,
    text_box,
)

log = logging.getLogger(__name__)

# GPU layer choices: the combo's data is what LoadSettings.n_gpu_layers gets ("custom" = the spin).
_GPU_AUTO, _GPU_ALL, _GPU_CPU, _GPU_CUSTOM = range(4)


class SettingsDialog(QDialog):
    """Edit model loading, generation, chat and appearance settings.

    Args:
        settings: the current settings; fields the dialog does not show (recent models, window
            geometry, ...) are carried through to ``result_settings`` unchanged.
    """

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(translate("SettingsDialog", "Settings"))
        self._original = settings
        self._result = settings

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setAccessibleName(translate("SettingsDialog", "Settings sections"))
        self.tabs.tabBar().setObjectName("settingsTabBar")
        self.tabs.tabBar().setAccessibleName(translate("SettingsDialog", "Settings sections"))
        self.tabs.addTab(self._build_model_tab(), translate("SettingsDialog", "&Model"))
        self.tabs.addTab(self._build_generation_tab(), translate("SettingsDialog", "&Generation"))
        self.tabs.addTab(self._build_chat_tab(), translate("SettingsDialog", "&Chat"))
        self.tabs.addTab(self._build_appearance_tab(), translate("SettingsDialog", "&Appearance"))
        for i, tip in enumerate(
            (
                translate(
                    "SettingsDialog", "How the model is loaded: context length, GPU layers, threads"
                ),
                translate("SettingsDialog", "How the model writes: temperature, sampling, length"),
                translate(
                    "SettingsDialog",
                    "The default system prompt, the chat template and passages from documents",
                ),
                translate("SettingsDialog", "The window's theme, font size and language"),
            )
        ):
            self.tabs.setTabToolTip(i, tip)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("settingsError")
        self.error_label.setAccessibleName(translate("SettingsDialog", "Settings error"))
        self.error_label.setWordWrap(True)
        palette = self.error_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(190, 20, 30))
        self.error_label.setPalette(palette)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.buttons.setObjectName("settingsButtons")
        for which, name, accessible, text in (
            (
                QDialogButtonBox.StandardButton.Ok,
                "okButton",
                translate("SettingsDialog", "OK"),
                None,
            ),
            (
                QDialogButtonBox.StandardButton.Cancel,
                "cancelButton",
                translate("SettingsDialog", "Cancel"),
                None,
            ),
            (
                QDialogButtonBox.StandardButton.RestoreDefaults,
                "restoreDefaultsButton",
                translate("SettingsDialog", "Restore defaults"),
                translate("SettingsDialog", "&Restore defaults"),
            ),
        ):
            button = self.buttons.button(which)
            button.setObjectName(name)
            button.setAccessibleName(accessible)
            if text:
                button.setText(text)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).setToolTip(
            translate("SettingsDialog", "Put every field back to its default value (until OK)")
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._on_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self._show(settings)

    # -- building ---------------------------------------------------------------------------

    def _build_model_tab(self) -> QWidget:
        page = QWidget()
        page.setObjectName("modelTab")
        form = QFormLayout(page)

        self.n_ctx = int_spin(
            "contextLength", translate("SettingsDialog", "Context length"), LoadSettings, "n_ctx"
        )
        self.n_ctx.setSpecialValueText(
            translate("SettingsDialog", "Model default (max {cap})").format(cap=DEFAULT_CTX_CAP)
        )
        self.n_ctx.setSuffix(translate("SettingsDialog", " tokens"))
        form_row(form, translate("SettingsDialog", "Con&text length:"), self.n_ctx)

        self.gpu_mode = combo_box(
            "gpuLayersMode",
            translate("SettingsDialog", "GPU layers"),
            [
                (translate("SettingsDialog", "Automatic"), _GPU_AUTO),
                (translate("SettingsDialog", "All layers"), _GPU_ALL),
                (translate("SettingsDialog", "CPU only"), _GPU_CPU),
                (translate("SettingsDialog", "Custom"), _GPU_CUSTOM),
            ],
        )
        self.gpu_mode.setToolTip(setting_field(LoadSettings, "n_gpu_layers").tooltip)
        self.gpu_layers = int_spin(
            "gpuLayersCount",
            translate("SettingsDialog", "Number of GPU layers"),
            LoadSettings,
            "n_gpu_layers",
        )
        # -1 (all) and 0 (CPU only) have their own choices; a custom count starts at one layer.
        self.gpu_layers.setMinimum(max(self.gpu_layers.minimum(), 1))
        self.gpu_mode.currentIndexChanged.connect(self._sync_gpu_spin)
        gpu_row = QHBoxLayout()
        gpu_row.setContentsMargins(0, 0, 0, 0)
        gpu_row.addWidget(self.gpu_mode)
        gpu_row.addWidget(self.gpu_layers)
        gpu_label = QLabel(translate("SettingsDialog", "GPU &layers:"))
        gpu_label.setBuddy(self.gpu_mode)
        form.addRow(gpu_label, gpu_row)

        self.n_threads = int_spin(
            "threads", translate("SettingsDialog", "Threads"), LoadSettings, "n_threads"
        )
        self.n_threads.setSpecialValueText(translate("SettingsDialog", "Automatic"))
        form_row(form, translate("SettingsDialog", "Threa&ds:"), self.n_threads)

        self.n_batch = int_spin(
            "batchSize", translate("SettingsDialog", "Batch size"), LoadSettings, "n_batch"
        )
        form_row(form, translate("SettingsDialog", "&Batch size:"), self.n_batch)

        self.flash_attn = QCheckBox(translate("SettingsDialog", "&Flash attention"))
        self.flash_attn.setObjectName("flashAttention")
        self.flash_attn.setAccessibleName(translate("SettingsDialog", "Flash attention"))
        self.flash_attn.setToolTip(setting_field(LoadSettings, "flash_attn").tooltip)
        form.addRow("", self.flash_attn)

        self.prompt_lookup = QCheckBox(
            translate("SettingsDialog", "&Prompt lookup (faster replies that repeat their input)")
        )
        self.prompt_lookup.setObjectName("promptLookup")
        self.prompt_lookup.setAccessibleName(translate("SettingsDialog", "Prompt lookup"))
        self.prompt_lookup.setToolTip(setting_field(LoadSettings, "prompt_lookup").tooltip)
        form.addRow("", self.prompt_lookup)
        self.lookup_tokens = int_spin(
            "lookupTokens",
            translate("SettingsDialog", "Prompt lookup tokens"),
            LoadSettings,
            "lookup_tokens",
        )
        self.lookup_tokens.setSuffix(translate("SettingsDialog", " tokens"))
        self.prompt_lookup.toggled.connect(self.lookup_tokens.setEnabled)
        form_row(form, translate("SettingsDialog", "Lookup to&kens:"), self.lookup_tokens)

        self.reopen_cache = int_spin(
            "reopenCache",
            translate("SettingsDialog", "Saved conversation state"),
            AppSettings,
            "reopen_cache_mb",
        )
        self.reopen_cache.setSuffix(translate("SettingsDialog", " MB"))
        self.reopen_cache.setSingleStep(256)
        self.reopen_cache.setSpecialValueText(translate("SettingsDialog", "Off"))
        form_row(form, translate("SettingsDialog", "Reopen &cache:"), self.reopen_cache)

        note = QLabel(
            translate(
                "SettingsDialog",
                "Changes apply when a model is next loaded; the reopen cache at once.",
            )
        )
        note.setObjectName("modelNote")
        note.setWordWrap(True)
        form.addRow(note)
        return page

    def _build_generation_tab(self) -> QWidget:
        page = QWidget()
        page.setObjectName("generationTab")
        form = QFormLayout(page)

        gen = GenerationSettings  # ranges come from its fields; constructing it on OK checks
        self.temperature = float_spin(
            "temperature", translate("SettingsDialog", "Temperature"), gen, "temperature"
        )
        form_row(form, translate("SettingsDialog", "T&emperature:"), self.temperature)
        self.top_p = float_spin("topP", translate("SettingsDialog", "Top p"), gen, "top_p")
        form_row(form, translate("SettingsDialog", "Top &p:"), self.top_p)
        self.top_k = int_spin("topK", translate("SettingsDialog", "Top k"), gen, "top_k")
        self.top_k.setSpecialValueText(translate("SettingsDialog", "Off"))
        form_row(form, translate("SettingsDialog", "Top &k:"), self.top_k)
        self.min_p = float_spin("minP", translate("SettingsDialog", "Min p"), gen, "min_p")
        form_row(form, translate("SettingsDialog", "M&in p:"), self.min_p)
        self.repeat_penalty = float_spin(
            "repeatPenalty", translate("SettingsDialog", "Repeat penalty"), gen, "repeat_penalty"
        )
        form_row(form, translate("SettingsDialog", "Repeat pe&nalty:"), self.repeat_penalty)
        self.max_tokens = int_spin(
            "maxTokens", translate("SettingsDialog", "Maximum tokens per reply"), gen, "max_tokens"
        )
        form_row(form, translate("SettingsDialog", "Max &tokens:"), self.max_tokens)
        # Seeds go up to 2**32 - 1, past what a QSpinBox holds: this one is a QDoubleSpinBox.
        self.seed = float_spin("seed", translate("SettingsDialog", "Seed"), gen, "seed")
        self.seed.setSpecialValueText(translate("SettingsDialog", "Random"))
        form_row(form, translate("SettingsDialog", "&Seed:"), self.seed)
        self.stop = text_box(
            "stopStrings",
            translate("SettingsDialog", "Stop strings"),
            translate("SettingsDialog", "One stop string per line"),
        )
        self.stop.setToolTip(
            setting_field(gen, "stop").tooltip + translate("SettingsDialog", " One per line.")
        )
        self.stop.setFixedHeight(self.stop.fontMetrics().lineSpacing() * 4 + 12)
        form_row(form, translate("SettingsDialog", "St&op strings:"), self.stop)
        self.overflow = combo_box(
            "overflowPolicy",
            translate("SettingsDialog", "When the conversation is too long"),
            [
                (translate("SettingsDialog", "Drop the oldest turns"), OverflowPolicy.DROP_OLDEST),
                (translate("SettingsDialog", "Refuse with a message"), OverflowPolicy.REFUSE),
                (
                    translate("SettingsDialog", "Summarise the older turns"),
                    OverflowPolicy.SUMMARISE,
                ),
            ],
        )
        self.overflow.setToolTip(setting_field(gen, "overflow").tooltip)
        form_row(form, translate("SettingsDialog", "&When too long:"), self.overflow)
        return page

    def _build_chat_tab(self) -> QWidget:
        page = QWidget()
        page.setObjectName("chatTab")
        form = QFormLayout(page)
        self.system_prompt = text_box(
            "systemPrompt",
            translate("SettingsDialog", "Default system prompt"),
            translate("SettingsDialog", "For example: You are a helpful assistant."),
        )
        self.system_prompt.setToolTip(setting_field(AppSettings, "system_prompt").tooltip)
        form_row(form, translate("SettingsDialog", "Default &system prompt:"), self.system_prompt)
        self.chat_template = text_box(
            "chatTemplate",
            translate("SettingsDialog", "Chat template override"),
            translate("SettingsDialog", "Empty: use the model's own template"),
        )
        self.chat_template.setToolTip(setting_field(AppSettings, "chat_template").tooltip)
        form_row(form, translate("SettingsDialog", "Chat &template override:"), self.chat_template)
        self.docs_k = int_spin(
            "docsK", translate("SettingsDialog", "Passages from documents"), AppSettings, "docs_k"
        )
        self.docs_k.setSuffix(translate("SettingsDialog", " passages"))
        form_row(form, translate("SettingsDialog", "&Documents give:"), self.docs_k)
        self.docs_min_similarity = float_spin(
            "docsMinSimilarity",
            translate("SettingsDialog", "Least similarity of a passage"),
            AppSettings,
            "docs_min_similarity",
        )
        self.docs_min_similarity.setSpecialValueText(translate("SettingsDialog", "Off"))
        form_row(
            form,
            translate("SettingsDialog", "Passages &at least as similar as:"),
            self.docs_min_similarity,
        )
        return page

    def _build_appearance_tab(self) -> QWidget:
        page = QWidget()
        page.setObjectName("appearanceTab")
        form = QFormLayout(page)
        self.theme = combo_box(
            "theme",
            translate("SettingsDialog", "Theme"),
            [
                (translate("SettingsDialog", "System"), Theme.SYSTEM),
                (translate("SettingsDialog", "Light"), Theme.LIGHT),
                (translate("SettingsDialog", "Dark"), Theme.DARK),
                (translate("SettingsDialog", "High contrast"), Theme.HIGH_CONTRAST),
            ],
        )
        self.theme.setToolTip(setting_field(AppSettings, "theme").tooltip)
        form_row(form, translate("SettingsDialog", "&Theme:"), self.theme)
        # each language named in its own language: whoever cannot read the current one finds theirs
        self.language = combo_box(
            "language",
            translate("SettingsDialog", "Language"),
            [
                (translate("SettingsDialog", "System default"), Language.SYSTEM),
                *((name, language) for language, name in NATIVE_NAMES.items()),
            ],
        )
        self.language.setToolTip(setting_field(AppSettings, "language").tooltip)
        form_row(form, translate("SettingsDialog", "&Language:"), self.language)
        self.language_note = QLabel(
            translate("SettingsDialog", "The language changes when chatapp next starts."), page
        )
        self.language_note.setObjectName("languageNote")
        self.language_note.setWordWrap(True)
        self.language_note.setEnabled(False)  # the quiet colour
        form.addRow(self.language_note)
        self.font_size = int_spin(
            "fontSize", translate("SettingsDialog", "Font size"), AppSettings, "font_size"
        )
        self.font_size.setSuffix(translate("SettingsDialog", " pt"))
        form_row(form, translate("SettingsDialog", "&Font size:"), self.font_size)
        return page

    # -- values <-> widgets -----------------------------------------------------------------

    def _show(self, settings: AppSettings) -> None:
        load, gen = settings.load, settings.generation
        self.n_ctx.setValue(load.n_ctx)
        if load.n_gpu_layers is None:
            mode = _GPU_AUTO
        elif load.n_gpu_layers < 0:
            mode = _GPU_ALL
        elif load.n_gpu_layers == 0:
            mode = _GPU_CPU
        else:
            mode = _GPU_CUSTOM
            self.gpu_layers.setValue(load.n_gpu_layers)
        self.gpu_mode.setCurrentIndex(self.gpu_mode.findData(mode))
        self._sync_gpu_spin()
        self.n_threads.setValue(load.n_threads)
        self.n_batch.setValue(load.n_batch)
        self.flash_attn.setChecked(load.flash_attn)
        self.prompt_lookup.setChecked(load.prompt_lookup)
        self.lookup_tokens.setValue(load.lookup_tokens)
        self.lookup_tokens.setEnabled(load.prompt_lookup)
        self.reopen_cache.setValue(settings.reopen_cache_mb)
        self.docs_k.setValue(settings.docs_k)
        self.docs_min_similarity.setValue(settings.docs_min_similarity)

        self.temperature.setValue(gen.temperature)
        self.top_p.setValue(gen.top_p)
        self.top_k.setValue(gen.top_k)
        self.min_p.setValue(gen.min_p)
        self.repeat_penalty.setValue(gen.repeat_penalty)
        self.max_tokens.setValue(gen.max_tokens)
        self.seed.setValue(gen.seed)
        self.stop.setPlainText("\n".join(gen.stop))
        self.overflow.setCurrentIndex(self.overflow.findData(gen.overflow))

        self.system_prompt.setPlainText(settings.system_prompt)
        self.chat_template.setPlainText(settings.chat_template or "")
        self.theme.setCurrentIndex(self.theme.findData(settings.theme))
        self.language.setCurrentIndex(self.language.findData(settings.language))
        self.font_size.setValue(settings.font_size)

    def _read(self) -> AppSettings:
        """Settings from the widgets.

        Raises:
            SettingsError: a value is refused by the settings classes.
        """
        mode = self.gpu_mode.currentData()
        gpu_layers = {_GPU_AUTO: None, _GPU_ALL: -1, _GPU_CPU: 0}.get(mode, self.gpu_layers.value())
        load = LoadSettings(
            **{
                **self._original.load.to_dict(),  # keeps what the dialog does not show (the seed)
                "n_ctx": self.n_ctx.value(),
                "n_gpu_layers": gpu_layers,
                "n_threads": self.n_threads.value(),
                "n_batch": self.n_batch.value(),
                "flash_attn": self.flash_attn.isChecked(),
                "prompt_lookup": self.prompt_lookup.isChecked(),
                "lookup_tokens": self.lookup_tokens.value(),
            }
        )
        generation = GenerationSettings(
            **{
                **self._original.generation.to_dict(),  # keeps what is not shown (thinking)
                **self._read_generation(),
            }
        )
        template = self.chat_template.toPlainText()
        if template.strip():
            check_chat_template(template)
        return self._original.updated(
            load=load,
            generation=generation,
            system_prompt=self.system_prompt.toPlainText(),
            chat_template=template if template.strip() else None,
            theme=Theme(self.theme.currentData()),
            language=Language(self.language.currentData()),
            font_size=self.font_size.value(),
            reopen_cache_mb=self.reopen_cache.value(),
            docs_k=self.docs_k.value(),
            docs_min_similarity=round(self.docs_min_similarity.value(), 4),
        )

    def _read_generation(self) -> dict[str, Any]:
        """The generation settings the Generation tab shows, as the widgets have them."""
        # Blank lines are not stop strings; any other line is kept exactly, spaces included.
        lines = self.stop.toPlainText().split("\n")
        stop = tuple(dict.fromkeys(line for line in lines if line.strip()))
        return dict(
            temperature=round(self.temperature.value(), self.temperature.decimals()),
            top_p=round(self.top_p.value(), self.top_p.decimals()),
            top_k=self.top_k.value(),
            min_p=round(self.min_p.value(), self.min_p.decimals()),
            repeat_penalty=round(self.repeat_penalty.value(), self.repeat_penalty.decimals()),
            max_tokens=self.max_tokens.value(),
            seed=int(self.seed.value()),
            stop=stop,
            overflow=OverflowPolicy(self.overflow.currentData()),
        )

    # -- slots ------------------------------------------------------------------------------

    def _sync_gpu_spin(self) -> None:
        self.gpu_layers.setEnabled(self.gpu_mode.currentData() == _GPU_CUSTOM)

    def _on_button(self, button: QAbstractButton) -> None:
        if button is self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults):
            self.restore_defaults()

    def restore_defaults(self) -> None:
        """Put every field the dialog shows back to its default (nothing is saved yet)."""
        self.error_label.hide()
        self._show(AppSettings(load=LoadSettings(), generation=GenerationSettings()))

    def accept(self) -> None:
        """Close only when the settings are valid; otherwise say why, inline, and stay open."""
        try:
            self._result = self._read()
        except SettingsError as exc:
            log.info("settings refused: %s", exc)
            message = str(exc)
            self.error_label.setText(message[:1].upper() + message[1:] + ".")
            self.error_label.setAccessibleDescription(message)
            self.error_label.show()
            return
        self.error_label.hide()
        super().accept()

    def result_settings(self) -> AppSettings:
        """The edited settings after OK; the settings given in, unchanged, otherwise."""
        return self._result
