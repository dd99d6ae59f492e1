"""settings.json: defaults, round trip, broken files set aside (never lost), unknown keys."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from chatapp.core.config.appsettings import (
    MAX_RECENT_MODELS,
    SETTINGS_FILENAME,
    SETTINGS_VERSION,
    AppSettings,
    SettingsFile,
    Theme,
    check_chat_template,
)
from chatapp.core.config.settings import (
    GenerationSettings,
    LoadSettings,
    OverflowPolicy,
    SettingsError,
    bounds,
    number_type,
)

STAMP = datetime(2026, 11, 22, 9, 30, 0)
BACKUP_NAME = f"{SETTINGS_FILENAME}.broken-20261122-093000"


def settings_file(tmp_path: Path) -> SettingsFile:
    return SettingsFile(tmp_path / "config" / SETTINGS_FILENAME, now=lambda: STAMP)


def full_settings() -> AppSettings:
    return AppSettings(
        load=LoadSettings(n_ctx=4096, n_gpu_layers=12, n_threads=6, n_batch=256, flash_attn=True),
        generation=GenerationSettings(
            temperature=0.3,
            top_p=0.9,
            top_k=20,
            min_p=0.1,
            repeat_penalty=1.2,
            max_tokens=300,
            seed=1234,
            stop=("</s>", "User:"),
            overflow=OverflowPolicy.REFUSE,
        ),
        system_prompt="Be brief.\nAnswer in French.",
        theme=Theme.DARK,
        font_size=14,
        recent_models=("/models/b.gguf", "/models/a.gguf"),
        last_model="/models/b.gguf",
        last_conversation="c0ffee",
        window_geometry="AdnQywADAAAAAAAA",
        splitter_sizes=(240, 760),
        chat_template="{{ messages[0]['content'] }}",
    )


def test_missing_file_gives_defaults_and_no_message(tmp_path: Path) -> None:
    settings, problem = settings_file(tmp_path).load()
    assert settings == AppSettings()
    assert problem is None
    assert settings.theme is Theme.SYSTEM and settings.font_size == 11


def test_save_then_load_round_trips_every_field(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    original = full_settings()
    sf.save(original)  # also creates the missing config folder
    loaded, problem = sf.load()
    assert problem is None
    assert loaded == original
    assert isinstance(loaded.recent_models, tuple) and isinstance(loaded.splitter_sizes, tuple)
    assert loaded.theme is Theme.DARK
    assert loaded.generation.overflow is OverflowPolicy.REFUSE


def test_saved_file_is_readable_json_with_version_and_nested_sections(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.save(full_settings())
    text = sf.path.read_text(encoding="utf-8")
    assert text.startswith('{\n  "version": 1,')  # indented, version first
    data = json.loads(text)
    assert data["version"] == SETTINGS_VERSION
    assert data["load"]["n_gpu_layers"] == 12
    assert data["generation"]["stop"] == ["</s>", "User:"]
    assert data["theme"] == "dark"
    assert [p.name for p in sf.path.parent.iterdir()] == [SETTINGS_FILENAME]  # no temp left


def test_none_values_round_trip(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    settings = full_settings().updated(last_model=None, chat_template=None)
    settings = settings.updated(load=LoadSettings(n_gpu_layers=None))
    sf.save(settings)
    assert sf.load() == (settings, None)


def assert_set_aside(sf: SettingsFile, original: bytes, problem: str | None, *words: str) -> None:
    backup = sf.path.with_name(BACKUP_NAME)
    assert backup.read_bytes() == original
    assert not sf.path.exists()
    assert problem is not None
    assert problem.startswith("Your settings file could not be read (")
    assert f"it was saved as {backup} and defaults are in use." in problem
    for word in words:
        assert word in problem


def test_broken_json_is_set_aside_and_next_save_is_good(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    original = b'{\n  "version": 1,\n  "theme": "dark"\n  "font_size": 12\n}\n'
    sf.path.write_bytes(original)

    settings, problem = sf.load()

    assert settings == AppSettings()
    assert_set_aside(sf, original, problem, "line 4: Expecting ',' delimiter")
    sf.save(settings.updated(font_size=13))
    assert sf.load() == (AppSettings(font_size=13), None)
    assert sf.path.with_name(BACKUP_NAME).read_bytes() == original  # the backup stays


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ("Expecting value",)),
        (b"\xff\xfe not utf-8", ("UTF-8",)),
        (b"[1, 2]", ("not an object",)),
        (b'{"version": 1, "generation": {"temperature": 99}}', ("temperature", "99")),
        (b'{"generation": {"temperature": "hot"}}', ("generation.temperature", "hot")),
        (b'{"generation": {"overflow": "explode"}}', ("generation", "explode")),
        (b'{"generation": {"stop": "abc"}}', ("generation.stop",)),
        (b'{"load": {"flash_attn": "yes"}}', ("load.flash_attn",)),
        (b'{"load": {"n_ctx": 4096.5}}', ("load.n_ctx",)),
        (b'{"load": []}', ("load must be an object",)),
        (b'{"font_size": 99}', ("font_size", "99")),
        (b'{"font_size": true}', ("font_size",)),
        (b'{"theme": "purple"}', ("theme", "purple")),
        (b'{"recent_models": "/a.gguf"}', ("recent_models",)),
        (b'{"splitter_sizes": [100, -5]}', ("splitter_sizes",)),
        (b'{"last_model": 7}', ("last_model",)),
        (b'{"embedding_model": null}', ("embedding_model must be text", "None")),
        (b'{"version": "one"}', ("version",)),
    ],
)
def test_bad_content_is_set_aside_with_a_message_naming_it(
    tmp_path: Path, content: bytes, words: tuple[str, ...]
) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    sf.path.write_bytes(content)
    settings, problem = sf.load()
    assert settings == AppSettings()
    assert_set_aside(sf, content, problem, *words)


def test_file_from_a_newer_version_is_set_aside(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    original = json.dumps({"version": SETTINGS_VERSION + 1, "theme": "dark"}).encode()
    sf.path.write_bytes(original)
    settings, problem = sf.load()
    assert settings == AppSettings()
    assert_set_aside(sf, original, problem, "newer chatapp", f"version {SETTINGS_VERSION + 1}")
    sf.save(settings)
    assert json.loads(sf.path.read_text())["version"] == SETTINGS_VERSION


def test_backup_name_taken_gets_a_counter_and_nothing_is_overwritten(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    first = sf.path.with_name(BACKUP_NAME)
    first.write_bytes(b"older backup")
    sf.path.write_bytes(b"broken once")
    _, problem = sf.load()
    second = sf.path.with_name(BACKUP_NAME + "-2")
    assert second.read_bytes() == b"broken once"
    assert problem is not None and str(second) in problem
    sf.path.write_bytes(b"broken twice")
    sf.load()
    assert sf.path.with_name(BACKUP_NAME + "-3").read_bytes() == b"broken twice"
    assert first.read_bytes() == b"older backup"


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    data = {
        "version": SETTINGS_VERSION,
        "theme": "light",
        "from_the_future": {"x": 1},
        "load": {"n_ctx": 2048, "new_load_option": True},
        "generation": {"temperature": 0.2, "new_sampler": 3},
    }
    sf.path.write_text(json.dumps(data))
    settings, problem = sf.load()
    assert problem is None
    assert settings.theme is Theme.LIGHT
    assert settings.load == LoadSettings(n_ctx=2048)
    assert settings.generation == GenerationSettings(temperature=0.2)
    assert sf.path.exists()  # a good file is left alone


def test_partial_file_fills_in_defaults(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    sf.path.write_text('{"font_size": 16}')
    assert sf.load() == (AppSettings(font_size=16), None)


def test_the_embedding_model_is_none_until_chosen_and_then_kept(tmp_path: Path) -> None:
    """A file from before the setting loads with none chosen; a chosen one is saved and read."""
    assert AppSettings().embedding_model == ""
    sf = settings_file(tmp_path)
    chosen = full_settings().updated(embedding_model="/models/nomic-embed-text-v1.5.Q8_0.gguf")
    sf.save(chosen)
    assert json.loads(sf.path.read_text("utf-8"))["embedding_model"] == chosen.embedding_model
    assert sf.load() == (chosen, None)


def test_with_recent_model_moves_to_front_dedups_and_caps() -> None:
    settings = AppSettings()
    for i in range(12):
        settings = settings.with_recent_model(f"/m/{i}.gguf")
    assert len(settings.recent_models) == MAX_RECENT_MODELS == 10
    assert settings.recent_models[0] == "/m/11.gguf"
    assert settings.recent_models[-1] == "/m/2.gguf"
    assert settings.last_model == "/m/11.gguf"

    settings = settings.with_recent_model("/m/5.gguf")
    assert settings.recent_models[:3] == ("/m/5.gguf", "/m/11.gguf", "/m/10.gguf")
    assert settings.recent_models.count("/m/5.gguf") == 1
    assert len(settings.recent_models) == 10
    assert settings.last_model == "/m/5.gguf"


def test_updated_validates_and_allows_none() -> None:
    settings = AppSettings(last_model="/m/a.gguf")
    assert settings.updated(last_model=None).last_model is None
    assert settings.updated(theme="dark").theme is Theme.DARK
    with pytest.raises(SettingsError, match="font_size"):
        settings.updated(font_size=40)


def test_from_dict_rejects_non_object() -> None:
    with pytest.raises(SettingsError, match="JSON object"):
        AppSettings.from_dict([])  # type: ignore[arg-type]


def test_check_chat_template() -> None:
    check_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    with pytest.raises(SettingsError, match="line 1"):
        check_chat_template("{% for m in messages %}{{ m['content'] }")


# settings.json as chatapp wrote it before settings became pydantic models: it must keep loading,
# and saving it back must not change a byte.
FILE_BEFORE_PYDANTIC = """{
  "version": 1,
  "load": {
    "n_ctx": 4096,
    "n_gpu_layers": 12,
    "n_threads": 6,
    "n_batch": 256,
    "flash_attn": true,
    "seed": -1
  },
  "generation": {
    "temperature": 0.3,
    "top_p": 0.9,
    "top_k": 20,
    "min_p": 0.1,
    "repeat_penalty": 1.2,
    "max_tokens": 300,
    "seed": 1234,
    "stop": [
      "</s>",
      "User:"
    ],
    "overflow": "refuse"
  },
  "system_prompt": "Be brief.\\nAnswer in French.",
  "theme": "dark",
  "font_size": 14,
  "recent_models": [
    "/models/b.gguf",
    "/models/a.gguf"
  ],
  "last_model": "/models/b.gguf",
  "last_conversation": "c0ffee",
  "window_geometry": "AdnQywADAAAAAAAA",
  "splitter_sizes": [
    240,
    760
  ],
  "chat_template": "{{ messages[0]['content'] }}",
  "offline": false,
  "gpu_hint_shown": false
}
"""


def test_an_existing_users_file_loads_and_saves_back_unchanged(tmp_path: Path) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    sf.path.write_text(FILE_BEFORE_PYDANTIC, encoding="utf-8")
    loaded, problem = sf.load()
    assert problem is None
    assert loaded == full_settings()
    sf.save(loaded)
    # unchanged but for the settings added since, at their defaults
    added = '    "seed": -1,\n    "prompt_lookup": false,\n    "lookup_tokens": 10\n  },'
    expected = FILE_BEFORE_PYDANTIC.replace('    "seed": -1\n  },', added, 1)
    thinking = '    "overflow": "refuse",\n    "thinking": null,\n    "reasoning_effort": null\n'
    expected = expected.replace('    "overflow": "refuse"\n', thinking, 1)
    expected = expected.replace(
        '  "last_model": "/models/b.gguf",\n',
        '  "last_model": "/models/b.gguf",\n  "embedding_model": "",\n',
        1,
    )
    expected = expected.replace(
        '  "theme": "dark",\n', '  "theme": "dark",\n  "language": "system",\n', 1
    )
    cache = '  "offline": false,\n  "reopen_cache_mb": 2048,\n  "api_save_conversations": false,\n'
    expected = expected.replace('  "offline": false,\n', cache, 1)
    docs = '  "docs_k": 5,\n  "docs_min_similarity": 0.0,\n  "gpu_hint_shown"'
    expected = expected.replace('  "gpu_hint_shown"', docs, 1)
    assert sf.path.read_text(encoding="utf-8") == expected


def _just_outside() -> list[tuple[str, str, str, float]]:
    """(section, field, its words, value) one step past each end of every numeric setting."""
    cases = []
    for section, model in (("load", LoadSettings), ("generation", GenerationSettings)):
        for name, info in model.model_fields.items():
            kind = number_type(info)
            if kind is None:
                continue
            lo, hi = bounds(model, name)
            step = 1 if kind is int else 0.01
            label = info.title or name
            cases += [(section, name, label, lo - step), (section, name, label, hi + step)]
    return cases


@pytest.mark.parametrize(("section", "name", "label", "value"), _just_outside())
def test_a_value_just_outside_its_bounds_is_named_in_words_and_the_file_set_aside(
    tmp_path: Path, section: str, name: str, label: str, value: float
) -> None:
    sf = settings_file(tmp_path)
    sf.path.parent.mkdir(parents=True)
    content = json.dumps({"version": SETTINGS_VERSION, section: {name: value}}).encode()
    sf.path.write_bytes(content)
    settings, problem = sf.load()
    assert settings == AppSettings()
    shown = str(value) if isinstance(value, int) else f"{value:g}"
    assert_set_aside(sf, content, problem, f"{section}: {label} must be between", f"got {shown}")


def test_a_font_size_just_outside_its_bounds_is_named_and_the_file_set_aside(
    tmp_path: Path,
) -> None:
    lo, hi = bounds(AppSettings, "font_size")
    for value in (int(lo) - 1, int(hi) + 1):
        sf = settings_file(tmp_path / str(value))
        sf.path.parent.mkdir(parents=True)
        content = json.dumps({"font_size": value}).encode()
        sf.path.write_bytes(content)
        settings, problem = sf.load()
        assert settings == AppSettings()
        assert_set_aside(sf, content, problem, f"font_size must be a whole number between {lo}")
        assert problem is not None and f"got {value})" in problem
