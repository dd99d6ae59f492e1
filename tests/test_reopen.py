"""Instant reopen: a conversation's llama.cpp state saved after each reply and loaded back.

Real llama.cpp on generated models, real files. A reopened conversation must evaluate only the
tokens after its saved state and reply exactly as the process that never stopped would; a state
that is damaged, cut short, or made for another model or llama.cpp build must cost only time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.chat.service import ChatService
from chatapp.core.config.settings import GenerationSettings, LoadSettings
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import Engine, Reply
from chatapp.core.inference.kvstate import SUFFIX, StateCache, StateKey, _parse
from chatapp.core.storage.store import Store
from tests.helpers import MakeWindow, conversation_id, run_cli, send

GREEDY = GenerationSettings(temperature=0.0, max_tokens=12, seed=1)
LOAD = LoadSettings(n_ctx=1024)
TURN_1: list[ChatMessage] = [
    {"role": "system", "content": "You answer in one line."},
    {"role": "user", "content": "What is the tallest mountain in the Alps, and how tall is it?"},
]


def _reply(engine: Engine, messages: list[ChatMessage], session: str | None = "conv1") -> Reply:
    reply = engine.stream_chat(messages, GREEDY, session=session)
    reply.run()
    return reply


def _turn_2(first: str) -> list[ChatMessage]:
    return [
        *TURN_1,
        {"role": "assistant", "content": first},
        {"role": "user", "content": "And the second tallest?"},
    ]


@pytest.fixture(scope="module")
def reference(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One process that never stops: turn 1, the state saved after it, then turn 2."""
    saved = tmp_path_factory.mktemp("states")
    after_turn_1 = tmp_path_factory.mktemp("after-turn-1")
    engine = Engine(StateCache(saved))
    engine.load(tiny_model, LOAD)
    first = _reply(engine, TURN_1)
    for f in saved.iterdir():
        shutil.copy2(f, after_turn_1 / f.name)
    second = _reply(engine, _turn_2(first.text))
    cold = Engine()
    cold.load(tiny_model, LOAD)
    recomputed = _reply(cold, _turn_2(first.text), session=None)
    assert second.metrics is not None and recomputed.metrics is not None
    return {
        "first": first.text,
        "second": second.text,
        "evaluated": second.metrics.prompt_eval_tokens,
        "prompt": second.metrics.prompt_tokens,
        "recomputed": recomputed.text,
        "states": after_turn_1,
    }


def _states(reference: dict[str, object], tmp_path: Path) -> Path:
    """A copy of the states as they were after turn 1, as a new process finds them."""
    directory = tmp_path / "states"
    shutil.copytree(str(reference["states"]), directory)
    return directory


def _only_state(directory: Path) -> Path:
    (path,) = directory.glob(f"*{SUFFIX}")
    return path


def test_a_new_engine_evaluates_only_the_new_tokens_and_replies_the_same(
    reference: dict[str, object], tiny_model: Path, tmp_path: Path
) -> None:
    engine = Engine(StateCache(_states(reference, tmp_path)))
    engine.load(tiny_model, LOAD)
    reopened = _reply(engine, _turn_2(str(reference["first"])))
    m = reopened.metrics
    assert m is not None
    # exactly what the process that never stopped evaluated: the new user turn
    assert m.prompt_eval_tokens == reference["evaluated"]
    assert m.prompt_eval_tokens < m.prompt_tokens // 2
    assert m.restored_tokens == m.prompt_tokens - m.prompt_eval_tokens
    assert "reopened from disk" in m.summary()
    assert reopened.text == reference["second"]


def test_without_a_session_or_a_cache_nothing_is_saved(tiny_model: Path, tmp_path: Path) -> None:
    engine = Engine(StateCache(tmp_path / "on"))
    engine.load(tiny_model, LOAD)
    _reply(engine, TURN_1, session=None)
    off = Engine(StateCache(tmp_path / "off", cap_bytes=0))  # Preferences: Reopen cache off
    off.load(tiny_model, LOAD)
    _reply(off, TURN_1)
    assert not (tmp_path / "on").exists() and not (tmp_path / "off").exists()


def _assert_recomputed_and_replaced(
    engine: Engine, reference: dict[str, object], directory: Path, old: bytes
) -> None:
    reply = _reply(engine, _turn_2(str(reference["first"])))
    assert reply.metrics is not None
    assert reply.metrics.restored_tokens == 0
    assert reply.metrics.prompt_eval_tokens == reference["prompt"]  # evaluated from the start
    assert reply.text == reference["recomputed"]  # as if there had been no state at all
    assert _only_state(directory).read_bytes() != old  # a good state took its place


@pytest.mark.parametrize("damage", ["flipped byte", "cut short", "empty", "not ours"])
def test_a_damaged_state_is_discarded_and_the_prompt_evaluated(
    damage: str,
    reference: dict[str, object],
    tiny_model: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = _states(reference, tmp_path)
    path = _only_state(directory)
    data = bytearray(path.read_bytes())
    if damage == "flipped byte":
        data[len(data) * 2 // 3] ^= 0x40  # inside llama.cpp's KV data
    elif damage == "cut short":
        data = data[: len(data) // 2]
    elif damage == "empty":
        data = bytearray()
    else:
        data = bytearray(b"GGSQ" + bytes(data[4:]))  # llama.cpp's own format, not ours
    path.write_bytes(bytes(data))
    engine = Engine(StateCache(directory))
    engine.load(tiny_model, LOAD)
    _assert_recomputed_and_replaced(engine, reference, directory, bytes(data))
    assert "discarded the conversation state" in caplog.text


def test_a_state_of_another_model_is_discarded(
    reference: dict[str, object],
    tiny_model: Path,
    long_model: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = _states(reference, tmp_path)
    theirs = _only_state(directory)
    other = Engine(StateCache(directory))
    other.load(long_model, LOAD)
    assert other._state_key is not None
    # the tiny model's state under the name the other model's state would have
    ours = StateCache(directory).path("conv1", other._state_key)
    theirs.rename(ours)
    _assert_replies_as_a_cold_engine(other, long_model, reference)
    assert "made for another model" in caplog.text


def _assert_replies_as_a_cold_engine(
    engine: Engine, model: Path, reference: dict[str, object]
) -> None:
    cold = Engine()
    cold.load(model, LOAD)
    expected = _reply(cold, _turn_2(str(reference["first"])), session=None).text
    reply = _reply(engine, _turn_2(str(reference["first"])))
    assert reply.metrics is not None and reply.metrics.restored_tokens == 0
    assert reply.text == expected


def test_a_forged_state_of_another_shape_is_refused_by_llama_cpp(
    reference: dict[str, object],
    tiny_model: Path,
    long_model: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file whose header claims the right model but whose data is another model's."""
    directory = _states(reference, tmp_path)
    source = _only_state(directory)
    tiny = Engine()
    tiny.load(tiny_model, LOAD)
    assert tiny._state_key is not None
    saved = _parse(bytearray(source.read_bytes()), tiny._state_key, source)
    other = Engine(StateCache(directory))
    other.load(long_model, LOAD)
    assert other._state_key is not None
    cache = StateCache(directory)
    forged = cache.save(
        "conv1",
        other._state_key,
        saved.tokens,
        saved.data,
        text=saved.text,
        text_tokens=saved.text_tokens,
    )
    assert forged is not None
    source.unlink()
    _assert_replies_as_a_cold_engine(other, long_model, reference)
    assert "llama.cpp refused it" in caplog.text


def test_a_state_of_another_llama_cpp_build_is_discarded(
    reference: dict[str, object],
    tiny_model: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = _states(reference, tmp_path)
    path = _only_state(directory)
    engine = Engine(StateCache(directory))
    engine.load(tiny_model, LOAD)
    key = engine._state_key
    assert key is not None
    saved = _parse(bytearray(path.read_bytes()), key, path)
    older = StateKey(key.model, key.settings, "llama-cpp-python 0.2.90, state format 2")
    # what an older chatapp wrote, found where this build looks (as after a rename)
    StateCache(directory).save("conv1", older, saved.tokens, saved.data).rename(path)  # type: ignore[union-attr]
    old = path.read_bytes()
    _assert_recomputed_and_replaced(engine, reference, directory, old)
    assert "made for another runtime" in caplog.text


def test_other_load_settings_keep_their_own_state(
    reference: dict[str, object], tiny_model: Path, tmp_path: Path
) -> None:
    directory = _states(reference, tmp_path)
    before = _only_state(directory)
    engine = Engine(StateCache(directory))
    engine.load(tiny_model, LoadSettings(n_ctx=1024, flash_attn=True))
    reply = _reply(engine, _turn_2(str(reference["first"])))
    assert reply.metrics is not None and reply.metrics.restored_tokens == 0
    # both kept: loading without flash attention again still finds the first
    assert before.exists() and len(list(directory.glob(f"*{SUFFIX}"))) == 2


def test_the_cache_keeps_the_most_recently_used_within_its_cap(tmp_path: Path) -> None:
    key = StateKey("model", "settings", "runtime")
    one_kib = bytes(1024)
    cache = StateCache(tmp_path, cap_bytes=3 * 1024 + 900)  # room for three
    paths = {}
    for i, conv in enumerate(["a", "b", "c"]):
        paths[conv] = cache.save(conv, key, [1, 2, 3], one_kib)
        assert paths[conv] is not None
        import os

        os.utime(paths[conv], (1000 + i, 1000 + i))  # a, then b, then c
    assert cache.load("a", key) is not None  # a is now the most recently used
    cache.save("d", key, [1, 2, 3], one_kib)
    left = sorted(p.name.split("-")[0] for p in tmp_path.glob(f"*{SUFFIX}"))
    assert left == ["a", "c", "d"]  # b, the least recently used, went
    assert cache.usage()[0] == 3 and cache.usage()[1] <= cache.cap_bytes
    # a state bigger than the whole cap is not kept at all
    assert StateCache(tmp_path / "small", cap_bytes=512).save("e", key, [1], one_kib) is None


def test_deleting_a_conversation_deletes_its_states(tiny_model: Path, tmp_path: Path) -> None:
    states = StateCache(tmp_path / "states")
    engine = Engine(states)
    engine.load(tiny_model, LOAD)
    with Store.open_dir(tmp_path) as store:
        chats = ChatService(store, lambda: GREEDY, states=states)
        kept, user = chats.send(None, "keep this one", model="Tiny")
        gone, user2 = chats.send(None, "delete this one", model="Tiny")
        for conv, msg in ((kept, user), (gone, user2)):
            for _ in chats.reply(engine, conv.id, msg.id):
                pass
        assert len(list(states.directory.glob(f"*{SUFFIX}"))) == 2
        chats.delete_conversation(gone.id)
        (left,) = states.directory.glob(f"*{SUFFIX}")
        assert left.name.startswith(kept.id)


def test_continue_in_a_new_process_evaluates_only_the_new_turn(
    tiny_model: Path, tmp_path: Path
) -> None:
    args = (
        "--data-dir",
        tmp_path,
        "--model",
        tiny_model,
        "--max-tokens",
        "12",
        "--temperature",
        "0",
    )
    first = run_cli("chat", *args, "--system", "Be brief. " * 40, "first question")
    assert first.returncode == 0, first.stderr
    conv = conversation_id(first.stderr)
    assert list((tmp_path / "cache" / "states").glob(f"{conv}-*{SUFFIX}"))
    second = run_cli("chat", *args, "--continue", conv, "second question")
    assert second.returncode == 0, second.stderr
    with Store.open_dir(tmp_path) as store:
        reply = store.thread(conv)[-1]
    m = reply.metrics
    assert m is not None and m.restored_tokens > 200
    # only the new turn is evaluated; the rest came from the state the first process saved
    assert m.restored_tokens + m.prompt_eval_tokens == m.prompt_tokens
    assert m.prompt_eval_tokens < m.prompt_tokens // 10
    assert f"{m.restored_tokens} reopened from disk" in second.stderr


def test_the_window_reopens_a_conversation_after_a_restart(
    qtbot: QtBot, make_window: MakeWindow, tiny_model: Path, tmp_path: Path
) -> None:
    greedy = GenerationSettings(temperature=0.0, max_tokens=10, seed=1)
    first = make_window(tiny_model, generation=greedy)
    send(qtbot, first, "Tell me about the Alps. " * 20)
    assert first.current is not None
    conv = first.current.id
    first.close()
    assert list((tmp_path / "data" / "cache" / "states").glob(f"{conv}-*{SUFFIX}"))

    second = make_window(tiny_model, generation=greedy)
    second.open_conversation(conv)
    qtbot.waitUntil(lambda: second.current is not None and second.current.id == conv)
    reply_id = send(qtbot, second, "And the Pyrenees?")
    footer = second.chat_view.widgets[reply_id].meta.text()
    assert "reopened from disk" in footer
    with Store.open_dir(tmp_path / "data") as store:
        m = store.get_message(reply_id).metrics
    assert m is not None and m.restored_tokens > 100
    assert m.prompt_eval_tokens == m.prompt_tokens - m.restored_tokens


def test_a_reply_without_a_session_in_between_costs_a_reload_not_a_recompute(
    reference: dict[str, object], tiny_model: Path, tmp_path: Path
) -> None:
    """An API request between two turns of a window's conversation overwrites llama.cpp's
    cache; the conversation's next turn loads its saved state instead of evaluating it all."""
    engine = Engine(StateCache(tmp_path / "states"))
    engine.load(tiny_model, LOAD)
    assert _reply(engine, TURN_1).text == reference["first"]
    _reply(engine, [{"role": "user", "content": "an unrelated request " * 30}], session=None)
    reply = _reply(engine, _turn_2(str(reference["first"])))
    assert reply.metrics is not None
    assert reply.metrics.prompt_eval_tokens == reference["evaluated"]
    assert reply.text == reference["second"]
