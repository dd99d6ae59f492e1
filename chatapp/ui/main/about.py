"""Help → About: the version, and what this install runs on."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6.QtCore import qVersion

from chatapp import __version__, bundled
from chatapp.ui.i18n import translate
from chatapp.ui.main.render import escape_plain


def about_html(data_dir: Path) -> str:
    from chatapp.core.inference.engine import build_info

    build = build_info()
    offload = (
        translate("About", "GPU offload supported")
        if build.gpu_offload
        else translate("About", "no GPU offload in this build")
    )
    python = platform.python_version()
    if bundled():
        python = translate("About", "{version} (bundled)").format(version=python)
    data = escape_plain(str(data_dir))
    return translate(
        "About",
        "<h3>chatapp {version}</h3><p>Chat with language models on your own computer, "
        "offline. Models run with llama.cpp; conversations stay on this machine.</p>"
        "<p>llama.cpp: {backend} ({offload})<br>"
        "Qt {qt}, Python {python}<br>Conversations: {data}</p>"
        "<p>No telemetry: chatapp connects to the internet only to search for or download "
        "the models you ask for.</p>",
    ).format(
        version=__version__,
        backend=escape_plain(build.backend),
        offload=offload,
        qt=qVersion(),
        python=python,
        data=data,
    )
