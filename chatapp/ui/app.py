"""Start the window: settings, store and engine are created here and passed in."""

from __future__ import annotations

# ruff: noqa: E402
# Before PySide6 loads Qt's libraries: a missing one is named, with its `sudo apt-get install …`
# line, instead of an ImportError or Qt's "could not load the Qt platform plugin xcb".
from chatapp.system_packages import exit_if_qt_cannot_load

exit_if_qt_cannot_load()

import gc
import logging
import sys
import threading
import time
from importlib.resources import files
from pathlib import Path

import psutil
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from chatapp import __version__
from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile
from chatapp.core.docs.index import DocIndexError
from chatapp.core.docs.service import DocsService
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.kvstate import STATES_DIRNAME, StateCache
from chatapp.core.storage.paths import cache_dir, config_dir, data_dir
from chatapp.core.storage.store import DB_FILENAME, Store, StoreBusy, StoreError
from chatapp.desktop import APP_ID, PNG_SIZES
from chatapp.ui.i18n import install_language, translate
from chatapp.ui.main.render import warm_up
from chatapp.ui.main.theme import apply_theme
from chatapp.ui.main.window import MainWindow
from chatapp.ui.models.model_workers import ModelFiles

log = logging.getLogger(__name__)


def app_icon() -> QIcon:
    """The app's icon in every size the package ships (title bar, task switcher, dialogs)."""
    icon = QIcon()
    source = files("chatapp") / "data" / "icons"
    for size in PNG_SIZES:
        icon.addFile(str(source / f"{APP_ID}-{size}.png"), QSize(size, size))
    return icon


def _report_shown() -> None:
    """With -v: how long the start took (benchmarks/bench_bundle.py reads this line)."""
    now = time.time()
    started = psutil.Process().create_time()
    log.info("window shown %.2f s after the process started (at %.3f)", now - started, now)


def open_store(folder: Path) -> Store:
    """The store; where it cannot be written (a read-only medium, someone else's read-only
    file) but can be read, it opens read-only and the window says so."""
    try:
        return Store.open_dir(folder)
    except StoreError as exc:
        # Another program's lock (StoreBusy) passes: the file is writable, just not now.
        if isinstance(exc, StoreBusy) or not (folder / DB_FILENAME).is_file():
            raise
        try:
            store = Store.open_dir(folder, read_only=True, reason=str(exc))
        except StoreError:
            raise exc from None
        log.warning("%s; opened read-only", exc)
        return store


def run_app(data_dir_override: Path | None, model: Path | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("chatapp")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("chatapp")
    app.setWindowIcon(app_icon())
    settings_file = SettingsFile(config_dir(data_dir_override) / SETTINGS_FILENAME)
    settings, problem = settings_file.load()
    install_language(settings.language)  # before any widget: every string is looked up once
    apply_theme(settings.theme, settings.font_size)
    try:
        store = open_store(data_dir(data_dir_override))
    except StoreError as exc:
        QMessageBox.critical(None, translate("App", "chatapp cannot start"), str(exc))
        print(f"chatapp: {exc}", file=sys.stderr)
        return 1
    docs: DocsService | None = None
    try:
        docs = DocsService.open_dir(store.path.parent)
    except DocIndexError as exc:  # the window says so; chats work without documents
        log.warning("%s", exc)
    # everything the window reads from disk at start is read here, before the event loop
    window = MainWindow(
        store=store,
        engine=Engine(
            states=StateCache(
                cache_dir(data_dir_override) / STATES_DIRNAME, settings.reopen_cache_bytes
            )
        ),
        settings_file=settings_file,
        settings=settings,
        settings_problem=problem,
        initial_model=model,
        model_files=ModelFiles.open(store.path.parent),
        docs=docs,
    )
    # The first Markdown render loads markdown-it's rules and pygments' lexers (~65 ms): do it
    # on a thread now, not on the GUI thread when the first conversation opens.
    threading.Thread(target=warm_up, name="render warm-up", daemon=True).start()
    window.show()
    QTimer.singleShot(0, _report_shown)  # runs once the event loop has drawn the window
    # Everything made so far (modules, Qt wrappers, the window) lives as long as the app: out
    # of the garbage collector's sight, a full collection no longer walks it and pauses the
    # GUI thread (~100 ms in a large heap) while replies stream or the API server works.
    gc.freeze()
    code = int(app.exec())
    store.close()
    return code
