"""chatapp: chat with large language models on your own computer, offline."""

import sys

__version__ = "0.1.0"


def bundled() -> bool:
    """Running from the PyInstaller bundle (its own Python), not from a Python install."""
    return bool(getattr(sys, "frozen", False))
