"""Every file chatapp saves goes through here: write a temporary file, fsync, then rename."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


class SaveError(OSError):
    """``path`` could not be saved; ``reason`` says why in words ("/x/settings.json is a folder").

    It is an ``OSError`` with the system's ``errno`` and ``strerror``, so callers that catch
    ``OSError`` keep working; its text is one sentence for the user.
    """

    def __init__(self, path: Path, exc: OSError) -> None:
        super().__init__(exc.errno, exc.strerror, str(path))
        self.path = path
        self.reason = why_not_saved(path, exc)

    def __str__(self) -> str:
        return f"cannot save {self.path.name}: {self.reason}"


def why_not_saved(path: Path, exc: OSError) -> str:
    """What stopped ``path`` being written, as part of a sentence."""
    system = (exc.strerror or str(exc)).lower()
    if path.is_dir():
        return f"{path} is a folder"
    blocked = Path(exc.filename) if exc.filename else path
    if exc.errno == errno.EROFS:
        return f"{path.parent} is on a read-only disk"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM):
        if blocked == path:
            return f"{path} cannot be replaced ({system})"
        folder = blocked if blocked.is_dir() else blocked.parent
        return f"the folder {folder} cannot be written to ({system})"
    return f"{system} ({blocked})"


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a crash leaves either the old or the new file.

    Raises:
        SaveError: the folder or the file cannot be written; the message says which and why.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as exc:
        raise SaveError(path, exc) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SaveError(path, exc) from exc
        raise
