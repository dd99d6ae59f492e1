"""Messages that say what is wrong: odd model paths, refused numbers, settings and other small
files that cannot be saved. Each is one line on the command line, or one message in the window,
and never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import run_cli


def _one_line(r: object) -> str:
    """The single ``chatapp: …`` line a failed command printed (exit 1, no traceback)."""
    assert r.returncode == 1, r  # type: ignore[attr-defined]
    err = r.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("chatapp: "), err
    return err


# -- model paths ---------------------------------------------------------------------------------


def _odd_path(kind: str, where: Path) -> Path:
    path = where / f"{kind}.gguf"
    if kind == "loop":
        path.symlink_to(path.name)
    elif kind == "dangling":
        path.symlink_to("nowhere.gguf")
    elif kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("my shopping list\n")
    elif kind == "fifo":
        os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("loop", "cannot open the model file {path}: too many levels of symbolic links"),
        ("dangling", "the model file {path} is a link to {dir}/nowhere.gguf, which does not exist"),
        ("folder", "{path} is a folder, not a model file"),
        ("empty", "empty.gguf is empty (0 bytes), not a GGUF model file"),
        ("text", "text.gguf is not a GGUF model file (it does not start with GGUF)"),
        ("fifo", "{path} is not a regular file, so it cannot be a model file"),
        ("missing", "model file not found: {path}"),
    ],
)
def test_an_odd_model_path_is_named_with_what_is_wrong(
    tmp_path: Path, kind: str, expected: str
) -> None:
    path = _odd_path(kind, tmp_path)
    r = run_cli("chat", "--data-dir", tmp_path / "d", "--model", path, "hi")
    assert _one_line(r) == "chatapp: " + expected.format(path=path, dir=tmp_path)


def test_a_model_file_without_read_permission_says_so(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "private.gguf"
    path.write_bytes(b"GGUF")
    path.chmod(0)
    r = run_cli("chat", "--data-dir", tmp_path / "d", "--model", path, "hi")
    assert _one_line(r) == f"chatapp: cannot read the model file {path}: permission denied"


def test_a_link_loop_added_to_the_library_is_refused_in_words(tmp_path: Path) -> None:
    from chatapp.core.models.library import Library
    from chatapp.core.models.modelinfo import ModelFileError

    path = _odd_path("loop", tmp_path)
    with pytest.raises(ModelFileError, match="too many levels of symbolic links"):
        Library(tmp_path / "data").add_file(path)


# -- refused numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--ctx", "10000001", "context length must be between 0 and 10000000, got 10000001"),
        ("--top-p", "1.5", "top_p must be between 0 and 1, got 1.5"),
        ("--top-p", "1.0000001", "top_p must be between 0 and 1, got 1.0000001"),
        ("--temperature", "12345678", "temperature must be between 0 and 5, got 12345678"),
        ("--temperature", "-0.5", "temperature must be between 0 and 5, got -0.5"),
        ("--max-tokens", "0", "max_tokens must be between 1 and 1000000, got 0"),
    ],
)
def test_a_refused_number_is_written_as_it_was_typed(
    tmp_path: Path, tiny_model: Path, option: str, value: str, expected: str
) -> None:
    r = run_cli("chat", "--data-dir", tmp_path / "d", "--model", tiny_model, option, value, "hi")
    assert _one_line(r) == "chatapp: " + expected


def _typed(x: float) -> str:
    """A number as a person writes it: 10000000, 1, 1.5."""
    return str(int(x)) if float(x).is_integer() else str(x)


def test_every_bounded_setting_writes_its_bounds_and_value_as_numbers() -> None:
    from chatapp.core.config.settings import (
        GenerationSettings,
        LoadSettings,
        SettingsError,
        bounds,
        number_type,
    )

    checked = 0
    for cls in (GenerationSettings, LoadSettings):
        for name, info in cls.model_fields.items():
            number = number_type(info)
            if number is None:
                continue
            lo, hi = bounds(cls, name)
            step = 0.25 if number is float else 1
            for refused_value in (hi + step, lo - step):
                with pytest.raises(SettingsError) as refused:
                    cls(**{name: refused_value})
                assert str(refused.value) == (
                    f"{info.title or name} must be between {_typed(lo)} and {_typed(hi)},"
                    f" got {_typed(refused_value)}"
                )
            checked += 1
    assert checked >= 10
