"""``chatapp chat/export/import`` as a user runs them: a real process, real model, real SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatapp import __version__
from chatapp.core.inference.metrics import StopReason
from chatapp.core.storage.store import Store
from tests.helpers import conversation_id as _conv_id
from tests.helpers import run_cli


def test_chat_streams_the_reply_and_saves_the_exchange(tmp_path: Path, tiny_model: Path) -> None:
    r = run_cli(
        "chat",
        "--data-dir",
        tmp_path,
        "--model",
        tiny_model,
        "--max-tokens",
        "25",
        "--seed",
        "4",
        "--system",
        "Be brief.",
        "Hello, model",
    )
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip()) > 10
    assert "25 tokens" in r.stderr and "tok/s" in r.stderr and "stop: max_tokens" in r.stderr
    conv_id = _conv_id(r.stderr)
    with Store.open_dir(tmp_path) as store:
        conv = store.get_conversation(conv_id)
        assert conv.title == "Hello, model" and conv.system_prompt == "Be brief."
        assert conv.model == "Tiny Test Chat"
        user, reply = store.thread(conv_id)
        assert (user.role, user.content) == ("user", "Hello, model")
        assert reply.role == "assistant" and reply.content == r.stdout.rstrip("\n")
        assert reply.metrics is not None and reply.metrics.completion_tokens == 25
        assert reply.metrics.stop_reason == StopReason.MAX_TOKENS


def test_continue_adds_a_turn_and_a_seed_reproduces(tmp_path: Path, tiny_model: Path) -> None:
    args = ("--data-dir", tmp_path, "--model", tiny_model, "--max-tokens", "12", "--seed", "9")
    first = run_cli("chat", *args, "first question")
    conv_id = _conv_id(first.stderr)
    second = run_cli("chat", *args, "--continue", conv_id[:8], "second question")
    assert second.returncode == 0, second.stderr
    assert _conv_id(second.stderr) == conv_id
    again = run_cli("chat", *args, "first question")
    assert again.stdout == first.stdout  # same seed, same prompt, same reply
    with Store.open_dir(tmp_path) as store:
        assert [m.content for m in store.thread(conv_id)][::2] == [
            "first question",
            "second question",
        ]
        assert len(store.list_conversations()) == 2


def test_stop_strings_and_sampling_flags_are_applied(tmp_path: Path, tiny_model: Path) -> None:
    base = (
        "chat",
        "--data-dir",
        tmp_path,
        "--model",
        tiny_model,
        "--seed",
        "2",
        "--max-tokens",
        "40",
        "--temperature",
        "0.7",
        "--top-k",
        "20",
        "--top-p",
        "0.9",
        "--min-p",
        "0.1",
        "--repeat-penalty",
        "1.2",
        "--ctx",
        "512",
        "--gpu-layers",
        "0",
    )
    full = run_cli(*base, "hi")
    assert full.returncode == 0, full.stderr
    word = full.stdout[10:14]  # several tokens from the middle of the reply
    cut = run_cli(*base, "--stop", word, "hi")
    assert cut.stdout.rstrip("\n") == full.stdout[: full.stdout.index(word)]
    assert "stop: stop_string" in cut.stderr


def test_export_import_round_trips_exactly(tmp_path: Path, tiny_model: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    for msg in ("première question ✓", "second chat"):
        assert (
            run_cli(
                "chat", "--data-dir", src, "--model", tiny_model, "--max-tokens", "8", msg
            ).returncode
            == 0
        )
    exported = run_cli("export", "--data-dir", src, "-o", tmp_path / "out.json")
    assert exported.returncode == 0, exported.stderr
    imported = run_cli("import", tmp_path / "out.json", "--data-dir", dst)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2" in imported.stderr
    again = run_cli("export", "--data-dir", dst)
    first = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert json.loads(again.stdout)["conversations"] == first["conversations"]
    assert len(first["conversations"]) == 2
    md = run_cli("export", "--data-dir", dst, "--format", "markdown")
    assert "première question ✓" in md.stdout and "second chat" in md.stdout


def _one_clear_line(r: object, expected: str) -> None:
    assert r.returncode != 0  # type: ignore[attr-defined]
    err = r.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("chatapp: ") and expected in err, err


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("missing", "model file not found"),
        ("not_gguf", "not a GGUF model file"),
        ("truncated_model", "truncated"),
        ("unknown_arch_model", "unknown model architecture: 'mysteryformer'"),
        ("bad_template_model", "not valid Jinja"),
    ],
)
def test_bad_model_files_get_one_clear_line(
    request: pytest.FixtureRequest, tmp_path: Path, model: str, expected: str
) -> None:
    path = tmp_path / "missing.gguf" if model == "missing" else request.getfixturevalue(model)
    r = run_cli("chat", "--data-dir", tmp_path / "d", "--model", path, "hello")
    _one_clear_line(r, expected)
    with Store.open_dir(tmp_path / "d") as store:
        assert store.list_conversations() == []  # nothing half-saved


def test_bad_imports_and_arguments_get_one_clear_line(tmp_path: Path, tiny_model: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"chats": []}', encoding="utf-8")
    _one_clear_line(
        run_cli("import", tmp_path / "bad.json", "--data-dir", tmp_path), "not valid JSON"
    )
    _one_clear_line(
        run_cli("import", tmp_path / "other.json", "--data-dir", tmp_path), "not a chatapp export"
    )
    _one_clear_line(
        run_cli("import", tmp_path / "none.json", "--data-dir", tmp_path), "no such file"
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    _one_clear_line(
        run_cli("chat", "--data-dir", blocker / "data", "--model", tiny_model, "hi"), str(blocker)
    )
    _one_clear_line(
        run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--temperature", "9", "hi"),
        "temperature must be between 0 and 5",
    )
    _one_clear_line(
        run_cli("chat", "--data-dir", tmp_path, "--model", tiny_model, "--continue", "zzzz", "hi"),
        "no conversation",
    )


def test_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"chatapp {__version__}"
