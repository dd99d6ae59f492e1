"""The engine on real llama.cpp, with tiny generated GGUF models."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from chatapp.core.config.settings import (
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
    SettingsError,
)
from chatapp.core.inference.chat_template import ChatMessage
from chatapp.core.inference.engine import (
    ContextOverflowError,
    Engine,
    LoadCancelled,
    LoraAdapter,
    ModelFileError,
    ModelLoadError,
    NoModelError,
    TemplateError,
    build_info,
)
from chatapp.core.inference.metrics import StopReason
from chatapp.core.models.modelinfo import read_model_info
from chatapp.core.models.synthetic import ModelShape, write_lora_adapter

HELLO: list[ChatMessage] = [{"role": "user", "content": "hello there"}]


@pytest.fixture(scope="module")
def engine(tiny_model: Path) -> Engine:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=2048))
    return e


def test_load_reports_what_the_user_needs(tiny_model: Path, long_model: Path) -> None:
    e = Engine()
    m = e.load(tiny_model)
    assert m.info.name == "Tiny Test Chat"
    assert m.info.architecture == "llama"
    assert m.info.quantization == "F32"
    assert 100_000 < m.info.parameter_count < 120_000
    assert m.n_ctx == 4096  # the trained length, under the 8192 cap
    assert m.template_source == "from the file" and not m.system_folded
    build = build_info()
    assert m.gpu_offload_supported == build.gpu_offload
    if not build.gpu_offload:
        assert (m.backend, m.layers_offloaded, m.gpu_layers_requested) == ("CPU", 0, 0)
    assert "Tiny Test Chat" in m.describe() and "context 4096" in m.describe()
    assert e.load(long_model).n_ctx == 8192  # trained 32768, capped
    e.unload()
    assert e.model is None
    with pytest.raises(NoModelError):
        e.stream_chat(HELLO).run()


def test_reply_streams_in_pieces_and_is_reproducible_with_a_seed(engine: Engine) -> None:
    settings = GenerationSettings(max_tokens=40, seed=7)
    reply = engine.stream_chat(HELLO, settings)
    pieces = list(reply)
    assert len(pieces) > 5 and "".join(pieces) == reply.text
    assert reply.metrics is not None
    assert reply.metrics.completion_tokens == 40
    assert reply.metrics.stop_reason == StopReason.MAX_TOKENS
    assert reply.metrics.ttft_ms > 0 and reply.metrics.decode_tps > 0
    again = engine.stream_chat(HELLO, settings)
    again.run()
    assert again.text == reply.text
    other = engine.stream_chat(HELLO, settings.updated(seed=8))
    other.run()
    assert other.text != reply.text


def test_reply_ends_at_the_models_end_of_turn(eos_model: Path) -> None:
    e = Engine()
    e.load(eos_model)
    metrics = [
        e.stream_chat(HELLO, GenerationSettings(max_tokens=500, seed=s)).run() for s in (1, 2, 3)
    ]
    assert all(m.stop_reason == StopReason.END_OF_TURN for m in metrics)
    assert all(m.completion_tokens < 500 for m in metrics)


def test_stop_string_ends_the_reply_and_is_not_shown(engine: Engine) -> None:
    full = engine.stream_chat(HELLO, GenerationSettings(max_tokens=60, seed=3))
    full.run()
    word = full.text[10:14]  # a stop string that certainly appears, made of several tokens
    reply = engine.stream_chat(HELLO, GenerationSettings(max_tokens=60, seed=3, stop=(word,)))
    reply.run()
    assert reply.metrics is not None and reply.metrics.stop_reason == StopReason.STOP_STRING
    assert reply.text == full.text[: full.text.index(word)]


def test_cancel_stops_within_one_token_and_keeps_the_partial_reply(engine: Engine) -> None:
    reply = engine.stream_chat(HELLO, GenerationSettings(max_tokens=1000, seed=1))
    seen: list[str] = []
    after_cancel = 0
    for piece in reply:
        if len(seen) == 10:
            # from another thread, as the window's Stop button does
            t = threading.Thread(target=engine.cancel)
            t.start()
            t.join()
        if len(seen) >= 10:
            after_cancel += 1
        seen.append(piece)
    assert reply.metrics is not None
    assert reply.metrics.stop_reason == StopReason.CANCELLED
    assert after_cancel <= 1
    assert reply.metrics.completion_tokens <= 11
    assert reply.text == "".join(seen) and len(reply.text) >= 10
    # the next reply is not cancelled by the old request
    assert engine.stream_chat(HELLO, GenerationSettings(max_tokens=5)).run().completion_tokens == 5


def test_turn_two_evaluates_only_the_new_tokens(tiny_model: Path) -> None:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=2048))
    settings = GenerationSettings(max_tokens=30, seed=5)
    first = e.stream_chat(HELLO, settings)
    m1 = first.run()
    assert m1.prompt_eval_tokens == m1.prompt_tokens  # nothing cached yet
    turn2: list[ChatMessage] = [
        *HELLO,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "and what else?"},
    ]
    m2 = e.stream_chat(turn2, settings).run()
    # Only the new turn is evaluated: the cache holds turn 1's prompt and its reply.
    new_part = m2.prompt_tokens - m1.prompt_tokens - m1.completion_tokens
    assert 5 <= new_part < 45  # "<|im_end|>" + a user turn + the assistant header
    # ... plus the reply's last token, sampled but never fed back through the model
    assert m2.prompt_eval_tokens == new_part + 1
    # A fresh engine on the same conversation must evaluate all of it.
    cold = Engine()
    cold.load(tiny_model, LoadSettings(n_ctx=2048))
    assert cold.stream_chat(turn2, settings).run().prompt_eval_tokens == m2.prompt_tokens


def test_context_full_is_reported(tiny_model: Path) -> None:
    e = Engine()
    n_ctx = e.load(tiny_model, LoadSettings(n_ctx=96)).n_ctx
    assert 96 <= n_ctx <= 256  # llama.cpp rounds the context up to its block size
    reply = e.stream_chat(HELLO, GenerationSettings(max_tokens=20, seed=1))
    assert reply.run().stop_reason == StopReason.MAX_TOKENS
    m = e.stream_chat(HELLO, GenerationSettings(max_tokens=10_000, seed=1)).run()
    assert m.stop_reason == StopReason.CONTEXT_FULL
    assert m.prompt_tokens + m.completion_tokens == n_ctx


def _long_history(turns: int) -> list[ChatMessage]:
    msgs: list[ChatMessage] = [{"role": "system", "content": "You are terse."}]
    for i in range(turns):
        msgs.append({"role": "user", "content": f"question number {i} " + "words " * 20})
        msgs.append({"role": "assistant", "content": f"answer number {i} " + "reply " * 20})
    msgs.append({"role": "user", "content": "the latest question"})
    return msgs


def test_oldest_turns_are_dropped_to_fit_the_context(tiny_model: Path) -> None:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=512))
    history = _long_history(12)
    settings = GenerationSettings(max_tokens=64, seed=1)
    kept, tokens, dropped = e.fit(history, settings)
    assert dropped > 0 and len(kept) == len(history) - dropped
    assert kept[0] == history[0] and kept[-1] == history[-1]  # system prompt and last message
    assert kept[1]["role"] == "user"
    assert len(tokens) <= 512 - 64
    m = e.stream_chat(history, settings).run()
    assert m.dropped_turns == dropped and m.completion_tokens == 64
    assert "old turns dropped" in m.summary()


def test_refuse_policy_and_hopeless_messages_get_a_clear_error(tiny_model: Path) -> None:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=512))
    refuse = GenerationSettings(max_tokens=64, overflow=OverflowPolicy.REFUSE)
    with pytest.raises(ContextOverflowError, match="context holds 512"):
        e.stream_chat(_long_history(12), refuse)
    huge: list[ChatMessage] = [{"role": "user", "content": "word " * 2000}]
    with pytest.raises(ContextOverflowError, match="shorten the message"):
        e.stream_chat(huge, GenerationSettings(max_tokens=64))


def test_user_template_overrides_the_models(engine: Engine, tiny_model: Path) -> None:
    own = engine.count_tokens(HELLO)
    engine.set_chat_template(
        "{% for m in messages %}### {{ m['role'] }}: {{ m['content'] }}\n{% endfor %}### assistant:"
    )
    try:
        assert engine.model is not None
        assert engine.count_tokens(HELLO) != own
        assert (
            engine.stream_chat(HELLO, GenerationSettings(max_tokens=3)).run().completion_tokens == 3
        )
    finally:
        engine.set_chat_template(None)
    assert engine.count_tokens(HELLO) == own


def test_broken_template_names_the_model_and_the_problem(
    bad_template_model: Path, tiny_model: Path
) -> None:
    e = Engine()
    with pytest.raises(TemplateError, match=r"Broken Template.*not valid Jinja.*unexpected"):
        e.load(bad_template_model)
    e.load(tiny_model)
    # a template that raises while rendering (as many do for roles out of order)
    e.set_chat_template("{{ raise_exception('Conversation roles must alternate') }}")
    with pytest.raises(TemplateError, match="roles must alternate"):
        e.stream_chat(HELLO)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("not_gguf", "not a GGUF model file"),
        ("truncated_model", "truncated"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    request: pytest.FixtureRequest, fixture: str, expected: str
) -> None:
    path = request.getfixturevalue(fixture)
    with pytest.raises(ModelFileError, match=expected):
        Engine().load(path)


def test_missing_file_and_unknown_architecture(tmp_path: Path, unknown_arch_model: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        Engine().load(tmp_path / "nope.gguf")
    with pytest.raises(ModelLoadError, match=r"unknown model architecture.*mysteryformer"):
        Engine().load(unknown_arch_model)


def test_a_failed_load_keeps_the_previous_model(tiny_model: Path, unknown_arch_model: Path) -> None:
    e = Engine()
    e.load(tiny_model)
    with pytest.raises(ModelLoadError):
        e.load(unknown_arch_model)
    assert e.model is not None and e.model.info.name == "Tiny Test Chat"
    assert e.stream_chat(HELLO, GenerationSettings(max_tokens=4)).run().completion_tokens == 4


def test_settings_are_validated_with_the_settings_name() -> None:
    with pytest.raises(SettingsError, match="temperature"):
        GenerationSettings(temperature=-1)
    with pytest.raises(SettingsError, match="top_p"):
        GenerationSettings.from_dict({"top_p": 1.5})
    with pytest.raises(SettingsError, match="GPU layers"):
        LoadSettings(n_gpu_layers=-2)
    s = GenerationSettings(stop=("x",), seed=3)
    assert GenerationSettings.from_dict(s.to_dict()) == s


def test_model_info_reads_the_header_without_loading(long_model: Path) -> None:
    info = read_model_info(long_model)
    assert (info.n_layer, info.n_embd, info.n_head, info.n_head_kv) == (4, 128, 4, 2)
    assert info.context_length == 32768
    assert info.eos_token == "<|im_end|>" and info.chat_template


def test_a_quantized_model_loads_and_chats(quantized_model: Path) -> None:
    # Regression: AMX builds crashed in ggml_backend_amx_mul_mat on quantized weights.
    e = Engine()
    m = e.load(quantized_model)
    assert m.info.quantization == "Q4_K_M"
    assert (
        e.stream_chat(HELLO, GenerationSettings(max_tokens=16, seed=1)).run().completion_tokens
        == 16
    )


def test_load_reports_progress_and_can_be_cancelled(tiny_model: Path, long_model: Path) -> None:
    e = Engine()
    seen: list[float] = []
    e.load(tiny_model, on_progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(LoadCancelled, match="cancelled"):
        e.load(long_model, on_progress=lambda fraction: fraction < 0.5)
    assert e.model is not None and e.model.info.name == "Tiny Test Chat"


GREEDY = GenerationSettings(temperature=0.0, repeat_penalty=1.0, max_tokens=120, seed=1)
# Text that repeats itself, so that prompt lookup finds drafts the model goes on to accept.
REPEATS: list[ChatMessage] = [
    {"role": "user", "content": "the cat sat on the mat and the cat sat on the hat " * 3}
]


def _two_turns(e: Engine) -> tuple[str, str]:
    first = e.stream_chat(REPEATS, GREEDY)
    first.run()
    turn2: list[ChatMessage] = [
        *REPEATS,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "again: " + first.text[:60]},
    ]
    second = e.stream_chat(turn2, GREEDY)
    second.run()
    return first.text, second.text


def test_prompt_lookup_gives_the_same_greedy_replies_as_plain_decoding(tiny_model: Path) -> None:
    # n_batch 32: the replies run far past it, where llama-cpp-python's own logits store ends
    load = LoadSettings(n_ctx=1024, n_batch=32)
    plain = Engine()
    assert plain.load(tiny_model, load).lookup_tokens == 0
    expected = _two_turns(plain)

    e = Engine()
    m = e.load(tiny_model, load.updated(prompt_lookup=True, lookup_tokens=6))
    assert m.lookup_tokens == 6 and "prompt lookup (6 tokens ahead)" in m.describe()
    assert e._llm is not None and e._llm.draft_model is not None
    draft, steps = e._llm.draft_model, 0

    def counted(ids: object, **kwargs: object) -> object:
        nonlocal steps
        steps += 1
        return draft(ids, **kwargs)  # type: ignore[arg-type]

    e._llm.draft_model = counted  # type: ignore[assignment]
    assert _two_turns(e) == expected
    tokens = 2 * GREEDY.max_tokens
    assert steps < tokens * 0.8, "the drafts were never accepted: nothing was sped up"


def test_a_lora_adapter_changes_the_reply_and_scale_zero_is_the_base_model(
    tiny_model: Path, lora_adapter: Path
) -> None:
    e = Engine()
    e.load(tiny_model, LoadSettings(n_ctx=512))
    settings = GREEDY.updated(max_tokens=30)
    base = e.stream_chat(HELLO, settings)
    base.run()

    m = e.load(tiny_model, LoadSettings(n_ctx=512), lora=LoraAdapter(lora_adapter, 0.5))
    assert m.lora == LoraAdapter(lora_adapter, 0.5)
    assert f"LoRA adapter {lora_adapter.name} at scale 0.5" in m.describe()
    tuned = e.stream_chat(HELLO, settings)
    tuned.run()
    assert tuned.text != base.text

    e.load(tiny_model, LoadSettings(n_ctx=512), lora=LoraAdapter(lora_adapter, 0.0))
    off = e.stream_chat(HELLO, settings)
    off.run()
    assert off.text == base.text


def test_an_adapter_that_does_not_fit_the_model_is_refused_in_words(
    tmp_path: Path, tiny_model: Path
) -> None:
    other = write_lora_adapter(tmp_path / "wide-lora.gguf", shape=ModelShape(n_embd=128))
    e = Engine()
    with pytest.raises(ModelLoadError) as caught:
        e.load(tiny_model, lora=LoraAdapter(other))
    message = str(caught.value)
    assert "wide-lora.gguf cannot be applied to tiny-chat.gguf" in message
    assert "shape" in message  # llama.cpp's own reason
    assert e.model is None
    with pytest.raises(ModelLoadError, match=r"missing\.gguf does not exist"):
        e.load(tiny_model, lora=LoraAdapter(tmp_path / "missing.gguf"))
