"""The model status bar: the model (click to change: recent local models, then each server's
models), the backend, the context meter, loading."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QMenu, QProgressBar, QStatusBar, QToolButton, QWidget

from chatapp.core.chat.service import effective
from chatapp.core.config.settings import OverflowPolicy
from chatapp.core.inference.backend import TokenCount
from chatapp.core.inference.engine import LoadedModel
from chatapp.core.models.modelinfo import ModelInfo
from chatapp.ui.i18n import format_number, translate
from chatapp.ui.main.servers import Listing, RemoteModel, ServerModels
from chatapp.ui.main.state import WindowState
from chatapp.ui.main.widgets import named

FILLING = 0.8  # of the context: from here on the meter and the window warn


class ModelStatusBar(QObject):
    """Fills the window's status bar and keeps it in step with ``WindowState``."""

    load_requested = Signal(object)  # Path of a recent model
    open_requested = Signal()  # "Open a GGUF model file…"
    cancel_load_requested = Signal()
    remote_requested = Signal(object)  # RemoteModel: chat with a server's model
    servers_wanted = Signal()  # the model menu is about to show: ask the servers again
    context_filling = Signal(str)  # the conversation nears the end of the context: what to say

    def __init__(
        self,
        state: WindowState,
        bar: QStatusBar,
        known: Callable[[str], ModelInfo | None] = lambda _path: None,
    ) -> None:
        """``known(path)``: what the library knows of a model file, from memory (no disk)."""
        super().__init__(bar)
        self.state = state
        self.known = known
        self.model_button = ElidingToolButton(bar)
        named(self.model_button, "modelButton", translate("StatusBar", "Model"))
        self.model_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.model_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.model_menu = QMenu(self.model_button)
        self.model_menu.aboutToShow.connect(self._menu_about_to_show)
        # the servers' last answer (None: not asked yet), and whether they are being asked
        self.servers: Listing | None = None
        self.asking_servers = False
        self.model_button.setMenu(self.model_menu)
        self.backend_label = named(QLabel(bar), "backendLabel", translate("StatusBar", "Backend"))
        self.context_meter = named(
            QProgressBar(bar), "contextMeter", translate("StatusBar", "Context used")
        )
        self.context_meter.setMaximumWidth(220)
        self.context_meter.setFormat(translate("StatusBar", "context %v / %m"))
        self.context_meter.setRange(0, 1)
        self.context_meter.setValue(0)
        self.load_bar = named(
            QProgressBar(bar), "loadProgress", translate("StatusBar", "Loading progress")
        )
        self.load_bar.setRange(0, 100)
        self.load_bar.setMaximumWidth(160)
        self.load_bar.hide()
        self.cancel_load_button = named(
            QToolButton(bar),
            "cancelLoad",
            translate("StatusBar", "Cancel loading"),
            translate("StatusBar", "Stop loading this model"),
        )
        self.cancel_load_button.setText(translate("StatusBar", "Cancel"))
        self.cancel_load_button.clicked.connect(self.cancel_load_requested.emit)
        self.cancel_load_button.hide()
        bar.addWidget(self.model_button)
        bar.addWidget(self.load_bar)
        bar.addWidget(self.cancel_load_button)
        bar.addPermanentWidget(self.backend_label)
        bar.addPermanentWidget(self.context_meter)
        state.model_changed.connect(self._model_changed)
        state.model_changed.connect(self.update_context_meter)
        state.thread_changed.connect(self.update_context_meter)
        state.conversation_changed.connect(self.update_context_meter)
        self._loading_shown: str | None = None
        self._warned: set[str] = set()  # conversations told their context is nearly full
        self._model_changed()
        self.update_context_meter()

    def _model_changed(self) -> None:
        loading, model = self.state.loading, self.state.model
        if loading != self._loading_shown:  # a load began or ended
            self._loading_shown = loading
            self.load_bar.setValue(0)
            self.load_bar.setVisible(loading is not None)
            self.cancel_load_button.setVisible(loading is not None)
        remote = self.state.remote
        if loading:
            self.model_button.setText(
                translate("StatusBar", "Loading {name}…").format(name=Path(loading).name)
            )
        elif remote is not None:
            self.model_button.setText(f"{remote.label} ▾".replace("&", "&&"))
        elif model is not None:
            i = model.info
            self.model_button.setText(f"{i.name} · {i.parameters_label} · {i.quantization} ▾")
        else:
            self.model_button.setText(translate("StatusBar", "No model — choose… ▾"))
        if remote is not None:
            self.backend_label.setText(remote.server.base_url)
            self.backend_label.setToolTip(
                translate("StatusBar", "{model} on the server {server}").format(
                    model=remote.model, server=remote.server.name
                )
            )
        elif model is not None:
            where = (
                translate("StatusBar", "{backend} · {done}/{total} layers on GPU").format(
                    backend=model.backend,
                    done=model.layers_offloaded,
                    total=model.info.n_layer,
                )
                if model.layers_offloaded
                else translate("StatusBar", "CPU")
            )
            self.backend_label.setText(where)
            self.backend_label.setToolTip(describe_model(model))
        else:
            self.backend_label.setText("")

    def show_load_progress(self, fraction: float) -> None:
        self.load_bar.setValue(int(fraction * 100))

    def update_context_meter(self) -> None:
        """How much of the context the conversation's last reply used."""
        model = self.state.model
        # a server fits the context itself and does not say its size
        n_ctx = model.n_ctx if model and self.state.remote is None else 0
        used = 0
        for m in reversed(self.state.thread_messages):
            if m.metrics is not None:
                used = m.metrics.prompt_tokens + m.metrics.completion_tokens
                break
        self.context_meter.setRange(0, max(n_ctx, 1))
        self.context_meter.setValue(min(used, max(n_ctx, 1)))
        self.context_meter.setVisible(n_ctx > 0)
        self._check_filling(used, n_ctx)

    def _check_filling(self, used: int, n_ctx: int) -> None:
        """Past ``FILLING`` of the context, the meter says so, and the window is told once a
        conversation (what happens next depends on its "when the context is full" setting)."""
        full = n_ctx > 0 and used >= FILLING * n_ctx
        self.context_meter.setFormat(
            translate("StatusBar", "context %v / %m · nearly full")
            if full
            else translate("StatusBar", "context %v / %m")
        )
        # never narrower than its text (at a large font the model's name gives way instead)
        metrics = self.context_meter.fontMetrics()
        self.context_meter.setMinimumWidth(
            metrics.horizontalAdvance(self.context_meter.text()) + 16
        )
        self.context_meter.setToolTip(
            translate("StatusBar", "The conversation nearly fills the model's context")
            if full
            else translate("StatusBar", "Context used")
        )
        conv = self.state.current
        if not full or conv is None or conv.id in self._warned:
            return
        self._warned.add(conv.id)
        policy = effective(self.state.settings.generation, conv).overflow
        if policy == OverflowPolicy.REFUSE:
            then = translate(
                "StatusBar",
                "the next reply is refused until you start a new chat or load the model with a "
                "larger context",
            )
        elif policy == OverflowPolicy.SUMMARISE:
            then = translate(
                "StatusBar",
                "the model will summarise the older turns and read the summary in their place "
                "(shown above the reply)",
            )
        else:
            then = translate(
                "StatusBar",
                "the oldest turns will be left out of what the model reads (the reply says how "
                "many)",
            )
        self.context_filling.emit(
            translate(
                "StatusBar",
                "This conversation uses {percent}% of the model's context: soon {then}. "
                "Change it in the conversation's settings (Ctrl+Shift+S), or load the model with "
                "a larger context.",
            ).format(percent=100 * used // n_ctx, then=then)
        )

    def show_token_count(self, _message_id: str, count: TokenCount) -> None:
        """While a reply streams: the context it uses so far."""
        local = self.state.model is not None and self.state.remote is None
        if local and self.state.stream is not None:
            self.context_meter.setValue(min(count.context, self.context_meter.maximum()))
            self._check_filling(count.context, self.context_meter.maximum())

    def recent_label(self, path: str) -> str:
        """A recent model as its metadata names it ("Qwen2.5 7B Instruct · 7.6B · Q4_K_M"), as
        the library has it; its file name where the library does not know it."""
        model = self.state.model
        info = model.info if model is not None and str(model.info.path) == path else None
        info = info or self.known(path)
        if info is None or not info.name:
            return Path(path).name
        return f"{info.name} · {info.parameters_label} · {info.quantization}".replace("&", "&&")

    def fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        recent = self.state.settings.recent_models
        for path in recent:
            action = menu.addAction(
                self.recent_label(path), partial(self.load_requested.emit, Path(path))
            )
            action.setToolTip(path)
        if recent:
            menu.addSeparator()
        menu.addAction(translate("StatusBar", "Open a GGUF model file…"), self.open_requested.emit)

    # -- the servers' models --------------------------------------------------------------------

    def _menu_about_to_show(self) -> None:
        self.servers_wanted.emit()
        self.fill_model_menu()

    def show_servers(self, listing: Listing | None, asking: bool) -> None:
        """The servers' answer arrived (or asking began): an open model menu shows it now."""
        self.servers, self.asking_servers = listing, asking
        if self.model_menu.isVisible():
            self.fill_model_menu()

    def fill_model_menu(self) -> None:
        """Recent local models, then a section per server with its models (or why none)."""
        menu = self.model_menu
        self.fill_recent(menu)
        listing = self.servers
        if listing is None:
            if self.asking_servers:
                menu.addSeparator()
                menu.addAction(
                    translate("StatusBar", "Asking the servers for their models…")
                ).setEnabled(False)
            return
        if listing.problem is not None:
            menu.addSeparator()
            menu.addAction(
                translate("StatusBar", "Servers: {problem}").format(problem=listing.problem)
            ).setEnabled(False)
        for answer in listing.servers:
            self._add_server(menu, answer)

    def _add_server(self, menu: QMenu, answer: ServerModels) -> None:
        server = answer.server
        menu.addSection(
            translate("StatusBar", "On {server}").format(server=server.name).replace("&", "&&")
        )
        if answer.blocked:
            line = translate(
                "StatusBar", "{server}: offline mode is on (the server is not marked local)"
            ).format(server=server.name)
        elif answer.error is not None:
            line = f"{server.name}: {answer.error}"
        elif not answer.models:
            line = translate("StatusBar", "{server} has no models").format(server=server.name)
        else:
            current = self.state.remote
            for model in answer.models:
                choice = RemoteModel(server, model)
                action = menu.addAction(
                    choice.label.replace("&", "&&"), partial(self.remote_requested.emit, choice)
                )
                action.setToolTip(
                    translate("StatusBar", "{model} on {url}").format(
                        model=model, url=server.base_url
                    )
                )
                if current is not None and (current.server.name, current.model) == (
                    server.name,
                    model,
                ):
                    action.setCheckable(True)
                    action.setChecked(True)
            return
        action = menu.addAction(line.replace("&", "&&"))
        action.setEnabled(False)
        action.setToolTip(line)


class ElidingToolButton(QToolButton):
    """A tool button whose text ends in "…" where the window is too narrow for all of it (the
    whole text stays its accessible description and tooltip-free size hint)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""

    def setText(self, text: str) -> None:  # Qt's name
        self._full = text
        self.setAccessibleDescription(text.replace("&&", "&").removesuffix(" ▾"))
        self._elide()
        self.updateGeometry()

    def full_text(self) -> str:
        return self._full

    def _padding(self) -> int:
        return super().sizeHint().width() - self.fontMetrics().horizontalAdvance(super().text())

    def sizeHint(self) -> QSize:  # Qt's name
        hint = super().sizeHint()
        return QSize(
            self._padding() + self.fontMetrics().horizontalAdvance(self._full), hint.height()
        )

    def minimumSizeHint(self) -> QSize:  # Qt's name
        hint = super().minimumSizeHint()
        return QSize(self._padding() + self.fontMetrics().horizontalAdvance("…  ▾"), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt's name
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:  # Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._elide()
            self.updateGeometry()

    def _elide(self) -> None:
        room = self.width() - self._padding()
        metrics = self.fontMetrics()
        text = self._full
        if metrics.horizontalAdvance(text) > room and text.endswith(" ▾"):
            body = metrics.elidedText(
                text.removesuffix(" ▾"),
                Qt.TextElideMode.ElideRight,
                max(0, room - metrics.horizontalAdvance(" ▾")),
            )
            text = f"{body} ▾"
        if super().text() != text:
            super().setText(text)


def describe_model(model: LoadedModel) -> str:
    """``LoadedModel.describe`` in the window's language: what was loaded and how (the backend
    label's tooltip). Where the chat template came from stays as core words it."""
    i = model.info
    if model.layers_offloaded:
        where = translate("StatusBar", "{backend}, {done}/{total} layers offloaded").format(
            backend=model.backend, done=model.layers_offloaded, total=i.n_layer
        )
    elif model.gpu_offload_supported:
        where = translate("StatusBar", "CPU only")
    else:
        where = translate("StatusBar", "CPU only (no GPU support in build)")
    extras = ""
    if model.lora is not None:
        extras += translate("StatusBar", ", LoRA adapter {name} at scale {scale}").format(
            name=model.lora.path.name, scale=f"{model.lora.scale:g}"
        )
    lookup = model.lookup_tokens
    if lookup:
        extras += translate("StatusBar", ", prompt lookup (%n token(s) ahead)", None, lookup)
    folded = ""
    if model.system_folded:
        folded += translate("StatusBar", "; system prompt sent in the first user turn")
    if model.reasoning:
        folded += translate("StatusBar", "; reasoning model ({format} format)").format(
            format=model.reasoning
        )
    n_ctx = model.n_ctx
    return translate(
        "StatusBar",
        "{name} ({architecture}, {parameters} params, {quantization}), context %Ln, "
        "{where}{extras}, loaded in {seconds} s; chat template {source}{folded}",
        None,
        n_ctx,
    ).format(
        name=i.name,
        architecture=i.architecture,
        parameters=i.parameters_label,
        quantization=i.quantization,
        where=where,
        extras=extras,
        seconds=format_number(model.load_seconds, 2),
        source=model.template_source,
        folded=folded,
    )
