"""Each setting is defined once; a refusal is one sentence; a copy is checked like a new one."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from chatapp.core.config.settings import (
    SEED_MAX,
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
    SettingsError,
    bounds,
    number_type,
)

MODELS: list[type[BaseModel]] = [GenerationSettings, LoadSettings]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_setting_says_what_it_does_and_its_default_is_allowed(
    model: type[BaseModel],
) -> None:
    for name, info in model.model_fields.items():
        assert info.description, f"{name} has no description (the dialog's tooltip)"
        assert info.title, f"{name} has no words to name it in messages"
        if number_type(info) is not None:
            lo, hi = bounds(model, name)
            assert info.default is None or lo <= info.default <= hi, name
    model()  # the defaults pass their own checks


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: GenerationSettings(temperature=-1), "temperature must be between 0 and 5, got -1"),
        (
            lambda: GenerationSettings.from_dict({"top_p": 7}),
            "top_p must be between 0 and 1, got 7",
        ),
        (lambda: GenerationSettings(temperature="hot"), "temperature must be a number, got 'hot'"),
        (lambda: GenerationSettings(top_k=True), "top_k must be a number, got True"),
        (lambda: GenerationSettings(top_k=4.5), "top_k must be a whole number, got 4.5"),
        (lambda: GenerationSettings(stop=("",)), "stop strings must be non-empty text"),
        (
            lambda: GenerationSettings(stop="</s>"),
            "stop strings must be a list of text, got '</s>'",
        ),
        (
            lambda: GenerationSettings(overflow="explode"),
            "overflow must be one of drop_oldest, refuse, summarise, got 'explode'",
        ),
        (
            lambda: GenerationSettings(thinking="yes"),
            "thinking must be true or false, got 'yes'",
        ),
        (
            lambda: GenerationSettings(reasoning_effort="max"),
            "reasoning effort must be one of low, medium, high, got 'max'",
        ),
        (lambda: LoadSettings(n_ctx=-1), "context length must be between 0 and 10000000, got -1"),
        (lambda: LoadSettings(n_gpu_layers=-2), "GPU layers must be between -1 and 100000, got -2"),
        (lambda: LoadSettings(n_batch=0), "batch size must be between 1 and 1000000, got 0"),
        (
            lambda: LoadSettings(flash_attn="yes"),
            "flash attention must be true or false, got 'yes'",
        ),
        (
            lambda: LoadSettings(lookup_tokens=0),
            "prompt lookup tokens must be between 1 and 64, got 0",
        ),
        (
            lambda: LoadSettings(prompt_lookup="on"),
            "prompt lookup must be true or false, got 'on'",
        ),
        (
            lambda: GenerationSettings(seed=SEED_MAX + 1),
            f"seed must be between -1 and {SEED_MAX}, got {SEED_MAX + 1}",
        ),
    ],
)
def test_a_refused_value_is_one_sentence_naming_the_setting(build: object, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        build()  # type: ignore[operator]
    assert str(caught.value) == message


def test_values_keep_their_kind_and_the_whole_seed_range_is_allowed() -> None:
    gen = GenerationSettings(stop=["</s>"], overflow="refuse", seed=SEED_MAX)  # type: ignore[arg-type]
    assert gen.stop == ("</s>",)
    assert gen.overflow is OverflowPolicy.REFUSE
    assert gen.seed == SEED_MAX
    assert GenerationSettings.from_dict(gen.to_dict()) == gen
    assert {gen, GenerationSettings.from_dict(gen.to_dict())} == {gen}  # hashable, equal by value


@pytest.mark.parametrize("model", [GenerationSettings, LoadSettings], ids=lambda m: m.__name__)
def test_updated_ignores_none_checks_the_change_and_knows_its_fields(
    model: type[GenerationSettings] | type[LoadSettings],
) -> None:
    base = model(seed=7)
    assert base.updated(seed=None) == base
    assert base.updated(seed=3).seed == 3
    assert base.seed == 7  # frozen: the original is unchanged
    with pytest.raises(SettingsError, match="seed must be between"):
        base.updated(seed=-5)
    with pytest.raises(TypeError, match="no setting 'sed'"):
        base.updated(sed=3)
    with pytest.raises(Exception, match="frozen"):
        base.seed = 3  # type: ignore[misc]


def test_load_updated_keeps_automatic_gpu_layers_when_not_given() -> None:
    load = LoadSettings(n_ctx=2048).updated(n_ctx=4096, n_gpu_layers=None, n_threads=4)
    assert load == LoadSettings(n_ctx=4096, n_threads=4)
    assert load.n_gpu_layers is None
