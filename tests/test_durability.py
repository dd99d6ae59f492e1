"""A reply survives the process being killed mid-stream, up to its last checkpoint."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from chatapp.core.storage.store import DB_FILENAME, Store
from tests.helpers import run_cli


def _checkpointed_reply(db: Path) -> str:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute(
            "SELECT content FROM messages WHERE role = 'assistant' AND stop_reason IS NULL"
        ).fetchone()
    finally:
        con.close()
    return row[0] if row else ""


def test_sigkill_mid_reply_keeps_every_message_and_the_checkpointed_reply(
    tmp_path: Path, long_model: Path
) -> None:
    first = run_cli(
        "chat",
        "--data-dir",
        tmp_path,
        "--model",
        long_model,
        "--max-tokens",
        "10",
        "an earlier question",
    )
    assert first.returncode == 0, first.stderr
    conv_id = next(x for x in first.stderr.splitlines() if x.startswith("conversation ")).split()[1]

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chatapp",
            "chat",
            "--data-dir",
            str(tmp_path),
            "--model",
            str(long_model),
            "--ctx",
            "32768",
            "--max-tokens",
            "30000",
            "--continue",
            conv_id,
            "now a very long answer please",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert child.stdout is not None
    printed = b""
    try:
        while len(printed) < 100:  # the reply is streaming
            chunk = os.read(child.stdout.fileno(), 4096)
            assert chunk, "the chat process ended before streaming"
            printed += chunk
        # Wait (bounded) for the child's first checkpoint to reach the database.
        deadline = time.monotonic() + 30
        while not _checkpointed_reply(tmp_path / DB_FILENAME):
            assert time.monotonic() < deadline, "no checkpoint within 30 s"
            time.sleep(0.05)
        assert child.poll() is None, "the reply finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        printed += child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with Store.open_dir(tmp_path) as store:
        thread = store.thread(conv_id)
        assert [m.role for m in thread] == ["user", "assistant", "user", "assistant"]
        assert thread[0].content == "an earlier question"
        assert thread[1].metrics is not None and thread[1].metrics.completion_tokens == 10
        assert thread[2].content == "now a very long answer please"
        partial = thread[3]
        assert partial.metrics is None  # never finished: shown as interrupted
        assert len(partial.content) >= 1
        assert printed.decode("utf-8", errors="replace").startswith(partial.content)
        # only up to the last checkpoint: never more than the process printed
        assert len(partial.content.encode()) <= len(printed)
