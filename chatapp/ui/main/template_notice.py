"""What the window says, once per load, about the chat template a model gets.

A file with no chat template gets a turn format chosen from its vocabulary (or a plain
transcript); the notice says which, and its "Change template…" button offers the other formats,
the plain transcript, a Jinja file of the user's, and the automatic choice again. A template
with no system role gets the system prompt folded into the first user turn; that is said too.
The choice holds for the loaded model until it is loaded again (Preferences has the override
that every load gets).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from chatapp.core.inference.chat_template import NO_TEMPLATE, PLAIN, TURN_FORMATS
from chatapp.core.inference.engine import LoadedModel
from chatapp.core.storage.store import Store
from chatapp.ui.i18n import translate
from chatapp.ui.main.widgets import ErrorBanner

# the longest Jinja file read for a chat template (real ones are a few kB)
_MAX_TEMPLATE_BYTES = 1 << 20


def format_in_use(model: LoadedModel) -> str | None:
    """The name of our turn format the model uses ("ChatML", "plain transcript"), if any."""
    head, _, rest = model.template_source.partition(": ")
    if head == "chosen from the vocabulary":
        return rest.split(" (")[0]
    if head == "plain transcript":
        return PLAIN.name
    if head == "set by the user" and rest:
        return rest
    return None


def notices(model: LoadedModel) -> list[str]:
    """What the window says about this model's chat template, as it loads."""
    said = []
    source, name = model.template_source, format_in_use(model)
    if NO_TEMPLATE in source and name == PLAIN.name:
        said.append(
            translate(
                "TemplateNotice",
                "This file has no chat template; using a plain transcript "
                "(“User: … / Assistant:”), as its vocabulary has no known turn markers.",
            )
        )
    elif NO_TEMPLATE in source and name:
        said.append(
            translate(
                "TemplateNotice",
                "This file has no chat template; using {name} (its vocabulary has {name}'s "
                "turn markers).",
            ).format(name=name)
        )
    if model.system_folded:
        said.append(_folded(model))
    return said


def _folded(model: LoadedModel) -> str:
    return translate(
        "TemplateNotice",
        "{model}'s template has no system role: your system prompt is sent at "
        "the start of your first message.",
    ).format(model=model.info.name)


class TemplateNotice(QObject):
    """The notice banner's part in the window: what it says, and the "Change template…" menu."""

    # the chat template to use for the loaded model (None: the one it got when loaded)
    template_chosen = Signal(object)

    def __init__(
        self,
        banner: ErrorBanner,
        on_disk: Callable[[Callable[[Store], object], Callable[[object], None]], None],
        on_error: Callable[[str], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.banner, self.on_disk, self.on_error = banner, on_disk, on_error
        self.parent_widget = parent
        self.model: LoadedModel | None = None
        self.menu = QMenu(parent)
        self.menu.setObjectName("templateMenu")
        self.menu.setAccessibleName(translate("TemplateNotice", "Chat template for this model"))
        self._group = QActionGroup(self.menu)
        self.actions: dict[str, QAction] = {}
        for fmt in (*TURN_FORMATS, PLAIN):
            label = (
                translate("TemplateNotice", "Plain transcript (User: / Assistant:)")
                if fmt is PLAIN
                else fmt.name
            )
            act = self.menu.addAction(label)
            act.setCheckable(True)
            self._group.addAction(act)
            act.triggered.connect(partial(self.template_chosen.emit, fmt.template))
            self.actions[fmt.name] = act
        self.menu.addSeparator()
        self.jinja_action = self.menu.addAction(translate("TemplateNotice", "Choose a Jinja file…"))
        self.jinja_action.triggered.connect(self.choose_file)
        self.own_action = self.menu.addAction(
            translate("TemplateNotice", "Back to the automatic choice")
        )
        self.own_action.triggered.connect(lambda: self.template_chosen.emit(None))

    def loaded(self, model: LoadedModel) -> None:
        """A model loaded: say what it gets, once."""
        self.model = model
        said = notices(model)
        if said:
            self._show("\n".join(said), NO_TEMPLATE in model.template_source)
        else:
            self.banner.hide()

    def changed(self, model: LoadedModel) -> None:
        """The user chose another template for the loaded model."""
        self.model = model
        folded = [_folded(model)] if model.system_folded else []
        name = model.info.name
        if model.template_source.startswith("invalid: "):
            text = translate(
                "TemplateNotice", "{model}'s chat template is invalid: {error}"
            ).format(model=name, error=model.template_source[9:])
        elif model.template_source.startswith("set by the user"):
            chosen = format_in_use(model)
            what = (
                translate("TemplateNotice", "a plain transcript")
                if chosen == PLAIN.name
                else chosen or translate("TemplateNotice", "your chat template")
            )
            text = translate(
                "TemplateNotice", "{model} now uses {what}, until the model is loaded again."
            ).format(model=name, what=what)
        else:
            text = translate(
                "TemplateNotice", "{model} now uses the chat template {source}."
            ).format(model=name, source=model.template_source)
        self._show("\n".join([text, *folded]), True)

    def _show(self, text: str, changeable: bool) -> None:
        self.banner.show_error(
            text,
            (translate("TemplateNotice", "Change template…"), self.open_menu)
            if changeable
            else None,
        )

    def open_menu(self) -> None:
        name = format_in_use(self.model) if self.model else None
        have = self.model.info.marker_tokens if self.model else frozenset()
        for fmt in TURN_FORMATS:  # one whose markers the file lacks would read them as text
            missing = not all(m in have for m in fmt.markers)
            self.actions[fmt.name].setText(
                translate("TemplateNotice", "{name} (markers not in this file)").format(
                    name=fmt.name
                )
                if missing
                else fmt.name
            )
        for fmt_name, act in self.actions.items():
            act.setChecked(fmt_name == name)
        button = self.banner.action
        self.menu.popup(button.mapToGlobal(QPoint(0, button.height())))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            translate("TemplateNotice", "Choose a chat template"),
            "",
            translate("TemplateNotice", "Jinja templates (*.jinja *.j2 *.txt);;All files (*)"),
        )
        if path:
            self.on_disk(lambda _store: _read_template(Path(path)), self._file_read)

    def _file_read(self, result: object) -> None:
        if isinstance(result, tuple):  # (file name, why it could not be read)
            self.on_error(
                translate("TemplateNotice", "Could not read {name}: {error}.").format(
                    name=result[0], error=result[1]
                )
            )
        elif isinstance(result, str):
            self.template_chosen.emit(result)


def _read_template(path: Path) -> str | tuple[str, str]:
    """The file's text, or (its name, why it could not be read); on the store thread."""
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        return path.name, exc.strerror or str(exc)
    if len(data) > _MAX_TEMPLATE_BYTES:
        return path.name, translate(
            "TemplateNotice", "it is larger than 1 MB, too large for a chat template"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return path.name, translate("TemplateNotice", "it is not UTF-8 text")
    return (path.name, translate("TemplateNotice", "it is empty")) if not text.strip() else text
