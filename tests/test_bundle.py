"""The Linux bundle, built from this checkout with PyInstaller, used as a person would use it.

Built once per session into a temporary folder by ``packaging/build_bundle.py`` (what
``make bundle`` runs), unpacked from its ``.tar.gz``, then: started with every Python on the
machine hidden, installed into a temporary HOME with its install script, and removed again.
"""

from __future__ import annotations

import configparser
import glob
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from chatapp import __version__
from chatapp.core.inference.engine import build_info
from tests.helpers import assert_valid_desktop_entry

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def bundle_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    script = ROOT / "packaging" / "build_bundle.py"
    build = subprocess.run(
        [sys.executable, str(script), "--dist", str(out / "dist"), "--work", str(out / "work")],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (archive,) = (out / "dist").glob("*.tar.gz")
    return archive


@pytest.fixture
def unpacked(bundle_archive: Path, tmp_path: Path) -> Path:
    """The archive unpacked as a user would: one folder with the app and install.sh."""
    with tarfile.open(bundle_archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="tar")
    (folder,) = (tmp_path / "unpacked").iterdir()
    return folder


def _clean_env(home: Path) -> dict[str, str]:
    """A login-like environment: no virtualenv, no PYTHONPATH, a fresh HOME."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "HF_HUB_OFFLINE": "1"}


def _python_installs() -> list[str]:
    """The standard library of every Python this machine has (without it no Python starts):
    the folders to hide from the bundle. Never a whole prefix, which may be /usr."""
    prefixes = {sys.prefix, sys.base_prefix, "/usr", "/usr/local"}
    prefixes.update(glob.glob(os.path.expanduser("~root/.pyenv/versions/*")))
    found = set()
    for prefix in prefixes:
        for lib in ("lib", "lib64"):
            found.update(glob.glob(os.path.join(prefix, lib, "python3*")))
    return sorted(p for p in found if os.path.isdir(p))


def _spec_analysis() -> dict[str, Any]:
    """What packaging/chatapp.spec hands PyInstaller's Analysis, found without building: the
    spec runs with stand-ins for PyInstaller's build steps that record their arguments."""
    seen: dict[str, Any] = {}

    class Analysis:
        def __init__(self, scripts: list[str], **kwargs: Any) -> None:
            seen.update(kwargs)
            self.pure: list[Any] = []
            self.scripts: list[Any] = []
            self.binaries: list[Any] = []
            self.datas: list[Any] = []

    def step(*args: Any, **kwargs: Any) -> object:
        return object()

    spec = ROOT / "packaging" / "chatapp.spec"
    names = {"SPECPATH": str(spec.parent), "Analysis": Analysis, "__file__": str(spec)}
    names.update({n: step for n in ("PYZ", "EXE", "COLLECT", "BUNDLE")})
    exec(compile(spec.read_text("utf-8"), str(spec), "exec"), names)
    return seen


def test_the_spec_carries_the_document_readers_native_library_and_data() -> None:
    """pypdfium2's libpdfium (loaded with ctypes, no import finds it), both pypdfium2 packages'
    version.json (read at import) and python-docx's default template (every new document)."""
    analysis = _spec_analysis()
    binaries = {(Path(src).name, dest) for src, dest in analysis["binaries"]}
    pdfium = {"libpdfium.so", "libpdfium.dylib", "pdfium.dll"}
    assert any(name in pdfium and dest == "pypdfium2_raw" for name, dest in binaries), binaries
    datas = {(Path(src).name, dest) for src, dest in analysis["datas"]}
    for wanted in (
        ("version.json", "pypdfium2"),
        ("version.json", "pypdfium2_raw"),
        ("default.docx", "docx/templates"),
    ):
        assert wanted in datas, wanted
    assert {"pypdfium2", "docx"} <= set(analysis["hiddenimports"])


def test_bundle_is_named_for_its_version_and_backend(bundle_archive: Path) -> None:
    backend = build_info().backend.lower()
    arch = {"amd64": "x86_64", "aarch64": "arm64"}.get(platform.machine().lower())
    arch = arch or platform.machine().lower()
    assert bundle_archive.name == f"chatapp-{__version__}-linux-{arch}-{backend}.tar.gz"
    with tarfile.open(bundle_archive) as tar:
        names = set(tar.getnames())
    top = bundle_archive.name.removesuffix(".tar.gz")
    for part in ("chatapp", "install.sh", "README.txt", "_internal/llama_cpp/lib/libllama.so"):
        assert f"{top}/{part}" in names, part
    for lib in ("libxcb-cursor.so.0", "libxkbcommon-x11.so.0"):  # the window opens on any desktop
        assert f"{top}/_internal/{lib}" in names, lib
    with tarfile.open(bundle_archive) as tar:
        readme = tar.extractfile(f"{top}/README.txt")
        assert readme is not None
        text = readme.read().decode()
    assert re.search(r"glibc 2\.\d+ or newer", text), text  # the oldest system it runs on


def test_bundle_runs_its_self_test_with_no_python_on_the_machine(
    unpacked: Path, tiny_model: Path, tmp_path: Path
) -> None:
    # A private mount namespace where an empty tmpfs covers every Python installation.
    hide = " && ".join(f"mount -t tmpfs none '{p}'" for p in _python_installs())
    script = (
        f"{hide} && "
        "for p in python3 python; do command -v $p >/dev/null && $p -c 'import os' 2>/dev/null "
        "&& echo PYTHON-STILL-RUNS; done; "
        f"'{unpacked}/chatapp' --version && "
        f"'{unpacked}/chatapp' --self-test --model '{tiny_model}'"
    )
    unshare = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    home = tmp_path / "home"
    home.mkdir()
    r = subprocess.run(
        [*unshare, "sh", "-c", script],
        env=_clean_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = r.stdout + r.stderr
    assert "PYTHON-STILL-RUNS" not in out  # the hiding worked: no Python left to lean on
    assert r.returncode == 0, out
    assert f"chatapp {__version__}" in r.stdout
    assert "(bundled)" in r.stdout  # the bundle's own Python ran
    assert "ok    model: Tiny Test Chat: loaded and generated" in r.stdout
    assert "ok    API server: serves tiny-chat at 127.0.0.1, key required" in r.stdout
    # the bundled libpdfium and python-docx's template: a PDF and a .docx written and read
    assert "ok    documents: PDF (pypdfium2 " in r.stdout
    assert r.stdout.strip().endswith("6 passed, 0 failed")


def test_install_script_installs_into_home_and_uninstalls_cleanly(
    unpacked: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    conversations = home / ".local" / "share" / "chatapp" / "chatapp.sqlite3"
    settings = home / ".config" / "chatapp" / "settings.json"
    for path, text in ((conversations, "my chats"), (settings, "{}")):
        path.parent.mkdir(parents=True)
        path.write_text(text)
    before = sorted(p for p in home.rglob("*") if p.is_file())
    env = _clean_env(home)

    r = subprocess.run(
        [str(unpacked / "install.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"chatapp {__version__} is installed" in r.stdout
    app = home / ".local" / "opt" / "chatapp" / "chatapp"
    entry = home / ".local" / "share" / "applications" / "chatapp.desktop"
    assert_valid_desktop_entry(entry)
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    parsed.read(entry)
    assert parsed["Desktop Entry"]["Exec"].split()[0] == str(app)  # the menu starts the copy
    icons = home / ".local" / "share" / "icons" / "hicolor"
    assert (icons / "256x256" / "apps" / "chatapp.png").read_bytes()[:4] == b"\x89PNG"
    command = home / ".local" / "bin" / "chatapp"
    version = subprocess.run([str(command), "--version"], env=env, capture_output=True, text=True)
    assert version.stdout.strip() == f"chatapp {__version__}"

    # Installing again (an update) works over the first install.
    again = subprocess.run([str(unpacked / "install.sh")], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr

    r = subprocess.run(
        [str(app.parent / "install.sh"), "--uninstall"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "uninstalled" in r.stdout
    after = sorted(p for p in home.rglob("*") if p.is_file() or p.is_symlink())
    assert after == before  # everything it wrote is gone; conversations and settings stay
    assert conversations.read_text() == "my chats"
    assert not (home / ".local" / "opt").exists()


def test_install_script_refuses_to_run_outside_the_bundle(tmp_path: Path) -> None:
    stray = tmp_path / "install.sh"
    shutil.copy(ROOT / "packaging" / "linux" / "install.sh", stray)
    home = tmp_path / "home"
    home.mkdir()
    r = subprocess.run(["sh", str(stray)], env=_clean_env(home), capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.startswith("install.sh: run this script from the unpacked chatapp folder")
    assert list(home.iterdir()) == []


def test_install_script_never_deletes_a_folder_that_is_not_chatapp(
    unpacked: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    conversations = home / ".local" / "share" / "chatapp" / "chatapp.sqlite3"
    conversations.parent.mkdir(parents=True)
    conversations.write_text("my chats")
    # A user who takes CHATAPP_DIR for a parent folder, as "prefix" often is:
    env = {**_clean_env(home), "CHATAPP_DIR": str(home / ".local")}
    r = subprocess.run([str(unpacked / "install.sh")], env=env, capture_output=True, text=True)
    assert r.returncode == 1
    assert "exists and is not a chatapp folder: not touching it" in r.stderr
    assert conversations.read_text() == "my chats"
    r = subprocess.run(
        [str(unpacked / "install.sh"), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 1 and "no chatapp installed in" in r.stderr
    assert conversations.read_text() == "my chats"


def test_a_copy_installed_elsewhere_uninstalls_itself(unpacked: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    apps, bindir = tmp_path / "My Apps" / "chatapp", tmp_path / "bin"
    env = {**_clean_env(home), "CHATAPP_DIR": str(apps), "CHATAPP_BINDIR": str(bindir)}
    r = subprocess.run([str(unpacked / "install.sh")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (bindir / "chatapp").resolve() == apps / "chatapp"
    assert_valid_desktop_entry(home / ".local" / "share" / "applications" / "chatapp.desktop")
    # later, without the variables, from the installed copy (what the install message says)
    r = subprocess.run(
        [str(apps / "install.sh"), "--uninstall"],
        env=_clean_env(home),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert not apps.exists() and not (bindir / "chatapp").is_symlink()
    assert [p for p in home.rglob("*") if p.is_file()] == []
