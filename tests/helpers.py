"""Helpers the tests share: running the command line as a user does, checking a menu entry,
typing into the window and reading what it shows (the ``make_window`` fixture is in conftest)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    import pytest
    from pytestqt.qtbot import QtBot

    from chatapp.core.models.hub import Recommended
    from chatapp.ui.main.window import MainWindow
    from tests.fakehub import FakeHub

TIMEOUT = 20_000  # ms: only how long a broken window test hangs

# make_window(model=None, *, generation=None, load=None, data=None) -> a shown MainWindow
MakeWindow = Callable[..., "MainWindow"]


def run_cli(
    *args: str | Path, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m chatapp`` as a user would, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "chatapp", *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        check=False,
    )


def conversation_id(stderr: str) -> str:
    """The id ``chatapp chat`` names on stderr ("conversation <id>")."""
    line = next(x for x in stderr.splitlines() if x.startswith("conversation "))
    return line.split()[1]


def assert_valid_desktop_entry(entry: Path) -> None:
    """``desktop-file-validate`` (Debian's desktop-file-utils) accepts ``entry`` without a word."""
    validator = shutil.which("desktop-file-validate")
    assert validator, "desktop-file-validate is missing: apt-get install desktop-file-utils"
    check = subprocess.run([validator, str(entry)], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout


def send(qtbot: QtBot, window: MainWindow, text: str) -> str:
    """Type a message, press Enter, wait for the reply; return the reply's message id."""
    window.composer.setFocus()
    qtbot.keyClicks(window.composer, text)
    with qtbot.waitSignal(window.reply_done, timeout=TIMEOUT) as blocker:
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    return str(blocker.args[1])


def shown_text(window: MainWindow, message_id: str) -> str:
    """The text a message shows in the conversation view."""
    return window.chat_view.widgets[message_id].body.toPlainText()


def serve_recommended(
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    index: int = 0,
    others: dict[str, bytes] | None = None,
) -> Recommended:
    """Serve ``content`` on the fake Hub as a recommended model's file (with ``others`` beside
    it), and have the windows made after this recommend those bytes: the list names each file's
    exact size and SHA-256, which a download must match, and the test model is not the real
    one."""
    from chatapp.core.models.hub import recommended
    from chatapp.ui.models import model_workers

    models = recommended()
    model = replace(models[index], size=len(content), sha256=hashlib.sha256(content).hexdigest())
    models[index] = model
    monkeypatch.setattr(model_workers, "recommended", lambda: list(models))
    hub.add_repo(model.repo_id, {model.filename: content, **(others or {})})
    return model
