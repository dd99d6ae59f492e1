"""A history at real scale for the benchmarks: 100,000 messages, the newest chat 5,000 long.

The text is English-like (common words carry most of it, as in real chats), with Markdown and
code blocks in some replies, so that full-text search and rendering see realistic input; with
``chinese`` > 0, that share of the conversations is in Chinese instead (common words, and rare
two-character ones of random Han characters, no spaces, an English term glued in at times).
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

# Chinese by rough frequency, as a chat about models would use it
_ZH_COMMON = (
    "的 是 在 了 和 有 我 你 这个 一个 可以 模型 语言 数据 训练 使用 如何 什么 问题 代码 "
    "函数 文件 错误 时间 需要 因为 所以 但是 如果 我们 就是 没有 进行 以及 方法 参数 结果 "
    "大型语言模型 神经网络 注意力 向量 输出 输入 推理 显存"
)
ZH_COMMON = _ZH_COMMON.split()
ZH_TERMS = ("Transformer", "Python", "GPU", "API", "token")


def _zh_words(rng: random.Random, rare: list[str], n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.03:
            out.append(rng.choice(ZH_TERMS))
        elif r < 0.7:
            out.append(rng.choice(ZH_COMMON))
        else:
            out.append(rng.choice(rare))
        if rng.random() < 0.08:
            out.append("，")
    return "".join(out)


def _zh_reply(rng: random.Random, rare: list[str]) -> str:
    parts = [_zh_words(rng, rare, rng.randint(20, 80)) + "。"]
    if rng.random() < 0.3:
        parts.append("\n".join(f"- {_zh_words(rng, rare, 8)}" for _ in range(3)))
    return "\n\n".join(parts)


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
    data_dir: Path,
    total: int = 100_000,
    newest: int = 5_000,
    per_chat: int = 100,
    seed: int = 1,
    chinese: float = 0.0,
) -> tuple[Store, str]:
    """Fill a new store in ``data_dir``; return it and the id of the newest (longest) chat.
    ``chinese``: the share of conversations in Chinese (their own random stream: the English
    ones are the same as without)."""
    rng = random.Random(seed)
    rare = [uuid.UUID(int=rng.getrandbits(128)).hex[: rng.randint(4, 9)] for _ in range(5000)]
    zh_rng = random.Random(seed + 1)
    zh_rare = [chr(zh_rng.randint(0x4E00, 0x9FA5)) + chr(zh_rng.randint(0x4E00, 0x9FA5))
               for _ in range(5000)]  # fmt: skip
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
        zh = chinese > 0 and zh_rng.random() < chinese
        for k in range(size):
            role = "user" if k % 2 == 0 else "assistant"
            if zh:
                text = (
                    _zh_words(zh_rng, zh_rare, zh_rng.randint(5, 30)) + "？"
                    if role == "user"
                    else _zh_reply(zh_rng, zh_rare)
                )
            else:
                text = (
                    _words(rng, rare, rng.randint(5, 30)) + "?"
                    if role == "user"
                    else _reply(rng, rare)
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
