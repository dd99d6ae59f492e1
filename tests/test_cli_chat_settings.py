"""``chatapp chat`` follows the user's defaults; ``chatapp search`` finds from a terminal."""

from __future__ import annotations

from pathlib import Path

from chatapp.core.config.appsettings import SETTINGS_FILENAME, AppSettings, SettingsFile
from chatapp.core.config.settings import GenerationSettings
from chatapp.core.storage.paths import config_dir
from chatapp.core.storage.store import Store
from tests.helpers import conversation_id, run_cli


def _defaults(data: Path, **generation: object) -> None:
    settings = AppSettings(generation=GenerationSettings(**generation))  # type: ignore[arg-type]
    SettingsFile(config_dir(data) / SETTINGS_FILENAME).save(settings)


def test_chat_uses_the_defaults_and_saves_only_what_was_given(
    tmp_path: Path, tiny_model: Path
) -> None:
    _defaults(tmp_path, max_tokens=7, seed=3)
    first = run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "hello")
    assert first.returncode == 0, first.stderr
    assert "7 tokens" in first.stderr  # max_tokens from Preferences, not the built-in 1024
    conv = conversation_id(first.stderr)
    with Store.open_dir(tmp_path) as store:
        assert store.get_conversation(conv).settings == {}  # nothing copied from the defaults

    given = run_cli(
        "chat", "--data-dir", tmp_path, "--model", tiny_model, "--continue", conv,
        "--temperature", "0.5", "again",
    )  # fmt: skip
    assert given.returncode == 0, given.stderr
    with Store.open_dir(tmp_path) as store:
        assert store.get_conversation(conv).settings == {"temperature": 0.5}

    _defaults(tmp_path, max_tokens=9, seed=3)  # a later change in Preferences reaches it
    later = run_cli(
        "chat", "--data-dir", tmp_path, "--model", tiny_model, "--continue", conv, "and again"
    )
    assert later.returncode == 0, later.stderr
    assert "9 tokens" in later.stderr
    with Store.open_dir(tmp_path) as store:
        assert store.get_conversation(conv).settings == {"temperature": 0.5}


def test_a_bad_override_is_one_line(tmp_path: Path, tiny_model: Path) -> None:
    r = run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--top-p", "7", "hi")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == ["chatapp: top_p must be between 0 and 1, got 7"]


def test_search_prints_one_hit_per_line(tmp_path: Path) -> None:
    with Store.open_dir(tmp_path) as store:
        a = store.create_conversation(title="Gardening")
        store.add_message(a.id, "user", "When should I plant tomatoes?")
        b = store.create_conversation(title="Cooking")
        store.add_message(b.id, "user", "A sauce of ripe tomatoes\nand basil")
        store.add_message(b.id, "user", "nothing to see")
    r = run_cli("search", "--data-dir", tmp_path, "tomato")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    found = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert found[a.id][1] == "Gardening" and "[tomatoes]" in found[a.id][2]
    assert found[b.id][1] == "Cooking" and found[b.id][2] == "A sauce of ripe [tomatoes] and basil"
    assert (
        run_cli("search", "--data-dir", tmp_path, "tomato", "--limit", "1").stdout.count("\n") == 1
    )

    none = run_cli("search", "--data-dir", tmp_path, "cucumber")
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "")


def test_chat_applies_a_lora_adapter_and_says_so(
    tmp_path: Path, tiny_model: Path, lora_adapter: Path
) -> None:
    def chat(*extra: str | Path) -> tuple[str, str]:
        r = run_cli(
            "-v", "chat", "--data-dir", tmp_path, "--model", tiny_model, "--temperature", "0",
            "--max-tokens", "20", *extra, "hello",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        return r.stdout, r.stderr

    base, _ = chat()
    tuned, log = chat("--lora", lora_adapter, "--lora-scale", "0.5")
    assert f"LoRA adapter {lora_adapter.name} at scale 0.5" in log  # the load report
    assert tuned != base
    assert chat("--lora", lora_adapter, "--lora-scale", "0")[0] == base
    looked_up, log = chat("--prompt-lookup")
    assert looked_up == base and "prompt lookup (10 tokens ahead)" in log


def test_a_bad_adapter_or_scale_is_one_line(tmp_path: Path, tiny_model: Path) -> None:
    r = run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--lora-scale", "2", "hi")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == ["chatapp: --lora-scale needs --lora FILE"]
    r = run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--lora", tiny_model, "hi")
    assert r.returncode == 1
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("chatapp: the LoRA adapter tiny-chat.gguf cannot be applied to "), line
