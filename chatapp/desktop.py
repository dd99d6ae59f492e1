"""Desktop integration on Linux: a menu entry and icons for the current user (XDG dirs).

``chatapp --install-desktop-entry`` does for a pip/pipx install what the bundle's install script
does: writes ``chatapp.desktop`` to ``$XDG_DATA_HOME/applications`` and the icons into the hicolor
theme, so chatapp starts from the menu with a double-click.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from importlib.resources import files
from pathlib import Path

from chatapp import __version__, bundled
from chatapp.core.storage.atomic import write_text_atomic

APP_ID = "chatapp"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def exec_quote(arg: str) -> str:
    """One argument as the Desktop Entry spec quotes it in ``Exec`` (not as a shell does)."""
    if arg and not re.search(r"[\s\"'\\><~|&;$*?#()`%]", arg):
        return arg
    quoted = re.sub(r'(["`$\\])', r"\\\1", arg).replace("%", "%%")
    # the value is also a "string", whose own escape rules double every backslash and write
    # the control characters a line cannot hold
    quoted = quoted.replace("\\", "\\\\")
    quoted = quoted.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return '"' + quoted + '"'


def launcher() -> str:
    """The command that starts chatapp, as it will be found from a menu (absolute paths)."""
    if bundled():  # the PyInstaller bundle: its own executable
        return exec_quote(str(Path(sys.executable).resolve()))
    found = shutil.which(APP_ID)
    if found:
        return exec_quote(str(Path(found).resolve()))
    return f"{exec_quote(sys.executable)} -m chatapp"


def desktop_entry(exec_line: str) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.0",
            "Name=chatapp",
            "GenericName=Local AI chat",
            "Comment=Chat with language models on your own computer, offline",
            f"Exec={exec_line} --model %f",
            f"Icon={APP_ID}",
            "Terminal=false",
            "Categories=Utility;",
            "Keywords=LLM;AI;chat;GGUF;llama;assistant;",
            "StartupWMClass=chatapp",
            f"X-Chatapp-Version={__version__}",
            "",
        ]
    )


def installed_paths(home: Path | None = None) -> list[Path]:
    root = home or data_home()
    icons = root / "icons" / "hicolor"
    return [
        root / "applications" / f"{APP_ID}.desktop",
        icons / "scalable" / "apps" / f"{APP_ID}.svg",
        *(icons / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in PNG_SIZES),
    ]


def install(home: Path | None = None, exec_line: str | None = None) -> list[Path]:
    """Write the menu entry and icons; returns what was written.

    Raises:
        OSError: a directory cannot be written.
    """
    entry, svg, *pngs = installed_paths(home)
    source = files("chatapp") / "data" / "icons"
    for path in (entry, svg, *pngs):
        path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(entry, desktop_entry(exec_line or launcher()))
    svg.write_bytes((source / f"{APP_ID}.svg").read_bytes())
    for size, png in zip(PNG_SIZES, pngs, strict=True):
        png.write_bytes((source / f"{APP_ID}-{size}.png").read_bytes())
    return [entry, svg, *pngs]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote; returns what was removed."""
    removed = []
    for path in installed_paths(home):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
