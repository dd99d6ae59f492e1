"""Kill loop: the real ``chatapp`` process, SIGKILLed at random moments, never loses or damages
saved data.

What it proves. ``python -m chatapp chat`` and ``chatapp import`` are killed with SIGKILL (no
clean-up, no Python ``finally``: what a crash, an OOM kill or a power cut leaves) at moments drawn
at random in four phases, at least 50 kills in all:

- start-up and model load (``test_kill_during_startup_and_model_load``): the store opening, a new
  database being created and migrated, and llama.cpp reading a model with a 40,000-token
  vocabulary;
- prompt processing (``test_kill_during_prompt_processing``): the new conversation and the user
  message being committed, the empty reply row begun, an ~800-token prompt being evaluated;
- mid-reply (``test_kill_mid_reply``): a reply streaming (``--max-tokens``) and being
  checkpointed, and being finished, in a conversation continued turn after turn;
- import (``test_kill_during_import``): ``chatapp import`` of a ~1 MB export file (50
  conversations, 1,500 messages), while it parses and while its one transaction writes.

Moments come from the process's observed progress: a line it logs (``-v``: "opened" once the
store is open, llama.cpp's own lines while the model loads, "loaded" once it has), a number of
bytes of the reply on stdout (and the write-ahead log changing while it streams: the reply's
first checkpoint), the database file appearing (then a short random delay), or an
amount of the process's own work since one of those: CPU seconds, or bytes it has written (the
pages of an import's transaction), from Linux's /proc/PID/stat and /proc/PID/io. Each amount is
drawn at random within what one full run of that phase measured first; counting work rather than
time keeps the moments inside their phase on a machine busy with other tests. Each phase prints
what its kills left behind (e.g. "12x a cut-off reply, with text"), to show they landed all over.

After every kill, a copy of the files exactly as the dead process left them (database, -wal and
-shm) is opened with plain ``sqlite3``: ``PRAGMA integrity_check`` says ok, ``foreign_key_check``
finds nothing, and chatapp's own ``Store`` opens it. Every conversation and message that existed
before that run is unchanged, column for column. A chat run may only have added its own user
message (under the leaf it continued) and its reply under it, and a new conversation when it
started one; a reply cut off is marked interrupted (no metrics) and holds a prefix of what the
process printed, a finished one exactly what it printed. An import leaves all of its file's
conversations and messages, exactly as in the file, or none. After each loop, a normal ``chatapp
chat --continue`` on the conversation exits 0 and ``chatapp export`` exports every conversation
and message in the database.

Replaying: the moments come from ``random.Random`` seeded per phase from one seed, printed with
every run and added to every failure; ``CHATAPP_KILL_SEED=<seed>`` reruns with the same draws (the
timing of a real process can still differ a little).
"""

from __future__ import annotations

import json
import os
import random
import resource
import secrets
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chatapp.core.chat.transfer import import_json
from chatapp.core.models.synthetic import ModelShape, write_chat_model
from chatapp.core.storage.store import DB_FILENAME, SCHEMA_VERSION, Store
from tests.helpers import conversation_id, run_cli

SEED = int(os.environ.get("CHATAPP_KILL_SEED") or secrets.randbelow(2**32))
RUN_TIMEOUT = 60.0  # s: only how long a hung child holds the suite

OPENED = "store: opened "  # -v: the store is open (and migrated)
LOADED = "engine: loaded "  # -v: the model is loaded
LLAMA_LINE = "DEBUG llama.cpp"  # -v: llama.cpp's own log, many lines while a model loads
IMPORTED = "imported "  # the last line of a finished import
FIRST_BYTE = "<the first byte on stdout>"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _rng(phase: str) -> random.Random:
    return random.Random(f"{SEED}:{phase}")


# --- running and killing the real process ---------------------------------------------------------


@dataclass
class Progress:
    """What a running child has shown so far: its stdout, its stderr lines, when each came."""

    started: float
    pid: int = 0
    stdout: bytearray = field(default_factory=bytearray)
    first_stdout: float | None = None
    last_stdout: float | None = None
    lines: list[tuple[float, str]] = field(default_factory=list)
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # (when, cpu, written)
    _partial: bytes = b""
    _marks: dict[str, tuple[float, int]] = field(default_factory=dict)
    _scanned: dict[str, int] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.started

    def work(self) -> tuple[float, int] | None:
        """The child's work so far: CPU seconds (all its threads) and bytes it passed to write(),
        from Linux's /proc/PID/stat and /proc/PID/io; None where there is no such file."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
            io = Path(f"/proc/{self.pid}/io").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime + stime
        written = next(int(ln.split()[1]) for ln in io.splitlines() if ln.startswith("wchar:"))
        return cpu, written

    def began(self, start: str) -> float | None:
        """When ``start`` happened: a stderr line containing it, or the first byte on stdout."""
        if start == FIRST_BYTE:
            return self.first_stdout
        found = self.mark(start)
        return None if found is None else found[0]

    def feed(self, stream: str, data: bytes) -> None:
        now = self.now()
        if stream == "out":
            self.stdout += data
            self.first_stdout = now if self.first_stdout is None else self.first_stdout
            self.last_stdout = now
            return
        *done, self._partial = (self._partial + data).split(b"\n")
        self.lines += [(now, line.decode(errors="replace")) for line in done]

    def mark(self, text: str) -> tuple[float, int] | None:
        """(time, index) of the first stderr line containing ``text``."""
        if text not in self._marks:
            for index in range(self._scanned.get(text, 0), len(self.lines)):
                if text in self.lines[index][1]:
                    self._marks[text] = (self.lines[index][0], index)
                    break
            self._scanned[text] = len(self.lines)
        return self._marks.get(text)

    def lines_after(self, text: str, prefix: str) -> int | None:
        """How many lines starting with ``prefix`` came after the one containing ``text``."""
        found = self.mark(text)
        if found is None:
            return None
        return sum(line.startswith(prefix) for _, line in self.lines[found[1] + 1 :])


@dataclass(frozen=True)
class Moment:
    """When to kill: ``due`` is asked after every read, and every millisecond in between."""

    plan: str
    due: Callable[[Progress], bool]


def after_work(start: str, *, cpu: float = 0.0, written: int = 0) -> Moment:
    """Once the child has done ``cpu`` seconds of work, and written ``written`` bytes, since
    ``start`` (a stderr line, or FIRST_BYTE). Work, not time: a busy machine slows the child
    down but does not move the moment. Without /proc, ``cpu`` is taken as wall time."""
    base: list[tuple[float, int]] = []

    def due(p: Progress) -> bool:
        began = p.began(start)
        if began is None:
            return False
        now = p.work()
        if now is None:
            return p.now() >= began + cpu
        if not base:
            base.append(now)
        return now[0] - base[0][0] >= cpu and now[1] - base[0][1] >= written

    what = f"{cpu * 1000:.0f} ms of CPU" + (f" and {written} bytes written" if written else "")
    return Moment(f"after {what} following {start.strip()!r}", due)


def after_mark(text: str, delay: float) -> Moment:
    """``delay`` seconds after the stderr line containing ``text``: for short random delays
    after a readiness point."""

    def due(p: Progress) -> bool:
        found = p.mark(text)
        return found is not None and p.now() >= found[0] + delay

    return Moment(f"{delay * 1000:.1f} ms after the line {text.strip()!r}", due)


def after_lines(text: str, count: int, prefix: str = LLAMA_LINE) -> Moment:
    def due(p: Progress) -> bool:
        seen = p.lines_after(text, prefix)
        return seen is not None and seen >= count

    return Moment(f"after {count} {prefix!r} lines following {text.strip()!r}", due)


def after_stdout(n_bytes: int) -> Moment:
    def due(p: Progress) -> bool:
        return len(p.stdout) >= n_bytes

    return Moment(f"after {n_bytes} byte(s) of the reply on stdout", due)


def after_checkpoint(wal: Path, n_bytes: int) -> Moment:
    """``n_bytes`` more of the reply on stdout after the first write to the write-ahead log
    once the reply streams: its first checkpoint (the reply row was begun before)."""
    seen: list[tuple[int, int]] = []
    at: list[int] = []

    def due(p: Progress) -> bool:
        if p.first_stdout is None:
            return False
        if not at:
            try:
                stat = wal.stat()
                now = (stat.st_size, stat.st_mtime_ns)
            except FileNotFoundError:
                now = (-1, -1)
            seen.append(now)
            if now == seen[0]:
                return False
            at.append(len(p.stdout))
        return len(p.stdout) >= at[0] + n_bytes

    return Moment(f"after the first checkpoint, then {n_bytes} byte(s) of the reply", due)


def once_file(path: Path, delay: float) -> Moment:
    """Once ``path`` exists, plus ``delay``."""
    seen: list[float] = []

    def due(p: Progress) -> bool:
        if not seen and path.exists():
            seen.append(p.now())
        return bool(seen) and p.now() >= seen[0] + delay

    return Moment(f"{delay * 1000:.1f} ms after {path.name} appeared", due)


@dataclass(frozen=True)
class Outcome:
    """One run of the child: killed by us, or ended by itself."""

    args: tuple[str, ...]
    moment: str  # the plan and what had been observed when the signal went
    returncode: int
    stdout: str
    stderr: list[str]
    progress: Progress

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def mark(self, text: str) -> float:
        found = self.progress.began(text)
        assert found is not None, f"no {text!r} in the output:\n" + "\n".join(self.stderr[-20:])
        return found

    def work(self, start: str, end: str | None = None) -> tuple[float, int]:
        """CPU seconds and bytes written from ``start`` to ``end`` (default: the end)."""
        since, until = self.mark(start), self.mark(end) if end else float("inf")
        within = [(c, w) for t, c, w in self.progress.samples if since <= t <= until]
        if len(within) < 2:  # no /proc: the wall time, as after_work takes it then
            return (until if end else self.progress.now()) - since, 0
        return within[-1][0] - within[0][0], within[-1][1] - within[0][1]


def drive(
    args: Sequence[str | Path], moment: Moment | None = None, *, sample: bool = False
) -> Outcome:
    """Run ``python -m chatapp ARGS``; SIGKILL it when ``moment`` is due (never, if None).

    ``sample``: note the child's work every millisecond, in ``progress.samples``.
    """
    cmd = [sys.executable, "-m", "chatapp", *map(str, args)]
    started = time.monotonic()
    child = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    progress = Progress(started, child.pid)
    observed = "ran to its end"
    with child, selectors.DefaultSelector() as sel:
        assert child.stdout is not None and child.stderr is not None
        sel.register(child.stdout, selectors.EVENT_READ, "out")
        sel.register(child.stderr, selectors.EVENT_READ, "err")
        armed = moment is not None
        try:
            while sel.get_map():
                if armed and moment is not None and moment.due(progress):
                    armed = False
                    child.send_signal(signal.SIGKILL)  # nothing if it has already exited
                    last = progress.lines[-1][1][:90] if progress.lines else ""
                    observed = (
                        f"signalled at {progress.now():.3f} s, {len(progress.stdout)} bytes on"
                        f" stdout, {len(progress.lines)} stderr lines, the last {last!r}"
                    )
                if sample and (work := progress.work()) is not None:
                    progress.samples.append((progress.now(), *work))
                if progress.now() > RUN_TIMEOUT:
                    pytest.fail(f"{' '.join(cmd)[:300]} hung for {RUN_TIMEOUT} s", pytrace=False)
                polling = armed or sample
                for key, _ in sel.select(0.001 if polling else 1.0):
                    data = os.read(key.fd, 1 << 16)
                    if data:
                        progress.feed(key.data, data)
                    else:
                        sel.unregister(key.fileobj)
            returncode = child.wait(timeout=RUN_TIMEOUT)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    return Outcome(
        args=tuple(map(str, args)),
        moment=f"{moment.plan if moment else 'no kill'}; {observed}",
        returncode=returncode,
        stdout=progress.stdout.decode(errors="replace"),
        stderr=[line for _, line in progress.lines],
        progress=progress,
    )


def full_run(args: Sequence[str | Path]) -> Outcome:
    """One run to its end (to measure its phases), which must succeed."""
    outcome = drive(args, sample=True)
    assert outcome.returncode == 0, "\n".join(outcome.stderr[-20:])
    return outcome


# --- what the database holds ----------------------------------------------------------------------

_MSG_COLUMNS = (
    "id, conversation_id, parent_id, role, content, created_at, model, prompt_tokens,"
    " prompt_eval_tokens, completion_tokens, ttft_ms, decode_tps, stop_reason, dropped_turns"
)
_CONV_COLUMNS = (
    "id, title, created_at, updated_at, model, system_prompt, settings_json, pinned,"
    " current_leaf_id"
)
# indexes into a message row and a conversation row
M_CONV, M_PARENT, M_ROLE, M_CONTENT, M_STOP = 1, 2, 3, 4, 12
C_UPDATED, C_MODEL, C_SETTINGS, C_LEAF = 3, 4, 6, 8
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Snapshot:
    conversations: dict[str, Row]
    messages: dict[str, Row]


EMPTY = Snapshot({}, {})


def inspect(data: Path, scratch: Path) -> Snapshot:
    """Check the database as it was left, and return everything in it.

    A copy of its files is opened read-only with plain sqlite3 (so the next chatapp process
    still finds them exactly as the dead one left them, hot write-ahead log and all), then with
    chatapp's own Store.
    """
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        source = data / (DB_FILENAME + suffix)
        if source.exists():
            shutil.copy2(source, scratch / source.name)
    db = scratch / DB_FILENAME
    if not db.exists():
        return EMPTY  # killed before the database was created
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        version = con.execute("PRAGMA user_version").fetchone()[0]
        assert version in range(SCHEMA_VERSION + 1)
        if version < SCHEMA_VERSION:  # a first run, killed while creating the database
            if version:
                assert con.execute("SELECT count(*) FROM conversations").fetchone() == (0,)
            else:  # not even the first schema step committed: nothing half-made
                assert con.execute("SELECT name FROM sqlite_master").fetchall() == []
            convs, msgs = [], []
        else:
            convs = con.execute(f"SELECT {_CONV_COLUMNS} FROM conversations").fetchall()
            msgs = con.execute(f"SELECT {_MSG_COLUMNS} FROM messages").fetchall()
    with Store(db) as store:  # chatapp opens it (and finishes creating it, if it has to)
        assert len(store.list_conversations()) == len(convs)
    return Snapshot({r[0]: r for r in convs}, {r[0]: r for r in msgs})


def assert_kept(before: Snapshot, after: Snapshot, *, continued: str | None = None) -> None:
    """Every earlier message is unchanged; so is every earlier conversation, but for the one
    continued, whose leaf, activity time, model and settings a chat run may change."""
    changed = [m for m, row in before.messages.items() if after.messages.get(m) != row]
    assert not changed, f"earlier messages lost or changed: {changed[:5]}"
    for cid, row in before.conversations.items():
        now = after.conversations.get(cid)
        assert now is not None, f"conversation {cid} is gone"
        if cid == continued:
            same = [i for i in range(len(row)) if i not in (C_UPDATED, C_MODEL, C_SETTINGS, C_LEAF)]
            assert [now[i] for i in same] == [row[i] for i in same], (row, now)
        else:
            assert now == row, f"conversation {cid} changed"


def check_chat_run(
    before: Snapshot, after: Snapshot, run: Outcome, message: str, continued: str | None
) -> tuple[str | None, str]:
    """The checks after one ``chatapp chat`` run; returns the conversation it wrote to, and
    what it left, in words."""
    if not run.killed:
        assert run.returncode == 0, "\n".join(run.stderr[-20:])
    assert_kept(before, after, continued=continued)
    new_convs = set(after.conversations) - set(before.conversations)
    if continued is not None:
        assert not new_convs, "a continued chat started a conversation"
        target: str | None = continued
        parent = before.conversations[continued][C_LEAF]
    else:
        assert len(new_convs) <= 1, new_convs
        target = next(iter(new_convs), None)
        parent = None
    new = [after.messages[m] for m in set(after.messages) - set(before.messages)]
    assert all(m[M_CONV] == target for m in new), "a message landed in another conversation"
    users = [m for m in new if m[M_ROLE] == "user"]
    replies = [m for m in new if m[M_ROLE] == "assistant"]
    assert len(users) + len(replies) == len(new) and len(users) <= 1 and len(replies) <= 1, new
    leaf = parent
    state = "an empty new conversation" if target and continued is None else "nothing new"
    if users:
        (user,) = users
        assert user[M_CONTENT] == message and user[M_PARENT] == parent, user
        leaf = user[0]
        state = "the question, no reply yet"
    if replies:
        (reply,) = replies
        assert users and reply[M_PARENT] == users[0][0], "a reply without its question"
        text = reply[M_CONTENT]
        if reply[M_STOP] is None:  # cut off: interrupted, holding what was checkpointed
            assert run.killed, "a run that ended by itself left its reply unfinished"
            assert run.stdout.startswith(text), (text[:80], run.stdout[:80])
        else:  # finished: exactly what was printed (the final newline comes after the commit)
            assert run.stdout in (text, text + "\n"), (text[:80], run.stdout[:80])
        leaf = reply[0]
        if reply[M_STOP] is not None:
            state = "the finished reply"
        else:
            state = f"a cut-off reply, {'with text' if text else 'still empty'}"
    if not run.killed:
        assert users and replies and replies[0][M_STOP] is not None
    if target is not None:
        assert after.conversations[target][C_LEAF] == leaf, "the conversation's leaf is wrong"
    return target, state


# --- export files ---------------------------------------------------------------------------------

# the words of the long prompts and of the imported messages
WORDS = "the kill loop proves nothing is lost when chatapp dies at any moment at all".split()  # noqa: SIM905


def export_document(
    rng: random.Random, n_conversations: int, n_messages: int, words: int
) -> dict[str, Any]:
    """A chatapp-export document of linear conversations with fresh random ids; every fourth
    reply was interrupted (no metrics)."""

    def hex_id() -> str:
        return f"{rng.getrandbits(128):032x}"

    conversations = []
    for c in range(n_conversations):
        parent = None
        messages = []
        for i in range(n_messages):
            role = "user" if i % 2 == 0 else "assistant"
            finished = role == "assistant" and i % 8 != 7
            messages.append(
                {
                    "id": (mid := hex_id()),
                    "parent_id": parent,
                    "role": role,
                    "content": " ".join(rng.choices(WORDS, k=words)),
                    "created_at": f"2025-03-{1 + c % 28:02d}T10:{i // 60:02d}:{i % 60:02d}.000Z",
                    "model": "Imported Model" if role == "assistant" else None,
                    "metrics": {
                        "prompt_tokens": 20 * i,
                        "prompt_eval_tokens": 20,
                        "completion_tokens": words,
                        "ttft_ms": 12.5,
                        "decode_tps": 40.0,
                        "stop_reason": "end_of_turn",
                        "dropped_turns": 0,
                    }
                    if finished
                    else None,
                }
            )
            parent = mid
        conversations.append(
            {
                "id": hex_id(),
                "title": f"imported {c} " + " ".join(rng.choices(WORDS, k=3)),
                "created_at": f"2025-03-{1 + c % 28:02d}T09:00:00.000Z",
                "updated_at": f"2025-03-{1 + c % 28:02d}T11:00:00.000Z",
                "model": "Imported Model",
                "system_prompt": None if c % 3 else "be brief",
                "settings": {"temperature": 0.5} if c % 2 else {},
                "pinned": c % 10 == 0,
                "current_leaf_id": parent,
                "messages": messages,
            }
        )
    return {
        "format": "chatapp-export",
        "version": 1,
        "exported_at": "2025-03-30T00:00:00.000Z",
        "app_version": "0",
        "conversations": conversations,
    }


def expected_rows(document: dict[str, Any]) -> tuple[dict[str, Row], dict[str, Row]]:
    """The conversation and message rows an import of ``document`` writes."""
    convs: dict[str, Row] = {}
    msgs: dict[str, Row] = {}
    metric_keys = (
        "prompt_tokens",
        "prompt_eval_tokens",
        "completion_tokens",
        "ttft_ms",
        "decode_tps",
        "stop_reason",
        "dropped_turns",
    )
    for c in document["conversations"]:
        convs[c["id"]] = (
            c["id"],
            c["title"],
            c["created_at"],
            c["updated_at"],
            c["model"],
            c["system_prompt"],
            json.dumps(c["settings"]),
            int(c["pinned"]),
            c["current_leaf_id"],
        )
        for m in c["messages"]:
            metrics = m["metrics"] or {}
            msgs[m["id"]] = (
                m["id"],
                c["id"],
                m["parent_id"],
                m["role"],
                m["content"],
                m["created_at"],
                m["model"],
                *(metrics.get(k) for k in metric_keys),
            )
    return convs, msgs


# --- the loop -------------------------------------------------------------------------------------


@contextmanager
def replay(phase: str, index: int, run: Outcome | None = None) -> Iterator[None]:
    """Adds how to replay it to a failure."""
    try:
        yield
    except BaseException as exc:
        where = f"{run.moment}; args {' '.join(run.args)[:200]}" if run else ""
        exc.add_note(f"kill loop {phase} run {index}: CHATAPP_KILL_SEED={SEED}; {where}")
        raise


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by this process, and by its children that have ended."""
    me, children = map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class Tally:
    phase: str
    target: int
    kills: int = 0
    runs: int = 0
    started: float = field(default_factory=time.monotonic)
    cpu: tuple[float, float] = field(default_factory=_cpu_seconds)
    states: Counter[str] = field(default_factory=Counter)

    def more(self) -> bool:
        # a few spare runs for moments that came after the process had already finished
        return self.kills < self.target and self.runs < self.target * 2

    def count(self, run: Outcome, state: str) -> None:
        self.runs += 1
        self.kills += run.killed
        self.states[state if run.killed else "(ran to its end)"] += 1
        print(f"[{self.phase} {self.runs}] rc {run.returncode}, left {state}: {run.moment}")

    def check(self) -> None:
        cpu = _cpu_seconds()
        print(
            f"kill loop {self.phase}: {self.kills} kills in {self.runs} runs (seed {SEED}),"
            f" {time.monotonic() - self.started:.1f} s; CPU: {cpu[1] - self.cpu[1]:.1f} s in the"
            f" chatapp processes, {cpu[0] - self.cpu[0]:.1f} s in the test"
        )
        print("  the kills left: " + "; ".join(f"{n}x {s}" for s, n in self.states.most_common()))
        assert self.kills >= self.target, (
            f"only {self.kills} of {self.runs} runs were killed before they finished; "
            f"CHATAPP_KILL_SEED={SEED}"
        )


def base_data(path: Path) -> tuple[Path, str]:
    """A data dir holding a few earlier conversations (some replies interrupted); returns it and
    the id of one of them."""
    with Store.open_dir(path) as store:
        ids = import_json(store, json.dumps(export_document(random.Random(SEED), 3, 6, 12)))
    return path, ids[0]


def still_works(data: Path, conv_id: str, model: Path, scratch: Path) -> None:
    """After the loop: a normal turn in the conversation, and an export of everything."""
    turn = run_cli(
        "chat", "--data-dir", data, "--model", model, "--max-tokens", "8", "--continue", conv_id,
        "one more after all those kills",
    )  # fmt: skip
    assert turn.returncode == 0, turn.stderr
    assert conversation_id(turn.stderr) == conv_id
    out = scratch.parent / "export.json"
    exported = run_cli("export", "--data-dir", data, "-o", out)
    assert exported.returncode == 0, exported.stderr
    held = inspect(data, scratch)
    document = json.loads(out.read_text(encoding="utf-8"))
    convs = {c["id"]: c for c in document["conversations"]}
    assert set(convs) == set(held.conversations)
    msgs = {m["id"]: (c["id"], m) for c in convs.values() for m in c["messages"]}
    assert set(msgs) == set(held.messages)
    for mid, row in held.messages.items():
        cid, m = msgs[mid]
        assert (cid, m["parent_id"], m["role"], m["content"]) == (
            row[M_CONV],
            row[M_PARENT],
            row[M_ROLE],
            row[M_CONTENT],
        )
        assert (m["metrics"] is None) == (row[M_STOP] is None)


def chat_args(data: Path, model: Path, message: str, *extra: str | Path) -> list[str | Path]:
    # one thread: llama.cpp's threads spin while they wait, which on a busy two-core machine
    # costs more than it gains
    return ["chat", "-v", "--data-dir", data, "--model", model, "--threads", "1", *extra, message]


@pytest.fixture(scope="module")
def wide_model(models: Path) -> Path:
    """A model with a 40,000-token vocabulary (real ones have tens of thousands), so that
    llama.cpp takes a measurable while to load it."""
    shape = ModelShape(n_embd=128, n_layer=4, n_ff=256, extra_vocab=40_000)
    return write_chat_model(models / "tiny-wide.gguf", shape=shape, name="Tiny Wide")


def test_kill_during_startup_and_model_load(tmp_path: Path, wide_model: Path) -> None:
    """Killed while the store opens (a new database being created, too) or the model loads."""
    rng, tally = _rng("load"), Tally("load", target=13)
    data, conv = base_data(tmp_path / "data")
    scratch = tmp_path / "scratch"
    # one full run to measure: store open -> model loaded, and llama.cpp's lines in between
    first = full_run(chat_args(data, wide_model, "measure", "--max-tokens", "4"))
    loading, _ = first.work(OPENED, LOADED)
    n_lines = first.progress.lines_after(OPENED, LLAMA_LINE)
    assert n_lines, "llama.cpp logged nothing while loading"
    before = inspect(data, scratch)
    while tally.more():
        index = tally.runs + 1
        draw = rng.random()
        message = f"kill {index} while loading"
        if draw < 0.25:  # a first run: the database is being created
            here = tmp_path / f"fresh-{index}"
            moment = once_file(here / DB_FILENAME, rng.uniform(0, 0.05))
            run = drive(chat_args(here, wide_model, message, "--max-tokens", "4"), moment)
            with replay("load", index, run):
                _, state = check_chat_run(EMPTY, inspect(here, scratch), run, message, None)
        else:
            if draw < 0.6:
                moment = after_lines(OPENED, rng.randint(0, n_lines))
            else:
                moment = after_work(OPENED, cpu=rng.uniform(0, loading * 1.1))
            args = chat_args(data, wide_model, message, "--max-tokens", "4", "--continue", conv)
            run = drive(args, moment)
            with replay("load", index, run):
                after = inspect(data, scratch)
                _, state = check_chat_run(before, after, run, message, conv)
            before = after
        tally.count(run, state)
    tally.check()
    with replay("load", 0):
        still_works(data, conv, wide_model, scratch)


def test_kill_during_prompt_processing(tmp_path: Path, long_model: Path) -> None:
    """Killed between the model being loaded and the first token: the new conversation, the
    user message and the empty reply being committed, a long prompt being evaluated."""
    rng, tally = _rng("prompt"), Tally("prompt", target=12)
    data, _ = base_data(tmp_path / "data")
    scratch = tmp_path / "scratch"

    def prompt() -> str:  # ~800 tokens of the synthetic model's byte-level vocabulary
        return " ".join(rng.choices(WORDS, k=160))

    first = full_run(chat_args(data, long_model, prompt(), "--max-tokens", "4"))
    evaluating, _ = first.work(LOADED, FIRST_BYTE)  # the prompt, mostly
    conv = conversation_id("\n".join(first.stderr))
    before = inspect(data, scratch)
    while tally.more():
        index = tally.runs + 1
        message = prompt()
        if rng.random() < 0.3:  # the conversation, question and empty reply being committed
            moment = after_mark(LOADED, rng.uniform(0, 0.015))
        else:  # the prompt being evaluated
            moment = after_work(LOADED, cpu=rng.uniform(0, evaluating * 1.05))
        run = drive(chat_args(data, long_model, message, "--max-tokens", "4"), moment)
        with replay("prompt", index, run):
            after = inspect(data, scratch)
            target, state = check_chat_run(before, after, run, message, None)
            conv = target or conv
        before = after
        tally.count(run, state)
    tally.check()
    with replay("prompt", 0):
        still_works(data, conv, long_model, scratch)


def test_kill_mid_reply(tmp_path: Path, long_model: Path) -> None:
    """Killed while a reply streams and is checkpointed, or as it is finished; the
    conversation is continued turn after turn (a new one every few turns, to keep prompts
    short)."""
    rng, tally = _rng("reply"), Tally("reply", target=14)
    data, _ = base_data(tmp_path / "data")
    scratch = tmp_path / "scratch"
    wal = data / (DB_FILENAME + "-wal")
    max_tokens = ("--max-tokens", "1000")
    first = full_run(chat_args(data, long_model, "a first question", *max_tokens))
    streamed = len(first.progress.stdout)
    streaming, _ = first.work(FIRST_BYTE)
    conv: str | None = conversation_id("\n".join(first.stderr))
    last, chained = conversation_id("\n".join(first.stderr)), 1
    before = inspect(data, scratch)
    while tally.more():
        index = tally.runs + 1
        message = f"question {index}: " + " ".join(rng.choices(WORDS, k=5))
        draw = rng.random()
        if draw < 0.4:
            moment = after_stdout(rng.randint(1, streamed))
        elif draw < 0.7:
            moment = after_work(FIRST_BYTE, cpu=rng.uniform(0, streaming * 1.05))
        else:  # the reply's text is being saved, or has just been
            moment = after_checkpoint(wal, rng.randint(0, 200))
        if chained >= 3:
            conv, chained = None, 0
        extra = (*max_tokens, "--continue", conv) if conv else max_tokens
        run = drive(chat_args(data, long_model, message, *extra), moment)
        with replay("reply", index, run):
            after = inspect(data, scratch)
            conv, state = check_chat_run(before, after, run, message, conv)
        last = conv or last
        chained += 1
        before = after
        tally.count(run, state)
    tally.check()
    with replay("reply", 0):
        still_works(data, last, long_model, scratch)


def test_kill_during_import(tmp_path: Path, tiny_model: Path) -> None:
    """Killed while ``chatapp import`` parses a ~1 MB file or writes it in its one
    transaction: the file's conversations are all there, exactly, or none is."""
    rng, tally = _rng("import"), Tally("import", target=12)
    data, conv = base_data(tmp_path / "data")
    scratch = tmp_path / "scratch"

    def export_file(name: str) -> tuple[Path, dict[str, Any]]:
        document = export_document(rng, 50, 30, 40)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        return path, document

    path, _ = export_file("measure")
    first = full_run(["import", "-v", "--data-dir", data, path])
    # its work once the store is open: parsing, then writing the pages of its one transaction
    working, written = first.work(OPENED)
    before = inspect(data, scratch)
    while tally.more():
        index = tally.runs + 1
        path, document = export_file(f"import-{index}")
        if written > 0 and rng.random() < 0.5:
            moment = after_work(OPENED, written=rng.randint(1, written))
        else:
            moment = after_work(OPENED, cpu=rng.uniform(0, working * 0.95))
        run = drive(["import", "-v", "--data-dir", data, path], moment)
        with replay("import", index, run):
            after = inspect(data, scratch)
            if not run.killed:
                assert run.returncode == 0, "\n".join(run.stderr[-20:])
                assert any(IMPORTED in line for line in run.stderr)
            assert_kept(before, after)
            convs, msgs = expected_rows(document)
            new_convs = set(after.conversations) - set(before.conversations)
            new_msgs = set(after.messages) - set(before.messages)
            state = "none of the file"
            if new_convs or new_msgs or not run.killed:  # all of it, exactly as in the file
                assert new_convs == set(convs), f"{len(new_convs)} of {len(convs)} imported"
                assert new_msgs == set(msgs), f"{len(new_msgs)} of {len(msgs)} messages"
                assert {c: after.conversations[c] for c in convs} == convs
                assert {m: after.messages[m] for m in msgs} == msgs
                state = "all of the file"
        before = after
        tally.count(run, state)
    tally.check()
    with replay("import", 0):
        still_works(data, conv, tiny_model, scratch)
