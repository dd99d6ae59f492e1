"""The settings dialog, driven through its real widgets (offscreen)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import AppSettings, Theme
from chatapp.core.config.settings import (
    SEED_MAX,
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
    bounds,
    number_type,
)
from chatapp.ui.main.settings_dialog import SettingsDialog


def remembered() -> AppSettings:
    """Settings with every field the dialog does not edit set, to prove they survive."""
    return AppSettings(
        load=LoadSettings(
            n_ctx=4096, n_gpu_layers=20, n_threads=4, n_batch=128, seed=7, lookup_tokens=5
        ),
        generation=GenerationSettings(temperature=0.5, stop=("</s>",), seed=42),
        system_prompt="Be brief.",
        theme=Theme.LIGHT,
        font_size=13,
        recent_models=("/m/b.gguf", "/m/a.gguf"),
        last_model="/m/b.gguf",
        last_conversation="abc123",
        window_geometry="AdnQywADAAAA",
        splitter_sizes=(200, 600),
    )


@pytest.fixture
def dialog(qtbot: QtBot) -> SettingsDialog:
    dlg = SettingsDialog(remembered())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def click(qtbot: QtBot, dlg: SettingsDialog, which: QDialogButtonBox.StandardButton) -> None:
    qtbot.mouseClick(dlg.buttons.button(which), Qt.MouseButton.LeftButton)


def test_opens_showing_the_given_values(dialog: SettingsDialog) -> None:
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "&Model",
        "&Generation",
        "&Chat",
        "&Appearance",
    ]
    assert dialog.n_ctx.value() == 4096
    assert dialog.gpu_mode.currentText() == "Custom"
    assert dialog.gpu_layers.value() == 20 and dialog.gpu_layers.isEnabled()
    assert dialog.n_threads.value() == 4
    assert dialog.n_batch.value() == 128
    assert not dialog.prompt_lookup.isChecked()
    assert dialog.lookup_tokens.value() == 5 and not dialog.lookup_tokens.isEnabled()
    assert dialog.temperature.value() == pytest.approx(0.5)
    assert dialog.seed.value() == 42
    assert dialog.stop.toPlainText() == "</s>"
    assert dialog.system_prompt.toPlainText() == "Be brief."
    assert dialog.chat_template.toPlainText() == ""
    assert dialog.theme.currentData() == Theme.LIGHT
    assert dialog.font_size.value() == 13


def test_special_values_read_in_words(qtbot: QtBot) -> None:
    dlg = SettingsDialog(AppSettings())
    qtbot.addWidget(dlg)
    assert dlg.n_ctx.text() == "Model default (max 8192)"
    assert dlg.n_threads.text() == "Automatic"
    assert dlg.seed.text() == "Random"
    assert dlg.gpu_mode.currentText() == "Automatic"
    assert not dlg.gpu_layers.isEnabled()


def test_edits_through_the_widgets_come_back_and_untouched_fields_are_kept(
    qtbot: QtBot, dialog: SettingsDialog
) -> None:
    dialog.tabs.setCurrentIndex(1)
    dialog.temperature.selectAll()
    qtbot.keyClicks(dialog.temperature, "1.25")
    dialog.stop.clear()
    qtbot.keyClicks(dialog.stop, "User:")
    dialog.overflow.setCurrentIndex(dialog.overflow.findData(OverflowPolicy.REFUSE))
    dialog.tabs.setCurrentIndex(0)
    dialog.gpu_mode.setCurrentIndex(dialog.gpu_mode.findText("CPU only"))
    assert not dialog.gpu_layers.isEnabled()
    qtbot.mouseClick(dialog.prompt_lookup, Qt.MouseButton.LeftButton)
    assert dialog.lookup_tokens.isEnabled()
    dialog.reopen_cache.setValue(0)
    assert dialog.reopen_cache.text() == "Off"
    dialog.tabs.setCurrentIndex(2)
    dialog.system_prompt.clear()
    qtbot.keyClicks(dialog.system_prompt, "You are a pirate.")
    dialog.tabs.setCurrentIndex(3)
    dialog.theme.setCurrentIndex(dialog.theme.findText("Dark"))
    dialog.font_size.setValue(16)

    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    result = dialog.result_settings()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert result.generation.temperature == 1.25
    assert result.generation.stop == ("User:",)
    assert result.generation.overflow is OverflowPolicy.REFUSE
    assert result.generation.seed == 42
    assert result.load.n_gpu_layers == 0
    assert result.load.seed == 7  # not shown, kept
    assert result.load.prompt_lookup and result.load.lookup_tokens == 5
    assert result.reopen_cache_mb == 0  # off: no conversation state is kept on disk
    assert result.system_prompt == "You are a pirate."
    assert result.theme is Theme.DARK
    assert result.font_size == 16
    old = remembered()
    assert result.recent_models == old.recent_models
    assert result.last_model == old.last_model
    assert result.last_conversation == old.last_conversation
    assert result.window_geometry == old.window_geometry
    assert result.splitter_sizes == old.splitter_sizes


def test_unchanged_ok_returns_equal_settings(qtbot: QtBot, dialog: SettingsDialog) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.result_settings() == remembered()


def test_blank_stop_lines_are_ignored_and_lines_are_kept_exactly(
    qtbot: QtBot, dialog: SettingsDialog
) -> None:
    dialog.stop.setPlainText("\n   \n</s>\n\n  Q: \n</s>\n")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert dialog.result_settings().generation.stop == ("</s>", "  Q: ")

    dlg = SettingsDialog(AppSettings())
    qtbot.addWidget(dlg)
    dlg.stop.setPlainText("\n \n\t\n")
    dlg.accept()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.result_settings().generation.stop == ()


def test_invalid_template_is_shown_inline_and_the_dialog_stays_open(
    qtbot: QtBot, dialog: SettingsDialog
) -> None:
    error = dialog.findChild(QLabel, "settingsError")
    assert error is not None and error.isHidden()
    dialog.tabs.setCurrentIndex(2)
    qtbot.keyClicks(dialog.chat_template, "{% for m in messages %}{{ m['content'] }")

    with qtbot.assertNotEmitted(dialog.accepted):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)

    assert dialog.isVisible()
    assert error.isVisible()
    assert "chat template is not valid" in error.text() and "line 1" in error.text()
    assert dialog.result_settings() == remembered()

    dialog.chat_template.setPlainText("{{ messages[0]['content'] }}")
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert error.isHidden()
    assert dialog.result_settings().chat_template == "{{ messages[0]['content'] }}"


def test_whitespace_template_means_the_models_own(qtbot: QtBot) -> None:
    dlg = SettingsDialog(AppSettings(chat_template="{{ x }}"))
    qtbot.addWidget(dlg)
    assert dlg.chat_template.toPlainText() == "{{ x }}"
    dlg.chat_template.setPlainText("  \n ")
    dlg.accept()
    assert dlg.result_settings().chat_template is None


def test_restore_defaults_resets_the_fields_but_not_remembered_state(
    qtbot: QtBot, dialog: SettingsDialog
) -> None:
    click(qtbot, dialog, QDialogButtonBox.StandardButton.RestoreDefaults)
    assert dialog.isVisible()  # restoring does not close the dialog
    assert dialog.n_ctx.value() == 0
    assert dialog.gpu_mode.currentText() == "Automatic"
    assert dialog.temperature.value() == pytest.approx(0.8)
    assert dialog.stop.toPlainText() == ""
    assert dialog.system_prompt.toPlainText() == ""
    assert dialog.theme.currentData() == Theme.SYSTEM

    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    result = dialog.result_settings()
    old = remembered()
    assert result.generation == GenerationSettings()
    assert result.load == LoadSettings(seed=old.load.seed)
    assert (result.system_prompt, result.theme, result.font_size) == ("", Theme.SYSTEM, 11)
    assert result.recent_models == old.recent_models
    assert result.window_geometry == old.window_geometry


def test_cancel_keeps_the_given_settings(qtbot: QtBot, dialog: SettingsDialog) -> None:
    dialog.font_size.setValue(20)
    with qtbot.waitSignal(dialog.rejected, timeout=1000):
        click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.result_settings() == remembered()


def test_gpu_layer_choices_map_to_load_settings(qtbot: QtBot) -> None:
    dlg = SettingsDialog(AppSettings())
    qtbot.addWidget(dlg)
    expected = {"Automatic": None, "All layers": -1, "CPU only": 0, "Custom": 33}
    dlg.gpu_layers.setValue(33)
    for text, value in expected.items():
        dlg.gpu_mode.setCurrentIndex(dlg.gpu_mode.findText(text))
        dlg.accept()
        assert dlg.result_settings().load.n_gpu_layers == value
    all_layers = SettingsDialog(AppSettings(load=LoadSettings(n_gpu_layers=-1)))
    qtbot.addWidget(all_layers)
    assert all_layers.gpu_mode.currentText() == "All layers"


def test_every_focusable_widget_is_named_for_tests_and_screen_readers(
    dialog: SettingsDialog,
) -> None:
    checked = []
    for widget in dialog.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if widget.focusProxy() is not None or widget.window() is not dialog:
            continue  # a spin box's inner editor, or a combo box's popup list
        assert widget.objectName(), f"unnamed {type(widget).__name__}"
        assert widget.accessibleName(), f"{widget.objectName()} has no accessible name"
        checked.append(widget.objectName())
    assert {"temperature", "systemPrompt", "theme", "okButton", "gpuLayersMode"} <= set(checked)


def test_every_label_has_a_mnemonic_and_a_buddy(dialog: SettingsDialog) -> None:
    for label in dialog.findChildren(QLabel):
        if label.buddy() is not None:
            assert "&" in label.text(), label.text()
    buddies = {label.buddy().objectName() for label in dialog.findChildren(QLabel) if label.buddy()}
    assert {"contextLength", "gpuLayersMode", "temperature", "stopStrings", "fontSize"} <= buddies


def test_tab_order_follows_the_form(dialog: SettingsDialog) -> None:
    expected = [
        "contextLength",
        "gpuLayersMode",
        "gpuLayersCount",
        "threads",
        "batchSize",
        "flashAttention",
        "promptLookup",
        "lookupTokens",
        "temperature",
        "topP",
        "topK",
        "minP",
        "repeatPenalty",
        "maxTokens",
        "seed",
        "stopStrings",
        "overflowPolicy",
        "systemPrompt",
        "chatTemplate",
        "theme",
        "fontSize",
    ]
    chain: list[str] = []
    widget: QWidget | None = dialog.n_ctx
    for _ in range(200):
        assert widget is not None
        name = widget.objectName()
        if name in expected and name not in chain:
            chain.append(name)
        widget = widget.nextInFocusChain()
    assert chain == expected


def test_mnemonics_move_the_focus_from_the_keyboard(qtbot: QtBot, dialog: SettingsDialog) -> None:
    alt = Qt.KeyboardModifier.AltModifier

    def press(key: Qt.Key) -> None:
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        qtbot.keyClick(dialog, key, alt)

    press(Qt.Key.Key_G)  # the Generation tab
    assert dialog.tabs.currentIndex() == 1
    press(Qt.Key.Key_E)
    assert dialog.temperature.hasFocus()
    press(Qt.Key.Key_A)  # the Appearance tab
    press(Qt.Key.Key_F)
    assert dialog.font_size.hasFocus()


# Every numeric setting and the spin box that edits it; a new setting must be added here (or to
# NOT_SHOWN), so a dialog range can never again be a stale copy of the core's bounds.
SPINS: dict[tuple[type[BaseModel], str], str] = {
    (LoadSettings, "n_ctx"): "n_ctx",
    (LoadSettings, "n_threads"): "n_threads",
    (LoadSettings, "n_batch"): "n_batch",
    (LoadSettings, "lookup_tokens"): "lookup_tokens",
    (GenerationSettings, "temperature"): "temperature",
    (GenerationSettings, "top_p"): "top_p",
    (GenerationSettings, "top_k"): "top_k",
    (GenerationSettings, "min_p"): "min_p",
    (GenerationSettings, "repeat_penalty"): "repeat_penalty",
    (GenerationSettings, "max_tokens"): "max_tokens",
    (GenerationSettings, "seed"): "seed",
    (AppSettings, "font_size"): "font_size",
    (AppSettings, "reopen_cache_mb"): "reopen_cache",
    (AppSettings, "docs_k"): "docs_k",
    (AppSettings, "docs_min_similarity"): "docs_min_similarity",
}
GPU_LAYERS = (LoadSettings, "n_gpu_layers")  # a choice (automatic, all, CPU) plus a count
NOT_SHOWN = {(LoadSettings, "seed")}


def test_every_numeric_setting_has_exactly_its_bounds_in_the_dialog(
    dialog: SettingsDialog,
) -> None:
    numeric = {
        (model, name)
        for model in (LoadSettings, GenerationSettings, AppSettings)
        for name, info in model.model_fields.items()
        if number_type(info) is not None
    }
    assert numeric == set(SPINS) | {GPU_LAYERS} | NOT_SHOWN
    for (model, name), attribute in SPINS.items():
        spin = getattr(dialog, attribute)
        assert isinstance(spin, QSpinBox | QDoubleSpinBox)
        assert (spin.minimum(), spin.maximum()) == bounds(model, name), name
        assert spin.toolTip() == model.model_fields[name].description, name

    lo, hi = bounds(*GPU_LAYERS)
    assert dialog.gpu_layers.maximum() == hi
    assert dialog.gpu_layers.minimum() == 1  # below that, the choices: CPU only (0), all (-1)
    for text, value in (("All layers", lo), ("CPU only", 0), ("Custom", hi)):
        dialog.gpu_mode.setCurrentIndex(dialog.gpu_mode.findText(text))
        dialog.gpu_layers.setValue(hi)
        dialog.accept()
        assert dialog.result_settings().load.n_gpu_layers == value


def test_a_seed_past_what_a_qspinbox_holds_survives_the_dialog(qtbot: QtBot) -> None:
    settings = AppSettings(generation=GenerationSettings(seed=SEED_MAX))
    dlg = SettingsDialog(settings)
    qtbot.addWidget(dlg)
    assert dlg.seed.text() == str(SEED_MAX)
    dlg.accept()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.result_settings() == settings  # not clamped to 2**31 - 1 on the way through


def test_fractional_settings_step_as_their_definition_says(dialog: SettingsDialog) -> None:
    dialog.temperature.setValue(0.5)
    dialog.temperature.stepUp()
    assert dialog.temperature.value() == pytest.approx(0.55)
    dialog.top_p.setValue(0.9)
    dialog.top_p.stepUp()
    assert dialog.top_p.value() == pytest.approx(0.91)
    dialog.n_ctx.setValue(4096)
    dialog.n_ctx.stepUp()
    assert dialog.n_ctx.value() == 4096 + 1024
