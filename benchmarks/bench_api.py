"""The local API server under load, and what an API request costs the window's next turn.

1. Throughput and latency. The real model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M:
   ``$CHATAPP_REAL_MODEL``, else ``../shared/models/fetch-real-model``) is served by ours
   (``ApiServer``, in this process, the default line of 8) and by raw llama-cpp-python's own
   server (``python -m llama_cpp.server``, same model, context and threads). A separate process
   starts N streaming clients at once (official ``openai`` client, greedy, ``--tokens`` each) and
   the table gives what came back: answered, refused (429), time to first token (median and
   worst over the answered) and the aggregate completion tokens per second.
2. KV reuse. A window conversation of about 960 tokens gets its next turn three ways: right
   after its last one (llama.cpp's cache holds it), after an API request in between with instant
   reopen (its saved state is loaded back), and after an API request without a saved state (the
   whole conversation is evaluated again).

Usage: ``python benchmarks/bench_api.py [--tokens N] [--clients 1,8,32]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from realmodel import real_model

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-bench"


def clients(url: str, model: str, n: int, tokens: int) -> dict[str, object]:
    """N streaming clients at once (run in a process of their own)."""
    import openai

    client = openai.OpenAI(base_url=url, api_key=KEY, max_retries=0, timeout=600)
    answered: list[dict[str, float]] = []
    refused: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(n)

    def ask(i: int) -> None:
        try:
            barrier.wait()
            began = time.perf_counter()
            first = None
            count = 0
            stream = client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": f"In one sentence, what is {i} squared?"}],
                max_tokens=tokens,
                temperature=0.0,
                stream=True,
            )
            for chunk in stream:  # a content chunk is one token on both servers
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter() - began
                    count += 1
            answered.append(
                {"first": first or 0.0, "end": time.perf_counter() - began, "tokens": count}
            )
        except openai.RateLimitError:
            refused.append(i)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    began = time.perf_counter()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "answered": answered,
        "refused": len(refused),
        "errors": errors,
        "wall": time.perf_counter() - began,
    }


def load(url: str, model: str, n: int, tokens: int) -> dict[str, object]:
    args = [sys.executable, __file__, "--child", url, "--model-id", model]
    args += ["--n", str(n), "--tokens", str(tokens)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def row(label: str, n: int, r: dict[str, object]) -> str:
    answered = r["answered"]
    assert isinstance(answered, list)
    firsts = sorted(a["first"] for a in answered if a["tokens"])
    empty = sum(1 for a in answered if not a["tokens"])
    total = sum(a["tokens"] for a in answered)
    wall = float(r["wall"])  # type: ignore[arg-type]
    med = statistics.median(firsts) if firsts else 0.0
    worst = firsts[-1] if firsts else 0.0
    errors = r["errors"]
    assert isinstance(errors, list)
    return (
        f"{label:<28} {n:>7} {len(answered) - empty:>8} {empty:>6} {r['refused']:>7} "
        f"{len(errors):>6} "
        f"{med:>9.2f} s {worst:>8.2f} s {total / wall:>8.1f}"
    )


def gui_stall(url: str, model: str, n: int, tokens: int) -> tuple[float, float, int]:
    """The worst and 99th-percentile gap (ms) of a 5 ms timer on this process's Qt GUI
    thread while N clients in another process stream from the server this process runs."""
    import gc

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    gc.freeze()  # as run_app does once the window is up
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    args = [sys.executable, __file__, "--child", url, "--model-id", model]
    child = subprocess.Popen(
        [*args, "--n", str(n), "--tokens", str(tokens)], stdout=subprocess.PIPE
    )
    timer.start()
    while child.poll() is None:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    child.communicate()
    gc.unfreeze()
    ordered = sorted(gaps[1:])
    return ordered[-1] * 1000, ordered[int(len(ordered) * 0.99)] * 1000, len(ordered)


def reuse(model: Path, states: Path) -> list[tuple[str, float, int, int]]:
    """Turn N's first token: right after turn N-1, after an API request, without a state."""
    from chatapp.core.config.settings import GenerationSettings, LoadSettings
    from chatapp.core.inference.chat_template import ChatMessage
    from chatapp.core.inference.engine import Engine
    from chatapp.core.inference.kvstate import StateCache

    greedy = GenerationSettings(temperature=0.0, max_tokens=4, seed=1)
    text = "The deploy changed the retry policy and the queue grew. " * 6
    history: list[ChatMessage] = [{"role": "system", "content": "You are brief."}]
    for i in range(8):
        history += [
            {"role": "user", "content": f"({i}) {text}"},
            {"role": "assistant", "content": f"Noted, point {i}: {text[:120]}"},
        ]
    history.append({"role": "user", "content": "Summarise the incident."})
    api: list[ChatMessage] = [{"role": "user", "content": "Name three prime numbers."}]
    results = []
    for label, cache, between in (
        ("right after its last turn", True, False),
        ("after an API request, state reopened", True, True),
        ("after an API request, no saved state", False, True),
    ):
        engine = Engine(StateCache(states / label.replace(" ", "-")) if cache else None)
        engine.load(model, LoadSettings(n_ctx=4096))
        engine.stream_chat(history[:-2], greedy, session="window").run()  # turn N-1
        if between:
            engine.stream_chat(api, greedy).run()  # an API request: no session
        m = engine.stream_chat(history, greedy, session="window").run()
        assert m.ttft_ms is not None
        results.append((label, m.ttft_ms, m.prompt_eval_tokens, m.prompt_tokens))
        engine.unload()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokens", type=int, default=16)
    ap.add_argument("--clients", default="1,8,32")
    ap.add_argument("--child")
    ap.add_argument("--model-id")
    ap.add_argument("--n", type=int)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(clients(a.child, a.model_id, a.n, a.tokens)))
        return
    from chatapp.api.running import ApiServer
    from chatapp.api.server import ServerOptions
    from chatapp.core.config.settings import GenerationSettings, LoadSettings
    from chatapp.core.inference.engine import Engine

    model = real_model()
    counts = [int(c) for c in a.clients.split(",")]
    lines = []
    engine = Engine()
    engine.load(model, LoadSettings(n_ctx=2048))
    ours = ApiServer(
        engine,
        ServerOptions(api_key=KEY, defaults=lambda: GenerationSettings(temperature=0.0)),
        port=free_port(),
    )
    ours.start()
    for n in counts:
        lines.append(row("ours (line of 8, then 429)", n, load(ours.url, model.stem, n, a.tokens)))
    worst, p99, ticks = gui_stall(ours.url, model.stem, max(counts), a.tokens)
    ours.stop()
    engine.unload()
    port = free_port()
    raw = subprocess.Popen(
        [
            *(sys.executable, "-m", "llama_cpp.server", "--model", str(model)),
            *("--n_ctx", "2048", "--host", "127.0.0.1", "--port", str(port), "--api_key", KEY),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import urllib.request

        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(600):
            try:
                req = urllib.request.Request(
                    f"{url}/models", headers={"Authorization": f"Bearer {KEY}"}
                )
                served = json.load(urllib.request.urlopen(req, timeout=1))["data"][0]["id"]
                break
            except OSError:
                time.sleep(0.1)
        for n in counts:
            lines.append(row("raw llama_cpp.server", n, load(url, served, n, a.tokens)))
    finally:
        raw.terminate()
        raw.wait(30)
    print(f"{model.name}, {os.cpu_count()} cores, {a.tokens} tokens a reply, greedy")
    print(
        f"{'server':<28} {'clients':>7} {'answered':>8} {'empty':>6} {'refused':>7} {'errors':>6} "
        f"{'first tok':>11} {'worst':>10} {'tok/s':>8}"
    )
    print("\n".join(lines))
    print(
        f"\nGUI thread of the serving process, {max(counts)} clients: worst gap {worst:.1f} ms, "
        f"99th percentile {p99:.1f} ms ({ticks} ticks of a 5 ms timer)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        head = "the window's turn N"
        print(f"\n{head:<44} {'first token':>12} {'evaluated':>9} {'prompt':>7}")
        for label, ttft, evaluated, prompt in reuse(model, Path(tmp)):
            print(f"{label:<44} {ttft:>9.0f} ms {evaluated:>9} {prompt:>7}")


if __name__ == "__main__":
    main()
