"""The system packages chatapp needs on Linux, in one table, and the check that names missing ones.

Two callers share it:

* the window (``chatapp.ui.app``, before PySide6 loads Qt): a missing library is named, with the
  package that holds it and the ``sudo apt-get install …`` line, instead of Qt's bare "could not
  load the Qt platform plugin xcb" abort;
* the Makefile, before it creates the venv: ``python3 chatapp/system_packages.py run|test
  [--fresh]``. As root with apt-get it installs what is missing (``apt-get update`` once, then
  ``apt-get install -y``); otherwise it prints the one install line and exits 1. Where there is
  no apt-get (not Debian or Ubuntu) it names what is missing and lets the build go on.

A library counts as present when the dynamic loader can load it under the name Qt's own libraries
ask for (``dlopen`` through ctypes): what the loader finds here is what Qt will find, on any
distribution, and nothing is spawned. Standard library only, and Python 3.8 syntax, because the
Makefile runs this file with the system's python3, before any venv exists.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

# The sonames PySide6's Qt libraries ask for (readelf -d, NEEDED) and the Debian 12 package that
# holds each (dpkg -S). Checked on PySide6-Essentials 6.11.3; libstdc++, libgcc_s, zlib and zstd
# are left out (apt itself needs them).
# Every Qt window, whatever the platform plugin: libQt6Gui, libQt6DBus, libQt6Widgets.
QT_LIBRARIES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
# Qt's xcb platform plugin, the X11 window (plugins/platforms/libqxcb.so, libQt6XcbQpa). Many
# desktops lack some (libxcb-cursor0 is not in a default Ubuntu 22.04), and the bundle carries
# them, so the machine that builds it needs them too.
XCB_LIBRARIES = {
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}
# Programs the test suite runs: desktop-file-validate checks the menu entry (tests/conftest.py),
# objdump finds the bundle's oldest glibc (packaging/build_bundle.py), unshare and mount hide
# every Python from the bundle (tests/test_bundle.py).
TEST_COMMANDS = {
    "desktop-file-validate": "desktop-file-utils",
    "objdump": "binutils",
    "unshare": "util-linux",
    "mount": "mount",
}
# Creating the venv compiles llama.cpp (llama-cpp-python builds from source; CMake and Ninja
# come from PyPI when the system has none).
BUILD_COMMANDS = {"cc": "build-essential", "c++": "build-essential"}

# What each Makefile goal needs (`make bundle` builds what `make run` shows, so it needs the same).
LIBRARIES = {"run": {**QT_LIBRARIES, **XCB_LIBRARIES}, "test": {**QT_LIBRARIES, **XCB_LIBRARIES}}
COMMANDS: dict[str, dict[str, str]] = {"run": {}, "test": TEST_COMMANDS}
NO_INSTALL_ENV = "CHATAPP_NO_INSTALL"  # set: never run apt-get, print the line as for a user
SKIP_ENV = "CHATAPP_SKIP_SYSTEM_CHECK"  # set: the window starts without the check


def missing_libraries(libraries: Mapping[str, str]) -> dict[str, str]:
    """The sonames of ``libraries`` (soname: package) the dynamic loader cannot load here."""
    import ctypes

    missing = {}
    for soname, package in libraries.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def missing_commands(commands: Mapping[str, str]) -> dict[str, str]:
    """The programs of ``commands`` (name: package) that are not on PATH."""
    import shutil

    return {name: package for name, package in commands.items() if shutil.which(name) is None}


def missing_venv() -> dict[str, str]:
    """Debian splits venv's ensurepip out of Python: then ``python3 -m venv`` cannot work."""
    import importlib.util

    if importlib.util.find_spec("ensurepip") is not None:
        return {}
    return {"ensurepip": missing_venv_package()}


def missing_venv_package() -> str:
    """Debian's package with this Python's ensurepip (its own venv error names the same)."""
    return f"python{sys.version_info[0]}.{sys.version_info[1]}-venv"


def has_apt() -> bool:
    import shutil

    return shutil.which("apt-get") is not None and shutil.which("dpkg") is not None


def packages(missing: Mapping[str, str]) -> list[str]:
    """The packages to install for ``missing`` (what: package), each once, in order."""
    return list(dict.fromkeys(missing.values()))


def apt_line(missing: Mapping[str, str]) -> str:
    return "sudo apt-get install " + " ".join(packages(missing))


def listing(missing: Mapping[str, str]) -> str:
    return ", ".join(f"{what} ({package})" for what, package in missing.items())


# The window -------------------------------------------------------------------------------------


def platform_will_be_xcb(environ: Mapping[str, str]) -> bool:
    """Whether Qt is about to pick its xcb plugin (X11) for the window, as Qt 6 decides."""
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:  # "xcb", "xcb:option", or a fallback list such as "wayland;xcb"
        return requested.split(";")[0].split(":")[0].strip() == "xcb"
    if not environ.get("DISPLAY"):
        return False  # no X server to talk to: Qt fails on that first, whatever is installed
    wayland = environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE") == "wayland"
    return not wayland


def qt_problem(
    environ: Mapping[str, str] | None = None,
    libraries: Mapping[str, str] | None = None,
) -> str | None:
    """Why Qt cannot open the window here, in words with the install line; None if it can.

    ``libraries`` (soname: package) replaces the libraries this machine's platform needs.
    """
    env = os.environ if environ is None else environ
    if libraries is None:
        if not sys.platform.startswith("linux") or env.get(SKIP_ENV):
            return None
        libraries = {**QT_LIBRARIES, **(XCB_LIBRARIES if platform_will_be_xcb(env) else {})}
    missing = missing_libraries(libraries)
    if not missing:
        return None
    names = ", ".join(missing)
    if has_apt():
        how = f"Install them with:\n  {apt_line(missing)}"
    else:
        how = (
            "Install the packages that provide them (on Debian and Ubuntu: "
            f"{' '.join(packages(missing))})."
        )
    return (
        f"chatapp cannot open its window: Qt needs system libraries missing here: {names}.\n{how}"
    )


def exit_if_qt_cannot_load() -> None:
    """Before PySide6 loads Qt: stop with the missing libraries' install line (stderr, exit 1)."""
    problem = qt_problem()
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(1)


# The Makefile -----------------------------------------------------------------------------------


def check(goal: str, find: Callable[[], dict[str, str]]) -> int:
    """Report or install what ``find`` says is missing (what: package) for ``make <goal>``."""
    import subprocess

    missing = find()
    if not missing:
        return 0
    if not has_apt():
        print(
            f"note: make {goal} needs {', '.join(missing)}, not found here (the Debian packages: "
            f"{' '.join(packages(missing))}); install them with this system's package manager. "
            "Going on.",
            file=sys.stderr,
        )
        return 0
    if os.geteuid() != 0 or os.environ.get(NO_INSTALL_ENV):
        print(
            f"make {goal} needs system packages missing here: {listing(missing)}.\n"
            f"Install them, then run make {goal} again:\n{apt_line(missing)}",
            file=sys.stderr,
        )
        return 1
    print(f"make {goal}: installing {' '.join(packages(missing))} (apt-get)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq"]):
        if command[1] == "install":
            command += packages(missing)
        if subprocess.run(command, env=env, check=False).returncode != 0:
            print(f"make {goal}: `{' '.join(command)}` failed", file=sys.stderr)
            return 1
    still = find()
    if still:
        print(f"make {goal}: still missing after apt-get: {listing(still)}", file=sys.stderr)
        return 1
    return 0


def _pairs(values: list[str]) -> dict[str, str]:
    return dict(value.split("=", 1) for value in values)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check (as root: install) system packages.")
    parser.add_argument("goal", choices=sorted(LIBRARIES), help="the make goal to check for")
    parser.add_argument(
        "--fresh", action="store_true", help="the venv is still to be made: venv and a compiler"
    )
    parser.add_argument(
        "--lib", action="append", default=[], metavar="SONAME=PACKAGE", help="also this library"
    )
    parser.add_argument(
        "--command", action="append", default=[], metavar="NAME=PACKAGE", help="also this program"
    )
    parser.add_argument(
        "--list", action="store_true", help="print every package the goal needs, and stop"
    )
    args = parser.parse_args(argv)
    libraries = {**LIBRARIES[args.goal], **_pairs(args.lib)}
    commands = {**COMMANDS[args.goal], **_pairs(args.command)}
    if args.fresh:
        commands.update(BUILD_COMMANDS)
    if args.list:  # for a Dockerfile: apt-get install $(python3 chatapp/system_packages.py …)
        venv = {"ensurepip": missing_venv_package()} if args.fresh else {}
        print(" ".join(packages({**venv, **commands, **libraries})))
        return 0
    if not sys.platform.startswith("linux"):
        return 0  # Qt's wheels carry their libraries on macOS and Windows

    def find() -> dict[str, str]:
        fresh = missing_venv() if args.fresh else {}
        return {**fresh, **missing_commands(commands), **missing_libraries(libraries)}

    return check(args.goal, find)


if __name__ == "__main__":
    sys.exit(main())
