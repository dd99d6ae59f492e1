"""Raw llama-cpp-python vs chatapp's engine on the same model, settings and prompts.

Builds (once, cached in benchmarks/out/) a synthetic llama model of realistic shape — about 0.4B
parameters, 32k vocabulary — writes it in F16 with the ``gguf`` package and quantizes it to
Q4_K_M with llama.cpp's own quantizer, then prints one table:

    time to first token, decode tokens/s, and prompt tokens evaluated on turn 2

for ``Llama.create_chat_completion(stream=True)`` (raw) and ``Engine.stream_chat`` (ours).
Runs alternate raw/ours and report medians. Usage: ``python benchmarks/bench_engine.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import llama_cpp

from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.engine import Engine, build_info, model_params, prompt_tokens_evaluated
from chatapp.core.models.synthetic import ModelShape, quantize, write_chat_model

OUT = Path(__file__).resolve().parent / "out"
SHAPE = ModelShape(
    n_embd=1024,
    n_layer=24,
    n_head=16,
    n_head_kv=4,
    n_ff=4096,
    context_length=8192,
    extra_vocab=31_700,
)
TURN1 = [
    {"role": "system", "content": "You are a helpful assistant. Answer briefly and precisely."},
    {"role": "user", "content": "Explain in a few sentences how a hash map handles collisions."},
]


def build_model(quick: bool) -> Path:
    OUT.mkdir(exist_ok=True)
    shape = (
        ModelShape(n_embd=256, n_layer=4, n_head=4, n_head_kv=2, n_ff=1024, extra_vocab=4000)
        if quick
        else SHAPE
    )
    tag = "quick" if quick else "0.4b"
    q4 = OUT / f"synthetic-{tag}-Q4_K_M.gguf"
    if q4.exists():
        return q4
    f16 = OUT / f"synthetic-{tag}-F16.gguf"
    print(f"writing {f16.name} ...", file=sys.stderr)
    import numpy as np

    write_chat_model(f16, shape=shape, name=f"Synthetic {tag}", dtype=np.float16)
    print(f"quantizing to {q4.name} ...", file=sys.stderr)
    quantize(f16, q4, "Q4_K_M")
    f16.unlink()
    return q4


def run_raw(
    llm: llama_cpp.Llama, messages: list[dict[str, str]], n: int
) -> tuple[float, float, int, str]:
    llama_cpp.llama_perf_context_reset(llm.ctx)
    t0 = time.perf_counter()
    first = last = 0.0
    count, text, evaluated = 0, "", 0
    for chunk in llm.create_chat_completion(
        messages,
        stream=True,
        max_tokens=n,
        seed=1,
        temperature=0.8,
        top_p=0.95,
        top_k=40,
        min_p=0.05,
        repeat_penalty=1.1,
    ):
        piece = chunk["choices"][0]["delta"].get("content")  # type: ignore[index, union-attr]
        if not piece:
            continue
        now = time.perf_counter()
        if count == 0:
            first = now
            evaluated = prompt_tokens_evaluated(llm)
        count += 1
        last = now
        text += piece
    return (first - t0) * 1000, (count - 1) / (last - first), evaluated, text


def run_ours(
    engine: Engine, messages: list[dict[str, str]], n: int
) -> tuple[float, float, int, str]:
    reply = engine.stream_chat(messages, GenerationSettings(max_tokens=n, seed=1))  # type: ignore[arg-type]
    m = reply.run()
    return m.ttft_ms, m.decode_tps, m.prompt_eval_tokens, reply.text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="tiny model, for a smoke run")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    path = build_model(args.quick)
    threads = os.cpu_count() or 2
    load = LoadSettings(n_ctx=2048, n_threads=threads, n_gpu_layers=0)

    # Same model parameters for both (see BuildInfo.safe_extra_buffer_types).
    with model_params(None, build_info().safe_extra_buffer_types):
        raw = llama_cpp.Llama(
            str(path),
            n_ctx=2048,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=0,
            verbose=False,
        )
    engine = Engine()
    loaded = engine.load(path, load)
    results: dict[str, dict[str, list[float]]] = {"raw": {}, "ours": {}}
    for _ in range(args.reps):
        for name in ("raw", "ours"):
            runner = run_raw if name == "raw" else run_ours
            target = raw if name == "raw" else engine
            # turn 1 from a cold cache, then turn 2 on top of it
            if name == "raw":
                raw.reset()
            else:
                engine.load(path, load)
            ttft, tps, _, text = runner(target, TURN1, args.tokens)  # type: ignore[arg-type]
            turn2 = [
                *TURN1,
                {"role": "assistant", "content": text},
                {"role": "user", "content": "And how does resizing work?"},
            ]
            ttft2, tps2, evaluated2, _ = runner(target, turn2, args.tokens)  # type: ignore[arg-type]
            r = results[name]
            for key, val in (
                ("ttft", ttft),
                ("tps", tps),
                ("ttft2", ttft2),
                ("tps2", tps2),
                ("eval2", evaluated2),
            ):
                r.setdefault(key, []).append(val)
    med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in results.items()}
    print(
        f"model: {loaded.info.name}, {loaded.info.parameters_label} params, "
        f"{loaded.info.quantization}, {path.stat().st_size / 1e6:.0f} MB; "
        f"backend {build_info().backend}; {threads} threads; {platform.machine()}; "
        f"{args.tokens} tokens per reply, median of {args.reps}"
    )
    print()
    head = ("measure", "raw llama-cpp-python", "chatapp engine", "ours/raw")
    print(f"| {head[0]:<32} | {head[1]:>20} | {head[2]:>14} | {head[3]:>8} |")
    print(f"|{'-' * 34}|{'-' * 22}|{'-' * 16}|{'-' * 10}|")
    rows = [
        ("time to first token, turn 1 (ms)", "ttft"),
        ("decode tokens/s, turn 1", "tps"),
        ("time to first token, turn 2 (ms)", "ttft2"),
        ("decode tokens/s, turn 2", "tps2"),
        ("prompt tokens evaluated, turn 2", "eval2"),
    ]
    for label, key in rows:
        a, b = med["raw"][key], med["ours"][key]
        print(f"| {label:<32} | {a:>20.1f} | {b:>14.1f} | {b / a:>8.3f} |")
    print()
    print(
        f"engine TTFT overhead, turn 1: {med['ours']['ttft'] - med['raw']['ttft']:+.1f} ms; "
        f"turn 2: {med['ours']['ttft2'] - med['raw']['ttft2']:+.1f} ms"
    )


if __name__ == "__main__":
    main()
