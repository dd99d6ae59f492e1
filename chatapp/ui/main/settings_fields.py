"""The settings dialog's fields, each built from its setting's definition in ``chatapp.core``:
range, step, decimals and tooltip come from the pydantic field, so no bound is written twice."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from chatapp.core.config.settings import bounds, number_type
from chatapp.ui.i18n import translate

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1  # what a QSpinBox (a C int) can hold


@dataclass(frozen=True)
class SettingField:
    """What the dialog shows for one setting, read from its definition in ``chatapp.core``."""

    lo: float
    hi: float
    step: float
    decimals: int  # 0 for a whole number
    tooltip: str


def setting_field(model: type[BaseModel], name: str) -> SettingField:
    """Range, step, decimals and tooltip of setting ``name``, from ``model.model_fields[name]``.

    The step is the field's ``json_schema_extra["step"]`` (1 when absent); decimals are as many
    as the step needs, at least two for a fractional setting.
    """
    info = model.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    step = extra.get("step", 1)
    assert isinstance(step, int | float)
    decimals = 0
    if number_type(info) is float:
        decimals = max(2, -math.floor(math.log10(step)) if step < 1 else 0)
    lo, hi = bounds(model, name) if number_type(info) else (0, 0)
    # the description in the window's language (chatapp.ui.main.settings_text lists them)
    tooltip = translate("Settings", info.description) if info.description else ""
    return SettingField(lo, hi, step, decimals, tooltip)


def spin_box(
    name: str, accessible: str, model: type[BaseModel], setting: str
) -> QSpinBox | QDoubleSpinBox:
    """A spin box for numeric ``setting`` of ``model``, its range exactly the setting's bounds.

    A whole number whose bounds a QSpinBox cannot hold (a seed) gets a QDoubleSpinBox with no
    decimals, so no allowed value is clamped.
    """
    f = setting_field(model, setting)
    spin: QSpinBox | QDoubleSpinBox
    if f.decimals == 0 and f.lo >= _INT32_MIN and f.hi <= _INT32_MAX:
        spin = QSpinBox()
        spin.setRange(int(f.lo), int(f.hi))
        spin.setSingleStep(int(f.step))
    else:
        spin = QDoubleSpinBox()
        spin.setDecimals(f.decimals)
        spin.setRange(f.lo, f.hi)
        spin.setSingleStep(f.step)
    spin.setObjectName(name)
    spin.setAccessibleName(accessible)
    spin.setToolTip(f.tooltip)
    return spin


def int_spin(name: str, accessible: str, model: type[BaseModel], setting: str) -> QSpinBox:
    spin = spin_box(name, accessible, model, setting)
    assert isinstance(spin, QSpinBox), setting
    return spin


def float_spin(name: str, accessible: str, model: type[BaseModel], setting: str) -> QDoubleSpinBox:
    spin = spin_box(name, accessible, model, setting)
    assert isinstance(spin, QDoubleSpinBox), setting
    return spin


def text_box(name: str, accessible: str, placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)  # Tab leaves the box, so the dialog works from the keyboard
    return edit


def combo_box(name: str, accessible: str, items: list[tuple[str, object]]) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName(accessible)
    combo.view().setAccessibleName(accessible)  # its list of choices, as a screen reader sees it
    for text, data in items:
        combo.addItem(text, data)
    return combo


def form_row(form: QFormLayout, label_text: str, field: QWidget) -> QLabel:
    """A form row whose label's ``&`` mnemonic moves the focus to ``field``."""
    label = QLabel(label_text)
    label.setBuddy(field)
    form.addRow(label, field)
    return label
