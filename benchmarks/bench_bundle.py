"""The Linux bundle: its size, and how long it takes from launch to the window shown.

Prints one table comparing the PyInstaller bundle with the same code run from the pip install
(``python -m chatapp`` in .venv): archive and unpacked size, cold start (the page cache dropped
before each launch, so every file comes from disk; needs root, else only warm starts are
measured) and warm start (median of 5). "Window shown" is the moment the event loop runs after
``show()``, as logged by ``chatapp -v``; the launch is killed right after.

Usage: ``python benchmarks/bench_bundle.py [BUNDLE_FOLDER]`` (default: the newest one that
``make bundle`` left in dist/). Runs offscreen unless DISPLAY is set.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

from build_bundle import tree_size  # noqa: E402  # the size the build reports, measured alike

SHOWN = re.compile(r"window shown [\d.]+ s after the process started \(at ([\d.]+)\)")


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def launch(command: list[str], cold: bool) -> float:
    """Seconds from starting ``command`` to its window shown."""
    if cold and not drop_caches():
        raise PermissionError("cannot drop the page cache (needs root)")
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory() as data:
        t0 = time.time()
        proc = subprocess.Popen(
            [*command, "-v", "--data-dir", data],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                if m := SHOWN.search(line):
                    return float(m.group(1)) - t0
        finally:
            proc.kill()
            proc.wait()
    raise RuntimeError(f"{command[0]} exited without showing its window")


def main() -> None:
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1]).resolve()
    else:
        found = sorted((ROOT / "dist").glob("chatapp-*-linux-*[!.gz]"), key=os.path.getmtime)
        if not found:
            sys.exit("bench_bundle: no bundle in dist/: run `make bundle` first")
        folder = found[-1]
    archive = folder.with_name(folder.name + ".tar.gz")
    venv_python = ROOT / ".venv" / "bin" / "python"
    sides = {
        "bundle": [str(folder / "chatapp")],
        "pip install (.venv)": [str(venv_python), "-m", "chatapp"],
    }
    can_drop = drop_caches()
    rows = []
    for name, command in sides.items():
        launch(command, cold=False)  # once, so a first-ever start (caches, .pyc) is not counted
        cold = statistics.median(launch(command, cold=True) for _ in range(3)) if can_drop else None
        warm = [launch(command, cold=False) for _ in range(5)]
        rows.append((name, cold, statistics.median(warm), max(warm)))

    print(f"bundle: {folder.name}")
    print(f"  unpacked {tree_size(folder) / 1e6:.0f} MB", end="")
    if archive.exists():
        print(f", archive {archive.stat().st_size / 1e6:.0f} MB", end="")
    print(f"; platform {'xcb' if os.environ.get('DISPLAY') else 'offscreen'}")
    print()
    print(
        f"| {'launch → window shown':<21} | {'cold (median of 3)':>18} "
        f"| {'warm (median of 5)':>18} |"
    )
    print(f"|{'-' * 23}|{'-' * 20}|{'-' * 20}|")
    for name, cold, warm, _worst in rows:
        cold_text = f"{cold:.2f} s" if cold is not None else "n/a (not root)"
        print(f"| {name:<21} | {cold_text:>18} | {f'{warm:.2f} s':>18} |")


if __name__ == "__main__":
    main()
