"""End to end on a real chat model (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M), greedy decoding."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.backend import PromptProgress, TextDelta
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine
from chatapp.core.inference.metrics import StopReason

GREEDY = GenerationSettings(temperature=0.0, max_tokens=64, seed=1)
QUESTION: list[ChatMessage] = [
    {"role": "system", "content": "You answer in one short sentence."},
    {"role": "user", "content": "What is the capital of France?"},
]


@pytest.fixture(scope="module")
def qwen(real_model: Path) -> Engine:
    e = Engine()
    e.load(real_model, LoadSettings(n_ctx=4096, n_batch=2048))
    yield e
    e.unload()


def test_a_factual_answer_ends_by_itself_and_turn_two_reads_only_the_new_turn(
    qwen: Engine,
) -> None:
    first = qwen.stream_chat(QUESTION, GREEDY)
    m1 = first.run()
    assert "Paris" in first.text
    assert m1.stop_reason == StopReason.END_OF_TURN
    assert m1.completion_tokens < 40
    turn2: list[ChatMessage] = [
        *QUESTION,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "What is the capital of Germany?"},
    ]
    second = qwen.stream_chat(turn2, GREEDY)
    m2 = second.run()
    assert "Berlin" in second.text and m2.stop_reason == StopReason.END_OF_TURN
    # everything up to the end of the first reply was cached: only the new turn is evaluated
    assert m2.prompt_eval_tokens == m2.prompt_tokens - m1.prompt_tokens - m1.completion_tokens
    assert m2.prompt_eval_tokens < 25


def test_stop_during_a_long_prompt_stops_inside_the_batch(qwen: Engine) -> None:
    long_question: list[ChatMessage] = [
        {"role": "user", "content": "Summarise this log:\n" + "INFO all systems nominal\n" * 120}
    ]
    stop = threading.Event()
    reply = qwen.stream_chat(long_question, GREEDY, cancel=stop)
    progress: list[PromptProgress] = []
    for event in reply.events():
        if isinstance(event, PromptProgress):
            progress.append(event)
            if event.done == 0:  # the whole prompt is one batch: stop while it is read
                threading.Timer(0.1, stop.set).start()
        assert not isinstance(event, TextDelta)
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.CANCELLED
    assert reply.metrics.ttft_ms is None
    # the batch never completed (no progress past 0), so nothing of it was kept in the cache
    assert [p.done for p in progress] == [0] and progress[0].total > 500
    again = qwen.stream_chat(long_question, GenerationSettings(temperature=0.0, max_tokens=1))
    assert again.run().prompt_eval_tokens == progress[0].total


def test_a_greedy_reply_is_the_one_raw_llama_cpp_python_gives(real_model: Path) -> None:
    import llama_cpp

    raw = llama_cpp.Llama(model_path=str(real_model), n_ctx=4096, n_batch=512, verbose=False)
    expected = raw.create_chat_completion(
        QUESTION, max_tokens=64, temperature=0.0, seed=1, repeat_penalty=1.1
    )["choices"][0]["message"]["content"]
    raw.close()
    ours = Engine()
    ours.load(real_model, LoadSettings(n_ctx=4096, n_batch=512))
    reply = ours.stream_chat(QUESTION, GREEDY)
    reply.run()
    ours.unload()
    assert reply.text == expected


def test_ctrl_c_while_chatapp_chat_reads_a_long_prompt_stops_it_at_once(
    real_model: Path, tmp_path: Path
) -> None:
    import signal
    import subprocess
    import sys
    import threading
    import time

    prompt = "Summarise this log:\n" + "WARN disk 93% full on /var, rotating logs\n" * 400
    cmd = [sys.executable, "-m", "chatapp", "chat", "-v", "--data-dir", str(tmp_path)]
    cmd += ["--model", str(real_model), "--ctx", "8192", "-"]
    lines: list[str] = []
    loaded = threading.Event()
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        stderr = proc.stderr

        def read() -> None:
            for line in stderr:
                lines.append(line)
                if line.startswith("INFO chatapp: ") and "loaded in" in line:
                    loaded.set()  # the load report: the prompt is read next

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        proc.stdin.write(prompt)
        proc.stdin.close()
        try:
            # No output comes while the prompt (~6,000 tokens, many seconds here) is read: wait
            # for the load report, then give llama.cpp a moment inside the prompt's first batch.
            assert loaded.wait(120), "".join(lines)[-3000:]
            time.sleep(0.5)
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            took = time.monotonic() - sent
        finally:
            proc.kill()
        reader.join(10)
        err = "".join(lines)
    assert proc.returncode == 130, err
    ours = [ln for ln in err.splitlines() if ln.startswith("chatapp: ")]  # not -v's log lines
    assert ours == ["chatapp: interrupted"], err[-3000:]
    assert "Exception ignored" not in err and "Traceback" not in err
    assert took < 3.0, took  # the batch stopped between graph nodes, not at its end


def test_a_reopened_conversation_reads_only_the_new_turn_and_answers_the_same(
    qwen: Engine, real_model: Path, tmp_path: Path
) -> None:
    """Instant reopen on the real model: a new engine (as after a restart) loads the state the
    first one saved and answers turn two exactly as the engine that never stopped."""
    from chatapp.core.inference.kvstate import StateCache

    load = LoadSettings(n_ctx=4096, n_batch=2048)
    first_run = Engine(StateCache(tmp_path / "states"))
    first_run.load(real_model, load)
    first = first_run.stream_chat(QUESTION, GREEDY, session="paris")
    first.run()
    first_run.unload()
    turn2: list[ChatMessage] = [
        *QUESTION,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "And of Germany?"},
    ]
    expected = qwen.stream_chat(QUESTION, GREEDY)  # the engine that never stopped
    expected.run()
    kept = qwen.stream_chat(turn2, GREEDY)
    kept.run()
    reopened_run = Engine(StateCache(tmp_path / "states"))
    reopened_run.load(real_model, load)
    reopened = reopened_run.stream_chat(turn2, GREEDY, session="paris")
    m = reopened.run()
    assert reopened.text == kept.text and "Berlin" in reopened.text
    assert kept.metrics is not None and m.prompt_eval_tokens == kept.metrics.prompt_eval_tokens
    assert m.restored_tokens == m.prompt_tokens - m.prompt_eval_tokens > 20
    reopened_run.unload()


def test_a_chat_that_outgrows_a_small_context_is_answered_from_the_models_summary(
    real_model: Path, tmp_path: Path
) -> None:
    from chatapp.core.chat.service import ChatService
    from chatapp.core.config.settings import OverflowPolicy
    from chatapp.core.storage.store import Store

    settings = GenerationSettings(
        temperature=0.0, max_tokens=120, seed=1, overflow=OverflowPolicy.SUMMARISE
    )
    filler = "(I am writing a long message so that the context fills up quickly.) " * 2
    facts = [
        "My name is Ada and I live in Lisbon.",
        "I have a cat called Pixel.",
        "I'm planning a trip to Kyoto in April.",
        "My budget is 2,000 euros.",
        "I prefer trains to planes.",
        "I am allergic to peanuts.",
    ]
    e = Engine()
    e.load(real_model, LoadSettings(n_ctx=512))
    try:
        with Store.open_dir(tmp_path) as store:
            chats = ChatService(store, lambda: settings)
            conv = None
            for fact in facts:
                conv, msg = chats.send(
                    conv, f"{fact} Please acknowledge in one short sentence. {filler}", model="q"
                )
                list(chats.reply(e, conv.id, msg.id))
            assert conv is not None
            summaries = [m.summary for m in store.thread(conv.id) if m.summary is not None]
            assert len(summaries) == 1  # written once, when the chat stopped fitting
            text = summaries[0].text
            assert "Ada" in text and "Lisbon" in text  # the first facts, in the model's words
            reply = store.thread(conv.id)[-1]
            assert reply.metrics is not None and reply.metrics.dropped_turns == 0
            assert reply.metrics.prompt_tokens < 300  # the summary, not the whole chat
    finally:
        e.unload()
