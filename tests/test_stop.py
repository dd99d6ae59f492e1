"""Stop works wherever the reply is: queued, reading the prompt, or writing; prompt progress."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chatapp.core.chat.conversation import reply_to
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.backend import Finished, PromptProgress, TextDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.metrics import StopReason
from chatapp.core.storage.store import Store

HELLO: list[ChatMessage] = [{"role": "user", "content": "hello there"}]
SEEDED = GenerationSettings(max_tokens=12, seed=5)


def _history(turns: int, topic: str) -> list[ChatMessage]:
    """A long conversation; a new ``topic`` shares no cached prefix with the others."""
    out: list[ChatMessage] = [{"role": "system", "content": f"We talk about {topic}."}]
    for i in range(turns):
        out.append({"role": "user", "content": f"question {i}: " + "words " * 10})
        out.append({"role": "assistant", "content": f"answer {i}: " + "more " * 10})
    out.append({"role": "user", "content": "and now?"})
    return out


@pytest.fixture(scope="module")
def small_batches(tiny_model: Path) -> Engine:
    """The prompt goes to llama.cpp 64 tokens at a time, so a long one takes several batches."""
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=4096, n_batch=64))
    return e


def test_stop_before_the_first_token_is_not_lost(small_batches: Engine) -> None:
    expected = small_batches.stream_chat(HELLO, SEEDED).run()
    stop = threading.Event()
    stop.set()  # pressed between Send and the request reaching the engine
    reply = small_batches.stream_chat(HELLO, SEEDED, cancel=stop)
    metrics = reply.run()
    assert (reply.text, metrics.completion_tokens) == ("", 0)
    assert metrics.stop_reason == StopReason.CANCELLED
    assert metrics.ttft_ms is None  # no first token, no time to it
    assert "first token" not in metrics.summary() and "tok/s" not in metrics.summary()
    assert "first token" not in metrics.footer() and "tok/s" not in metrics.footer()
    # the next reply is unaffected: the same text as before with the same seed
    again = small_batches.stream_chat(HELLO, SEEDED)
    assert again.run().completion_tokens == expected.completion_tokens
    fresh = small_batches.stream_chat(HELLO, SEEDED)
    fresh.run()
    assert fresh.text == again.text


def test_engine_cancel_reaches_a_reply_not_started_yet(small_batches: Engine) -> None:
    reply = small_batches.stream_chat(HELLO, GenerationSettings(max_tokens=500, seed=1))
    small_batches.cancel()  # Stop pressed while the request is queued
    assert reply.run().completion_tokens == 0
    assert small_batches.stream_chat(HELLO, SEEDED).run().completion_tokens == 12


def test_a_long_prompt_reports_progress_batch_by_batch(small_batches: Engine) -> None:
    reply = small_batches.stream_chat(
        _history(6, "progress"), GenerationSettings(max_tokens=3, seed=1)
    )
    events = list(reply.events())
    progress = [e for e in events if isinstance(e, PromptProgress)]
    total = progress[0].total
    assert total > 5 * 64
    assert progress[0].done == 0  # shown before the first batch, not after it
    assert [p.done for p in progress[1:]] == [*range(64, total, 64), total]
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(isinstance(e, PromptProgress) for e in events[: len(progress)])
    assert first_text >= len(progress)
    assert isinstance(events[-1], Finished) and events[-1].metrics.completion_tokens == 3
    assert events[-1].metrics.prompt_eval_tokens == total


def test_stop_between_prompt_batches_keeps_the_cache_sound(
    small_batches: Engine, tiny_model: Path
) -> None:
    history = _history(6, "stopping")
    stop = threading.Event()
    reply = small_batches.stream_chat(history, SEEDED, cancel=stop)
    seen = []
    for event in reply.events():
        seen.append(event)
        if isinstance(event, PromptProgress) and event.done == 128:
            stop.set()
    first = seen[0]
    assert isinstance(first, PromptProgress) and first.total > 128
    assert not any(isinstance(e, TextDelta) for e in seen)
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.CANCELLED
    # Asked again, the two batches read before Stop are re-used, and the reply is the one a
    # freshly loaded model gives: the cache holds exactly what was evaluated.
    again = small_batches.stream_chat(history, SEEDED)
    metrics = again.run()
    assert metrics.prompt_eval_tokens == first.total - 128
    cold = Engine()
    cold.load(tiny_model, LoadSettings(n_ctx=4096, n_batch=64))
    fresh = cold.stream_chat(history, SEEDED)
    fresh.run()
    cold.unload()
    assert fresh.text == again.text


def test_a_reply_stopped_before_its_first_token_is_saved_without_speeds(
    tmp_path: Path, small_batches: Engine
) -> None:
    with Store.open_dir(tmp_path) as store:
        conv = store.create_conversation(model="tiny")
        user = store.add_message(conv.id, "user", "hello there")
        stop = threading.Event()
        stop.set()
        events = list(reply_to(store, small_batches, conv.id, user, SEEDED, cancel=stop))
        assert isinstance(events[-1], Finished)
        saved = store.thread(conv.id)[-1]
    assert saved.role == "assistant" and saved.content == ""
    assert saved.metrics is not None and saved.metrics.ttft_ms is None
    assert saved.metrics.footer() == "0 tokens · stopped: cancelled"


def test_one_token_reply_shows_no_speed(small_batches: Engine) -> None:
    metrics = small_batches.stream_chat(HELLO, GenerationSettings(max_tokens=1, seed=1)).run()
    assert metrics.completion_tokens == 1 and metrics.ttft_ms is not None
    assert "tok/s" not in metrics.footer() and "first token" in metrics.footer()
