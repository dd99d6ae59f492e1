"""Self-test and desktop integration, run as a user runs them."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path

import pytest

from tests.helpers import assert_valid_desktop_entry, run_cli


def test_self_test_reports_each_part_and_exits_zero(tiny_model: Path) -> None:
    r = run_cli("--self-test", "--model", tiny_model)
    assert r.returncode == 0, r.stdout + r.stderr
    parts = ("ok    Qt", "ok    store", "ok    llama.cpp", "ok    model: Tiny Test Chat")
    for part in (*parts, "ok    API server: serves tiny-chat"):
        assert part in r.stdout
    assert "ok    documents: PDF (pypdfium2 " in r.stdout and "Word (python-docx " in r.stdout
    assert r.stdout.strip().endswith("6 passed, 0 failed")


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
    assert_valid_desktop_entry(entry)
    r = run_cli("--uninstall-desktop-entry")
    assert r.returncode == 0
    assert not entry.exists()
    assert list(icons.rglob("chatapp*")) == []


@pytest.mark.parametrize(
    ("frozen", "expected", "absent"),
    [(False, 'CMAKE_ARGS="-DGGML_CUDA=on" pip install', "-cuda"), (True, "ends in -cuda", "pip")],
)
def test_an_unused_gpu_gets_the_step_that_fits_the_install(
    monkeypatch: pytest.MonkeyPatch, frozen: bool, expected: str, absent: str
) -> None:
    # A fake for the rare case: pretend an NVIDIA GPU sits beside a CPU-only llama.cpp build.
    import sys

    import chatapp.core.inference.engine as engine_module
    from chatapp import selftest

    monkeypatch.setattr(selftest, "unused_gpu", lambda: "nvidia")
    monkeypatch.setattr(
        engine_module, "build_info", lambda: engine_module.BuildInfo("CPU", False, "")
    )
    monkeypatch.setattr(sys, "frozen", frozen, raising=False)
    note = selftest.unused_gpu_note()
    assert note is not None and "GPU (nvidia)" in note
    assert expected in note and absent not in note
    monkeypatch.setattr(
        engine_module, "build_info", lambda: engine_module.BuildInfo("CUDA", True, "")
    )
    assert selftest.unused_gpu_note() is None  # a GPU build: nothing to say


@pytest.mark.parametrize("folder", ["My Apps", "odd $dir & 'quotes'", "tab\there"])
def test_menu_entry_quotes_an_install_path_as_the_spec_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    import shlex
    import sys

    from chatapp.desktop import desktop_entry, launcher

    app = tmp_path / folder / "chatapp"
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # as in the bundle
    monkeypatch.setattr(sys, "executable", str(app))
    entry = tmp_path / "chatapp.desktop"
    entry.write_text(desktop_entry(launcher()))
    assert_valid_desktop_entry(entry)
    exec_line = next(x for x in entry.read_text().splitlines() if x.startswith("Exec="))
    # string-level unescape, then the Exec rule (double quotes, backslash escapes: as sh does)
    escapes = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
    value = re.sub(r"\\(.)", lambda m: escapes.get(m[1], m[0]), exec_line.removeprefix("Exec="))
    argv = shlex.split(value)
    assert argv[0].replace("\\$", "$") == str(app) and argv[1:] == ["--model", "%f"]
