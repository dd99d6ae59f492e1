"""Download throughput on loopback: chatapp's downloader vs plain ``hf_hub_download``.

Both fetch the same file from the same local Hub-compatible server (tests/fakehub.py, run in a
separate process so that it does not share this process's interpreter lock) into a fresh
huggingface_hub cache. Ours also computes the SHA-256 while the file arrives and checks it
against the Hub's LFS metadata; the table adds "plain + a second SHA-256 pass" for comparison.
Runs alternate, medians of ``--reps``. Usage: ``python benchmarks/bench_download.py [--mb 512]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from huggingface_hub import constants, hf_hub_download

from chatapp.core.models.downloads import Downloader, Queue, State
from chatapp.core.models.hub import Hub

REPO = "bench/big-GGUF"
NAME = "big-Q4_K_M.gguf"
SERVER = """
import random, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.fakehub import FakeHub
server = FakeHub().start()
server.bytes_per_second = float(sys.argv[3]) or None
rng = random.Random(1)
path = Path(tempfile.mkdtemp()) / "big.gguf"
with path.open("wb") as fh:
    for _ in range(int(sys.argv[1]) >> 20):
        fh.write(rng.randbytes(1 << 20))
server.add_repo("bench/big-GGUF", {"big-Q4_K_M.gguf": path})
print(server.url, flush=True)
sys.stdin.read()
server.stop()
path.unlink()
"""


def point_at(url: str, cache: Path) -> None:
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    constants.ENDPOINT = url
    constants.HUGGINGFACE_CO_URL_TEMPLATE = url + "/{repo_id}/resolve/{revision}/{filename}"
    constants.HF_HUB_OFFLINE = False
    constants.HF_HUB_DISABLE_XET = True
    constants.HF_HUB_CACHE = str(cache)


def measure(url: str, reps: int, expected: str) -> dict[str, float]:
    """Alternate which side goes first, and flush dirty pages before each timed download, so
    neither pays for the other's disk writeback."""
    times: dict[str, list[float]] = {"plain": [], "ours": [], "plain+sha": []}
    for rep in range(reps):
        order = (run_plain, run_ours) if rep % 2 == 0 else (run_ours, run_plain)
        with tempfile.TemporaryDirectory() as tmp:
            for run in order:
                os.sync()
                for key, value in run(url, Path(tmp), expected).items():
                    times[key].append(value)
    return {k: statistics.median(v) for k, v in times.items()}


def run_plain(url: str, tmp: Path, expected: str) -> dict[str, float]:
    point_at(url, tmp / "plain")
    t = time.perf_counter()
    path = hf_hub_download(REPO, NAME)
    plain = time.perf_counter() - t
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            sha.update(chunk)
    assert sha.hexdigest() == expected
    return {"plain": plain, "plain+sha": time.perf_counter() - t}


def run_ours(url: str, tmp: Path, expected: str) -> dict[str, float]:
    point_at(url, tmp / "ours")
    file = next(f for f in Hub().files(REPO) if f.filename == NAME)
    d = Downloader(Queue(tmp / "q.json"))
    item = d.queue.add(file)
    t = time.perf_counter()
    done = d.run(item)
    elapsed = time.perf_counter() - t
    assert done.state == State.DONE, done.error
    return {"ours": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    size = args.mb * 1024 * 1024
    rng = random.Random(1)
    expected = hashlib.sha256(b"".join(rng.randbytes(1 << 20) for _ in range(args.mb))).hexdigest()
    root = str(Path(__file__).resolve().parents[1])
    print(f"{args.mb} MiB file over loopback, {os.cpu_count()} cores, median of {args.reps}")
    print()
    print("| server speed | download                              | seconds | MB/s | vs plain |")
    print("|--------------|---------------------------------------|---------|------|----------|")
    for rate, label in ((0, "unlimited"), (100e6, "100 MB/s")):
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(size), root, str(rate)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None and server.stdin is not None
        try:
            med = measure(server.stdout.readline().strip(), args.reps, expected)
        finally:
            server.stdin.close()
            server.wait()
        rows = [
            ("plain hf_hub_download (no checksum)", "plain"),
            ("chatapp (SHA-256 while downloading)", "ours"),
            ("plain + a second SHA-256 pass", "plain+sha"),
        ]
        for name, key in rows:
            rate_mb = size / 1e6 / med[key]
            ratio = med["plain"] / med[key]
            print(f"| {label:<12} | {name:<37} | {med[key]:7.2f} | {rate_mb:4.0f} | {ratio:7.1%} |")


if __name__ == "__main__":
    main()
