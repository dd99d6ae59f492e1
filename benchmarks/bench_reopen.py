"""Instant reopen: time to first token after a restart, with the saved state vs recomputing.

On the real model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M: ``$CHATAPP_REAL_MODEL``, else the one
``../shared/models/fetch-real-model`` prints), a conversation of about ``--tokens`` prompt
tokens (default 3,000: a system prompt and turns of code and prose) is answered once by a
process with a state cache, which saves the conversation's state after its reply. Then each
measurement is a new process, as after a restart: it loads the model, adds the user's next
turn and times the first token of the reply (greedy, from ``stream_chat`` to the first token):

- ours, reopened: ``Engine(states=StateCache(...))`` loads the saved state and evaluates only
  the new turn; "cold file" first drops the state file from the page cache (posix_fadvise), as
  after a reboot; "warm file" reads it from the page cache, as after quitting and reopening;
- ours, recomputed: ``Engine()`` with no cache evaluates the whole prompt;
- raw llama-cpp-python, recomputed: ``Llama.create_chat_completion(stream=True)`` on the same
  messages and the model's own template, to its first chunk.

Runs alternate between the modes; the table gives medians. It also prints the state file's
size and what saving it after the reply cost (copying llama.cpp's state under the engine's lock,
then writing the file after the reply has finished).

Usage: ``python benchmarks/bench_reopen.py [--runs N] [--tokens N] [--ctx N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from realmodel import real_model

from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.backend import Finished, TextDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.kvstate import StateCache

ROOT = Path(__file__).resolve().parents[1]

SYSTEM = "You are a careful senior engineer. Answer briefly and precisely."
CODE = '''def merge_intervals(intervals):
    """Merge overlapping [start, end] intervals; returns them sorted."""
    out = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out
'''
PROSE = (
    "Our service stores each user's documents in a bucket per region. Uploads go through a "
    "gateway that checks the size and type, writes the file, and queues a job that makes a "
    "thumbnail and extracts the text for search. Last week the queue grew to forty thousand "
    "jobs after a deploy changed the retry policy, and searches for new files came back empty "
    "for two hours."
)
TURNS = [
    (
        f"Review this function:\n\n{CODE}",
        "It sorts first, so it is O(n log n); it handles "
        "touching intervals as overlapping. Consider tuples in the output and an empty input.",
    ),
    (
        f"Summarise this incident report:\n\n{PROSE}",
        "A retry-policy change after a deploy "
        "backed the text-extraction queue up to 40,000 jobs, so new files were not searchable "
        "for about two hours; uploads themselves were fine.",
    ),
    (
        "What would you monitor so this is caught earlier?",
        "Queue depth and the age of the "
        "oldest job, with an alert on either; the retry rate per job type; and a synthetic "
        "upload-then-search check every few minutes.",
    ),
]
NEXT = "Write a test for merge_intervals covering the edge cases you mentioned."


def conversation(engine: Engine, target: int) -> list[ChatMessage]:
    """System prompt and turns until the prompt has about ``target`` tokens; it ends with a
    question for the model to answer."""
    messages: list[ChatMessage] = [{"role": "system", "content": SYSTEM}]
    i = 0
    while True:
        question, answer = TURNS[i % len(TURNS)]
        messages.append({"role": "user", "content": f"({i + 1}) {question}"})
        if engine.count_tokens(messages) >= target:
            return messages
        messages.append({"role": "assistant", "content": answer})
        i += 1


def child(mode: str, model: Path, states: Path, ctx: int, target: int) -> dict[str, float]:
    """One measurement in this (fresh) process. ``prime`` answers the conversation's last
    question (saving the state after it, and the reply beside it); the others send the next
    turn after that reply."""
    reply_file = states.parent / "reply.txt"
    greedy = GenerationSettings(temperature=0.0, max_tokens=8, seed=1)
    load = LoadSettings(n_ctx=ctx)

    def next_turn(history: list[ChatMessage]) -> list[ChatMessage]:
        answer = reply_file.read_text(encoding="utf-8")
        return [
            *history,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": NEXT},
        ]

    if mode == "raw":
        import llama_cpp

        llm = llama_cpp.Llama(str(model), n_ctx=ctx, n_batch=load.n_batch, verbose=False)
        probe = Engine()
        probe.load(model, load)
        messages = conversation(probe, target)
        probe.unload()
        started = time.perf_counter()
        stream = llm.create_chat_completion(
            next_turn(messages),  # type: ignore[arg-type]
            temperature=0.0,
            max_tokens=8,
            stream=True,
        )
        for chunk in stream:
            if chunk["choices"][0]["delta"].get("content"):  # type: ignore[index, union-attr]
                break
        return {"ttft_ms": (time.perf_counter() - started) * 1000}
    cache = StateCache(states) if mode in ("prime", "warm", "cold") else None
    engine = Engine(cache)
    engine.load(model, load)
    history = conversation(engine, target)
    if mode == "prime":
        greedy = greedy.updated(max_tokens=64)
        messages = history
    else:
        messages = next_turn(history)
    if mode == "cold":
        for f in states.iterdir():
            fd = os.open(f, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
    reply = engine.stream_chat(messages, greedy, session="bench")
    last_text = finished = 0.0
    for event in reply.events():
        if isinstance(event, TextDelta):
            last_text = time.perf_counter()
        elif isinstance(event, Finished):
            finished = time.perf_counter()
    ended = time.perf_counter()
    if mode == "prime":
        reply_file.write_text(reply.text, encoding="utf-8")
    m = reply.metrics
    assert m is not None and m.ttft_ms is not None
    return {
        "ttft_ms": m.ttft_ms,
        "prompt": m.prompt_tokens,
        "evaluated": m.prompt_eval_tokens,
        "restored": m.restored_tokens,
        "copy_ms": (finished - last_text) * 1000,
        "write_ms": (ended - finished) * 1000,
        "state_bytes": sum(f.stat().st_size for f in states.iterdir()) if cache else 0,
    }


def run(mode: str, model: Path, states: Path, ctx: int, target: int) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", mode, "--states", str(states)]
    args += ["--ctx", str(ctx), "--tokens", str(target), "--model", str(model)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_reopen: {mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=3000)
    ap.add_argument("--ctx", type=int, default=8192)
    ap.add_argument("--child")
    ap.add_argument("--states", type=Path)
    ap.add_argument("--model", type=Path)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.model, a.states, a.ctx, a.tokens)))
        return
    model = real_model()
    with tempfile.TemporaryDirectory() as tmp:
        states = Path(tmp) / "prime" / "states"
        prime = run("prime", model, states, a.ctx, a.tokens)
        results: dict[str, list[dict[str, float]]] = {"warm": [], "cold": [], "ours": [], "raw": []}
        for i in range(a.runs):
            for mode in results:
                # each run starts from the state the first reply saved (a run saves its own)
                fresh = Path(tmp) / f"{mode}-{i}"
                shutil.copytree(states.parent, fresh)
                results[mode].append(run(mode, model, fresh / "states", a.ctx, a.tokens))
    cpu = platform.processor() or platform.machine()
    print(f"{model.name}, {os.cpu_count()} cores ({cpu}), context {a.ctx}, {a.runs} runs each")
    print(
        f"state after the reply: {prime['state_bytes'] / 2**20:.1f} MiB for {prime['prompt']:.0f}"
        f" + {64} tokens; saving it: copy {prime['copy_ms']:.0f} ms (under the lock), "
        f"write {prime['write_ms']:.0f} ms (after the reply)"
    )
    recompute = statistics.median(r["ttft_ms"] for r in results["ours"])
    print(
        f"{'after a restart':<38} {'prompt':>7} {'evaluated':>9} {'first token':>12} {'share':>6}"
    )
    rows = [
        ("ours, reopened (state file warm)", "warm"),
        ("ours, reopened (state file cold)", "cold"),
        ("ours, recomputed", "ours"),
        ("raw llama-cpp-python, recomputed", "raw"),
    ]
    for label, mode in rows:
        ttft = statistics.median(r["ttft_ms"] for r in results[mode])
        first = results[mode][0]
        prompt = f"{first['prompt']:.0f}" if "prompt" in first else "same"
        evaluated = f"{first['evaluated']:.0f}" if "evaluated" in first else "all"
        share = f"{ttft / recompute:.0%}"
        print(f"{label:<38} {prompt:>7} {evaluated:>9} {ttft:>9.0f} ms {share:>6}")


if __name__ == "__main__":
    main()
