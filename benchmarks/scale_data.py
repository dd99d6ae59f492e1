"""A history at real scale for the benchmarks: 100,000 messages, the newest chat 5,000 long.

The text is English-like (common words carry most of it, as in real chats), with Markdown and
code blocks in some replies, so that full-text search and rendering see realistic input.
Deterministic for a given seed. Usage: ``python benchmarks/scale_data.py DIR``.
"""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chatapp.core.inference.metrics import ReplyMetrics, StopReason
from chatapp.core.storage.store import Conversation, Message, Store

DONE = ReplyMetrics(
    prompt_tokens=900,
    prompt_eval_tokens=60,
    completion_tokens=120,
    ttft_ms=180.0,
    decode_tps=31.5,
    stop_reason=StopReason.END_OF_TURN,
)

COMMON = [
    "the",
    "model",
    "is",
    "a",
    "of",
    "and",
    "to",
    "in",
    "that",
    "it",
    "for",
    "you",
    "with",
    "this",
    "can",
    "on",
    "be",
    "as",
    "are",
    "not",
    "or",
    "your",
    "have",
    "if",
    "what",
    "how",
    "will",
    "use",
    "one",
    "python",
    "code",
    "function",
    "file",
    "data",
    "error",
    "time",
    "like",
    "just",
    "need",
    "make",
    "but",
    "more",
    "about",
    "should",
    "which",
    "when",
    "run",
    "value",
    "list",
    "string",
    "return",
    "test",
]


def _words(rng: random.Random, rare: list[str], n: int) -> str:
    return " ".join(
        rng.choice(COMMON) if rng.random() < 0.7 else rng.choice(rare) for _ in range(n)
    )


def _reply(rng: random.Random, rare: list[str]) -> str:
    parts = [_words(rng, rare, rng.randint(20, 80)).capitalize() + "."]
    if rng.random() < 0.3:
        parts.append("```python\ndef f(x):\n    return x * 2  # " + _words(rng, rare, 6) + "\n```")
    if rng.random() < 0.3:
        parts.append("\n".join(f"- {_words(rng, rare, 8)}" for _ in range(3)))
    return "\n\n".join(parts)


def make_history(
    data_dir: Path, total: int = 100_000, newest: int = 5_000, per_chat: int = 100, seed: int = 1
) -> tuple[Store, str]:
    """Fill a new store in ``data_dir``; return it and the id of the newest (longest) chat."""
    rng = random.Random(seed)
    rare = [uuid.UUID(int=rng.getrandbits(128)).hex[: rng.randint(4, 9)] for _ in range(5000)]
    store = Store.open_dir(data_dir)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = iter(range(10**9))

    def stamp() -> str:
        return (start + timedelta(seconds=next(clock))).isoformat(timespec="milliseconds")

    sizes = [per_chat] * ((total - newest) // per_chat) + [newest]
    batch: list[tuple[Conversation, list[Message]]] = []
    newest_id = ""
    for i, size in enumerate(sizes):
        conv_id = str(uuid.UUID(int=rng.getrandbits(128)))
        msgs: list[Message] = []
        parent = None
        for k in range(size):
            role = "user" if k % 2 == 0 else "assistant"
            text = (
                _words(rng, rare, rng.randint(5, 30)) + "?" if role == "user" else _reply(rng, rare)
            )
            m = Message(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                conversation_id=conv_id,
                parent_id=parent,
                role=role,
                content=text,
                created_at=stamp(),
                metrics=DONE if role == "assistant" else None,
            )
            msgs.append(m)
            parent = m.id
        when = stamp()
        conv = Conversation(
            id=conv_id,
            title=f"Chat {i}: " + _words(rng, rare, 4),
            created_at=msgs[0].created_at,
            updated_at=when,
            current_leaf_id=parent,
        )
        batch.append((conv, msgs))
        newest_id = conv_id
        if sum(len(m) for _, m in batch) >= 10_000:
            store.import_conversations(batch)
            batch = []
    if batch:
        store.import_conversations(batch)
    return store, newest_id


if __name__ == "__main__":
    made, conv = make_history(Path(sys.argv[1]))
    made.close()
    print(conv)
