"""Build the self-contained app for this platform with PyInstaller, named for its version.

    python packaging/build_bundle.py [--dist DIR] [--work DIR]

Writes ``chatapp-<version>-<os>-<arch>-<variant>`` into DIR (default ``dist/``), where variant is
the llama.cpp backend this environment's llama-cpp-python was built with (cpu, cuda, metal,
vulkan), so a CPU-only bundle never passes for a GPU one. Then packs it:

- Linux: ``<name>.tar.gz`` holding the folder, ``install.sh`` and ``README.txt``;
- Windows: ``<name>-setup.exe`` with Inno Setup, when ``iscc`` is on PATH;
- macOS: ``<name>.app`` and ``<name>.dmg`` (hdiutil).

Prints what it wrote with sizes; one line on stderr and exit 1 when something is missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from chatapp import __version__  # noqa: E402

OS_NAMES = {"linux": "linux", "win32": "windows", "darwin": "macos"}
ARCH_NAMES = {"amd64": "x86_64", "x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


# CPU features a portable x86-64 llama.cpp (GGML_NATIVE=off: AVX2, FMA, F16C, BMI2) leaves out.
# A build that uses them was tuned for the machine it was compiled on and stops with "illegal
# instruction" on the many CPUs without them.
NATIVE_ONLY = ("AVX512", "AVX_VNNI", "AMX")


def variant() -> str:
    """The llama.cpp backend of the llama-cpp-python that will be bundled: cpu, cuda, …"""
    from chatapp.core.inference.engine import build_info

    return build_info().backend.lower()


def native_features() -> list[str]:
    """The CPU features in the bundled llama.cpp that a portable build would not use."""
    from chatapp.core.inference.engine import build_info

    found = re.findall(r"(\w+) = 1", build_info().system_info)
    return sorted({f for f in found if f.startswith(NATIVE_ONLY)})


def bundle_name(backend: str) -> str:
    system = OS_NAMES.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    return f"chatapp-{__version__}-{system}-{ARCH_NAMES.get(machine, machine)}-{backend}"


# Qt's xcb platform plugin needs these, and many desktops lack some of them (libxcb-cursor0 is
# missing from a default Ubuntu 22.04): without them the window cannot open at all. PyInstaller
# collects them when the build machine has them, so the build insists that it does.
LINUX_XCB_LIBS = (
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-keysyms.so.1",
    "libxcb-shape.so.0",
    "libxkbcommon-x11.so.0",
)
LINUX_XCB_PACKAGES = "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0"


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def glibc_needed(folder: Path) -> str:
    """The newest glibc symbol version any file of the bundle asks for (objdump -T)."""
    newest = (2, 17)
    for path in folder.rglob("*"):
        if (
            path.is_file()
            and (path.suffix == "" or ".so" in path.name)
            and os.access(path, os.R_OK)
        ):
            dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True)
            for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", dump.stdout):
                newest = max(newest, (int(major), int(minor)))
    return f"{newest[0]}.{newest[1]}"


def pack_linux(folder: Path) -> Path:
    """The folder plus install.sh and README.txt, as <name>.tar.gz (exec bits and links kept)."""
    shutil.copy2(HERE / "linux" / "install.sh", folder / "install.sh")
    (folder / "install.sh").chmod(0o755)
    readme = (HERE / "linux" / "README.txt").read_text(encoding="utf-8")
    glibc = glibc_needed(folder) if shutil.which("objdump") else "(unknown: no objdump here)"
    (folder / "README.txt").write_text(readme.replace("@GLIBC@", glibc), encoding="utf-8")
    archive = folder.with_name(folder.name + ".tar.gz")
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def pack_windows(folder: Path) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        print("iscc (Inno Setup) not found: the folder is built, the installer is not")
        return None
    from PIL import Image  # Pillow: PyInstaller needs it on Windows for the .exe icon anyway

    ico = folder.parent / "chatapp.ico"
    sizes = [(n, n) for n in (16, 24, 32, 48, 64, 128, 256)]
    Image.open(ROOT / "resources" / "icons" / "chatapp-256.png").save(ico, sizes=sizes)
    subprocess.run(
        [
            iscc,
            f"/DAppVersion={__version__}",
            f"/DSourceDir={folder}",
            f"/DOutputDir={folder.parent}",
            f"/DOutputBase={folder.name}-setup",
            f"/DIconFile={ico}",
            str(HERE / "windows" / "chatapp.iss"),
        ],
        check=True,
    )
    return folder.parent / f"{folder.name}-setup.exe"


def pack_macos(app: Path) -> Path:
    dmg = app.with_suffix(".dmg")
    command = ["hdiutil", "create", "-volname", "chatapp", "-srcfolder", str(app), "-ov"]
    subprocess.run([*command, "-format", "UDZO", str(dmg)], check=True)
    return dmg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    parser.add_argument(
        "--allow-native",
        action="store_true",
        help="bundle a llama.cpp tuned for this machine's CPU (for use on this machine only)",
    )
    args = parser.parse_args(argv)
    native = native_features()
    if native and not args.allow_native:
        print(
            f"build_bundle: this llama.cpp was compiled for this machine's CPU "
            f"({', '.join(native)}) and would crash on CPUs without them. Reinstall it portable: "
            'CMAKE_ARGS="-DGGML_NATIVE=off" pip install --force-reinstall --no-cache-dir '
            "llama-cpp-python (or pass --allow-native)",
            file=sys.stderr,
        )
        return 1
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print(
            "build_bundle: PyInstaller is not installed: pip install -e '.[bundle]'",
            file=sys.stderr,
        )
        return 1
    # the window's languages: chatapp/data/translations/*.qm, which the spec ships
    subprocess.run([sys.executable, str(HERE / "translations.py"), "build"], check=True)
    name = bundle_name(variant())
    dist = args.dist.resolve()
    started = time.perf_counter()
    env = {**os.environ, "CHATAPP_BUNDLE_NAME": name}
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level"]
    command += ["WARN", "--distpath", str(dist), "--workpath", str(args.work.resolve())]
    build = subprocess.run(
        [*command, str(HERE / "chatapp.spec")],
        env=env,
        check=False,
    )
    if build.returncode != 0:
        print(f"build_bundle: PyInstaller failed (exit {build.returncode})", file=sys.stderr)
        return 1
    folder = dist / name
    seconds = time.perf_counter() - started
    print(f"built {folder} ({tree_size(folder) / 1e6:.0f} MB) in {seconds:.0f} s")
    packed: Path | None = None
    if sys.platform.startswith("linux"):
        missing = [lib for lib in LINUX_XCB_LIBS if not (folder / "_internal" / lib).exists()]
        if missing:
            print(
                f"build_bundle: the bundle lacks {', '.join(missing)}, which its window needs; "
                f"install them where it is built (Debian: apt-get install {LINUX_XCB_PACKAGES})",
                file=sys.stderr,
            )
            return 1
        packed = pack_linux(folder)
    elif sys.platform == "win32":
        packed = pack_windows(folder)
    elif sys.platform == "darwin":
        packed = pack_macos(dist / f"{name}.app")
    if packed is not None:
        print(f"packed {packed} ({packed.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
