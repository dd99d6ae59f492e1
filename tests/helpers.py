"""Helpers the tests share: running the command line as a user does, checking a menu entry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


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
