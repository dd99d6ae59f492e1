"""System packages: what the window and `make run` / `make test` say when one is missing.

Real checks, run as a user meets them: libraries are really loaded (or really absent: a name no
machine has, or a real library hidden in a private mount namespace), make runs its real recipe,
and a non-root user is a real one (setpriv) where this machine allows it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatapp import system_packages

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "chatapp" / "system_packages.py"
# A library and a package no machine has, to stand for whatever a fresh machine lacks.
NOWHERE_LIB, NOWHERE_PACKAGE = "libchatapp-nowhere.so.0", "chatapp-nowhere0"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
# The system's Python, which the Makefile runs the check with by default (and nobody can run).
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable


def _env(**extra: str) -> dict[str, str]:
    """This environment, never installing anything (unless a test says so), plus ``extra``."""
    env = {**os.environ, system_packages.NO_INSTALL_ENV: "1", **extra}
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        env.pop(name, None)
    return env


def _install_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if "sudo apt-get install" in line]


def test_a_missing_library_is_named_with_its_package_and_the_apt_line() -> None:
    problem = system_packages.qt_problem(
        libraries={NOWHERE_LIB: NOWHERE_PACKAGE, "libc.so.6": "libc6"}
    )
    assert problem is not None
    assert NOWHERE_LIB in problem  # only what is missing is named
    assert "libc.so.6" not in problem and "libc6" not in problem
    if system_packages.has_apt():
        assert _install_lines(problem) == [f"sudo apt-get install {NOWHERE_PACKAGE}"]
    else:
        assert f"on Debian and Ubuntu: {NOWHERE_PACKAGE}" in problem


def test_without_apt_the_window_names_the_debian_packages_and_no_apt_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a system with no apt-get and no dpkg
    problem = system_packages.qt_problem(libraries={NOWHERE_LIB: NOWHERE_PACKAGE})
    assert problem is not None and NOWHERE_LIB in problem
    assert f"(on Debian and Ubuntu: {NOWHERE_PACKAGE})" in problem
    assert "apt-get" not in problem


def test_this_machine_passes_the_real_checks_silently() -> None:
    # The packages `make test` needs are installed here (the suite could not run otherwise).
    assert system_packages.qt_problem({"DISPLAY": ":0"}) is None  # Qt and its xcb plugin
    for goal in ("run", "test"):
        r = subprocess.run(
            [sys.executable, str(CHECK), goal], env=_env(), capture_output=True, text=True
        )
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), goal


@pytest.mark.parametrize(
    ("environ", "xcb"),
    [
        ({"DISPLAY": ":0"}, True),  # an X11 desktop
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "xcb:nograb"}, True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),  # the test suite
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False),  # Qt 6 picks Wayland there
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb;wayland"}, True),
        ({}, False),  # no display at all: Qt says so itself
    ],
)
def test_the_xcb_libraries_are_asked_for_only_where_qt_will_use_xcb(
    environ: dict[str, str], xcb: bool
) -> None:
    assert system_packages.platform_will_be_xcb(environ) is xcb


def _run_as(user: str, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if user == "nobody":
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            pytest.skip("becoming another user needs root and setpriv")
        for program in ("make", SYSTEM_PYTHON):
            probe = subprocess.run([*NOBODY, program, "--version"], capture_output=True)
            if probe.returncode != 0:
                pytest.skip(f"user nobody cannot run {program} here")
        command = [*NOBODY, *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("user", ["nobody", "told not to install"])
@pytest.mark.parametrize("goal", ["run", "test"])
def test_make_stops_first_with_one_apt_line_for_a_user(
    tmp_path: Path, goal: str, user: str
) -> None:
    if shutil.which("make") is None:
        pytest.skip("no make here")
    venv = tmp_path / "venv"
    env = _env() if user == "told not to install" else {**_env(), "CHATAPP_NO_INSTALL": ""}
    started = time.monotonic()
    r = _run_as(
        user,
        [
            "make",
            "-C",
            str(ROOT),
            goal,
            f"VENV={venv}",
            f"PYTHON={SYSTEM_PYTHON}",
            f"SYSTEM_CHECK_ARGS=--lib {NOWHERE_LIB}={NOWHERE_PACKAGE}",
        ],
        env,
    )
    seconds = time.monotonic() - started
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert seconds < 10, out  # within the first seconds, not after minutes of compiling
    assert _install_lines(out) == [f"sudo apt-get install {NOWHERE_PACKAGE}"], out
    assert f"{NOWHERE_LIB} ({NOWHERE_PACKAGE})" in out
    assert not venv.exists()  # stopped before anything else


def test_as_root_apt_get_updates_once_installs_and_checks_again(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the install path is taken as root only")
    # Stand-ins for the package manager (this test must not install anything), logging each call.
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    for tool in ("apt-get", "dpkg"):
        (bin_dir / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n')
        (bin_dir / tool).chmod(0o755)
    env = {**_env(PATH=f"{bin_dir}:{os.environ['PATH']}"), "CHATAPP_NO_INSTALL": ""}
    r = subprocess.run(
        [sys.executable, str(CHECK), "run", "--lib", f"{NOWHERE_LIB}={NOWHERE_PACKAGE}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert log.read_text().splitlines() == [
        "apt-get update -qq",
        f"apt-get install -y -qq {NOWHERE_PACKAGE}",
    ]
    # The stand-in installed nothing: the check says so instead of letting make go on.
    assert r.returncode == 1
    assert f"still missing after apt-get: {NOWHERE_LIB} ({NOWHERE_PACKAGE})" in r.stderr
    assert "sudo" not in r.stderr  # root needs no sudo line


def test_without_apt_make_names_what_is_missing_and_goes_on(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(CHECK), "run", "--lib", f"{NOWHERE_LIB}={NOWHERE_PACKAGE}"],
        env=_env(PATH=str(tmp_path)),  # no apt-get, no dpkg: not Debian
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0
    assert NOWHERE_LIB in r.stderr and NOWHERE_PACKAGE in r.stderr
    assert "apt-get install" not in r.stderr


def _loaded_path(soname: str) -> Path:
    """The file the dynamic loader opens for ``soname`` here."""
    ctypes.CDLL(soname)
    for line in Path("/proc/self/maps").read_text().splitlines():
        if soname in line:
            return Path(line.split(maxsplit=5)[-1])
    raise AssertionError(soname)


def _with_hidden_library(soname: str, command: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run ``command`` where ``soname`` cannot be loaded: /dev/null covers its file, in a private
    mount namespace, as on a machine without its package. Returns stdout+stderr, then status."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        pytest.skip("needs Linux mount namespaces (unshare)")
    target = _loaded_path(soname)
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    script = 'mount --bind /dev/null "$0" && exec "$@"'
    r = subprocess.run(
        [*unshare, "sh", "-c", script, str(target), *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if "mount:" in r.stderr or "unshare:" in r.stderr:
        pytest.skip(f"cannot hide a library here: {r.stderr.strip()}")
    return f"{r.stdout}{r.stderr}\nstatus {r.returncode}"


def test_the_window_names_a_missing_xcb_library_and_its_apt_line(tmp_path: Path) -> None:
    # What pip users met: no libxcb-cursor0, and Qt's bare "could not load the Qt platform
    # plugin xcb" abort. DISPLAY points at no server: the check speaks before Qt connects.
    started = time.monotonic()
    out = _with_hidden_library(
        "libxcb-cursor.so.0",
        [sys.executable, "-m", "chatapp", "--data-dir", str(tmp_path / "data")],
        _env(DISPLAY=":99"),
        ROOT,
    )
    assert out.endswith("status 1"), out
    assert "libxcb-cursor.so.0" in out and "Qt platform plugin" not in out, out
    if system_packages.has_apt():
        assert _install_lines(out) == ["sudo apt-get install libxcb-cursor0"], out
    assert "Traceback" not in out
    assert time.monotonic() - started < 20, out


def test_make_run_names_the_same_missing_library(tmp_path: Path) -> None:
    if shutil.which("make") is None or not system_packages.has_apt():
        pytest.skip("needs make and apt-get")
    venv = tmp_path / "venv"
    out = _with_hidden_library(
        "libxcb-cursor.so.0",
        ["make", "run", f"VENV={venv}", f"PYTHON={sys.executable}"],
        _env(),  # told not to install: this machine has the package, only hidden
        ROOT,
    )
    assert not out.endswith("status 0"), out
    assert _install_lines(out) == ["sudo apt-get install libxcb-cursor0"], out
    assert not venv.exists()


def test_the_list_names_real_debian_packages_that_make_test_installed() -> None:
    # `--list` is what a Dockerfile installs; each name must be a Debian package, and on this
    # machine, where `make test` runs, each is installed.
    if shutil.which("dpkg") is None:
        pytest.skip("not Debian")
    r = subprocess.run(
        [sys.executable, str(CHECK), "test", "--list"], capture_output=True, text=True, check=True
    )
    names = r.stdout.split()
    assert {"desktop-file-utils", "libxcb-cursor0", "libxkbcommon-x11-0"} <= set(names)
    status = subprocess.run(["dpkg", "-s", *names], capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
