"""The core must stay usable without Qt: nothing under chatapp/core may import it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "chatapp" / "core"
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "qtpy")


def test_no_module_under_core_imports_qt() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(CORE)}: {n}" for n in names if n.split(".")[0] in QT_MODULES
            ]
    assert offenders == [], f"chatapp/core imports Qt: {offenders}"
    assert len(list(CORE.rglob("*.py"))) > 5  # the walk really saw the core


def test_importing_all_of_core_loads_no_qt() -> None:
    modules = sorted(
        ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.stem != "__init__"
    )
    assert "inference.engine" in modules and "storage.store" in modules  # the layers' folders
    code = (
        "import sys\n"
        + "".join(f"import chatapp.core.{m}\n" for m in modules)
        + f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
