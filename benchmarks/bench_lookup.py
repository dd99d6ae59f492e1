"""Prompt lookup decoding on vs off, on the real model, per kind of prompt.

Loads Qwen2.5-Coder-0.5B-Instruct Q4_K_M (``$CHATAPP_REAL_MODEL``, else the one
``../shared/models/fetch-real-model`` prints) twice through ``Engine.load``, with
``LoadSettings(prompt_lookup=...)`` off and on, and asks each the same prompts greedily for
256 tokens with the default thread count. Prompts come in kinds: replies that repeat their
input (renaming a variable, refactoring, quoting from a text) and ordinary chat. Runs alternate
off/on; the table gives the median decode tokens/s of each and whether the replies were the
same (greedy speculative decoding changes a reply only where batched
kernels round differently and two tokens are nearly tied).

Usage: ``python benchmarks/bench_lookup.py [--runs N] [--tokens N] [--lookup-tokens N]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

from realmodel import real_model

from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine, build_info

ROOT = Path(__file__).resolve().parents[1]

CODE = """def total_price(items, tax_rate):
    x = 0
    for item in items:
        if item.quantity <= 0:
            continue
        x += item.price * item.quantity
    discount = 0.1 * x if x > 100 else 0
    x = x - discount
    return round(x * (1 + tax_rate), 2)


def cheapest(items):
    best = None
    for item in items:
        if best is None or item.price < best.price:
            best = item
    return best
"""

TEXT = (
    "The committee met on Tuesday to review the budget for the new library. The treasurer "
    "reported that construction costs had risen by twelve percent since the spring, mostly "
    "because of the price of steel and the delay in delivering the roof panels. Two members "
    "proposed postponing the reading garden until next year; the chair argued that the garden "
    "was the part of the plan the neighbourhood had asked for most. After a long discussion the "
    "committee agreed to keep the garden, to ask the city for a second grant, and to publish "
    "the revised budget on the library's website before the end of the month."
)

PROMPTS: dict[str, list[str]] = {
    "code edit": [
        f"Rename the variable x to subtotal in this code and show the whole code:\n\n{CODE}",
        "Add type hints to every function in this code and show the whole code:\n\n" + CODE,
    ],
    "refactor": [
        "Refactor total_price to use sum() with a generator expression; show the whole file:"
        f"\n\n{CODE}",
    ],
    "quote": [
        "Summarise this text, quoting its key sentences word for word:\n\n" + TEXT,
    ],
    "chat": [
        "Explain how a hash map handles collisions.",
        "What are three good habits for writing readable Python?",
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="runs of each prompt, off and on")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--lookup-tokens", type=int, default=LoadSettings().lookup_tokens)
    ap.add_argument("--kinds", nargs="*", default=list(PROMPTS))
    args = ap.parse_args()
    model = real_model()
    gen = GenerationSettings(temperature=0.0, max_tokens=args.tokens, seed=1)
    engines = {}
    for on in (False, True):
        e = Engine()
        load = LoadSettings(n_ctx=4096, prompt_lookup=on, lookup_tokens=args.lookup_tokens)
        print(e.load(model, load).describe(), file=sys.stderr)
        engines[on] = e
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, llama.cpp {build_info().backend}, "
        f"greedy, {args.tokens} tokens, {args.lookup_tokens} lookup tokens, median of "
        f"{args.runs} run(s) per prompt",
        file=sys.stderr,
    )
    rows = []
    for kind in args.kinds:
        tps: dict[bool, list[float]] = {False: [], True: []}
        out_tokens: dict[bool, list[int]] = {False: [], True: []}
        same = True
        for prompt in PROMPTS[kind]:
            messages: list[ChatMessage] = [{"role": "user", "content": prompt}]
            texts: dict[bool, str] = {}
            for _ in range(args.runs):
                for on in (False, True):
                    reply = engines[on].stream_chat(messages, gen)
                    metrics = reply.run()
                    tps[on].append(metrics.decode_tps)
                    out_tokens[on].append(metrics.completion_tokens)
                    if on in texts and texts[on] != reply.text:
                        print(f"  {kind}: run-to-run difference with lookup={on}", file=sys.stderr)
                    texts[on] = reply.text
            same = same and texts[False] == texts[True]
            print(
                f"  {kind}: off {statistics.median(tps[False][-args.runs :]):.1f} tok/s, "
                f"on {statistics.median(tps[True][-args.runs :]):.1f} tok/s",
                file=sys.stderr,
            )
        off, on_ = statistics.median(tps[False]), statistics.median(tps[True])
        rows.append((kind, len(PROMPTS[kind]), off, on_, on_ / off, same))
    print(f"{'kind':<10} {'prompts':>7} {'off tok/s':>10} {'on tok/s':>9} {'on/off':>7}  same")
    for kind, n, off, on_, ratio, same in rows:
        alike = "yes" if same else "NO"
        print(f"{kind:<10} {n:>7} {off:>10.1f} {on_:>9.1f} {ratio:>6.2f}x  {alike}")


if __name__ == "__main__":
    main()
