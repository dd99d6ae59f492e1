"""Self-test and desktop integration, run as a user runs them."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli


def test_self_test_reports_each_part_and_exits_zero(tiny_model: Path) -> None:
    r = run_cli("--self-test", "--model", tiny_model)
    assert r.returncode == 0, r.stdout + r.stderr
    for part in ("ok    Qt", "ok    store", "ok    llama.cpp", "ok    model: Tiny Test Chat"):
        assert part in r.stdout
    assert r.stdout.strip().endswith("4 passed, 0 failed")


def test_self_test_fails_clearly_on_a_bad_model(truncated_model: Path) -> None:
    r = run_cli("--self-test", "--model", truncated_model)
    assert r.returncode == 1
    assert "FAIL  model: ModelFileError" in r.stdout and "truncated" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_desktop_entry_installs_validates_and_uninstalls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    r = run_cli("--install-desktop-entry")
    assert r.returncode == 0, r.stderr
    entry = tmp_path / "share" / "applications" / "chatapp.desktop"
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parsed.read(entry)
    section = parsed["Desktop Entry"]
    assert section["Type"] == "Application" and section["Icon"] == "chatapp"
    program = section["Exec"].split()[0]
    assert os.access(program, os.X_OK)  # what the menu runs exists
    icons = tmp_path / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "chatapp.svg").read_text().startswith("<svg")
    assert (icons / "48x48" / "apps" / "chatapp.png").read_bytes()[:4] == b"\x89PNG"
    validator = shutil.which("desktop-file-validate")
    assert validator, "desktop-file-validate is missing: apt-get install desktop-file-utils"
    check = subprocess.run([validator, str(entry)], capture_output=True, text=True)
    assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    r = run_cli("--uninstall-desktop-entry")
    assert r.returncode == 0
    assert not entry.exists()
    assert list(icons.rglob("chatapp*")) == []
