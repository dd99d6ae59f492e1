"""Messages that say what is wrong: odd model paths, refused numbers, settings and other small
files that cannot be saved. Each is one line on the command line, or one message in the window,
and never a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from chatapp.core.config.appsettings import SETTINGS_FILENAME, SettingsFile, SettingsSaveError
from chatapp.ui.main.window import MainWindow
from tests.helpers import TIMEOUT, MakeWindow, run_cli, send, shown_text


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


# -- settings and the other small files that cannot be saved -------------------------------------


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` refuses new files, for root too (an immutable folder; chmod for others)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("no chattr: root writes into any folder")
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("this file system has no immutable folders")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def _no_traceback(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in capfd.readouterr().err


def _said(window: MainWindow) -> list[str]:
    said: list[str] = []
    window.error_shown.connect(said.append)
    return said


def test_settings_json_that_is_a_folder_is_said_once_and_the_window_keeps_working(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    (data / SETTINGS_FILENAME).mkdir(parents=True)
    window = make_window(data=data)
    assert window.banner.isVisible()
    assert window.error_label.text() == (
        f"Your settings file {data / SETTINGS_FILENAME} is a folder, so settings cannot be read"
        " or saved; defaults are in use."
    )
    said = _said(window)
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):  # remembers the model: a save
        window.load_model(tiny_model)
    window._set_offline(True)  # the menu's "Work offline": another save
    reply_id = send(qtbot, window, "still there?")
    assert shown_text(window, reply_id)  # the window works
    assert said == []  # nothing said again
    window.close()
    qtbot.waitUntil(lambda: not window.db.worker_thread.isRunning(), timeout=TIMEOUT)
    assert (data / SETTINGS_FILENAME).is_dir()  # left as it was
    _no_traceback(caplog, capfd)


def test_a_read_only_settings_folder_is_said_once_on_the_first_save(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    window = make_window(data=data)
    said = _said(window)
    with _read_only(data):
        window._set_offline(True)
        qtbot.waitUntil(lambda: bool(said), timeout=TIMEOUT)
        window._set_offline(False)
        window._save_settings()
        qtbot.wait(200)
        assert len(said) == 1, said
        assert said[0].startswith(f"Cannot save settings: the folder {data} cannot be written to (")
        assert window.banner.isVisible()
    assert not (data / SETTINGS_FILENAME).exists()
    window.close()  # the folder is writable again: the settings are saved at quit
    qtbot.waitUntil(lambda: (data / SETTINGS_FILENAME).exists(), timeout=TIMEOUT)
    _no_traceback(caplog, capfd)
    warnings = [r.getMessage() for r in caplog.records if "cannot save settings" in r.getMessage()]
    assert len(warnings) == 1, warnings  # one line on stderr, not one per save


def test_an_unreadable_settings_file_is_not_saved_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / SETTINGS_FILENAME
    path.write_text('{"version": 1, "theme": "dark"}', encoding="utf-8")
    path.chmod(0)
    file = SettingsFile(path)
    settings, problem = file.load()
    assert problem is not None and "could not be read (permission denied)" in problem
    assert "changes will not be saved over it" in problem
    with pytest.raises(SettingsSaveError, match=r"^cannot save settings: "):
        file.save(settings)
    path.chmod(0o644)
    assert "dark" in path.read_text(encoding="utf-8")  # what the user had is still there


def test_settings_json_that_is_a_folder_is_one_line_on_the_command_line(
    tmp_path: Path, tiny_model: Path
) -> None:
    data = tmp_path / "d"
    (data / SETTINGS_FILENAME).mkdir(parents=True)
    r = run_cli("chat", "--data-dir", data, "--model", tiny_model, "--max-tokens", "3", "hi")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    said = [line for line in r.stderr.splitlines() if "settings" in line]
    assert said == [
        f"chatapp: Your settings file {data / SETTINGS_FILENAME} is a folder, so settings cannot"
        " be read or saved; defaults are in use."
    ]


def test_library_json_that_is_a_folder_is_said_in_the_window_without_a_traceback(
    qtbot: QtBot,
    make_window: MakeWindow,
    tmp_path: Path,
    tiny_model: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "data"
    (data / "library.json").mkdir(parents=True)
    window = make_window(data=data)
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as blocker:
        window.load_model(tiny_model)  # a model opened is remembered in the library
    assert blocker.args[0] == f"Cannot save library.json: {data / 'library.json'} is a folder"
    reply_id = send(qtbot, window, "hello")
    assert shown_text(window, reply_id)
    window.close()
    _no_traceback(caplog, capfd)


def test_a_file_saved_into_a_read_only_folder_says_which_folder(tmp_path: Path) -> None:
    from chatapp.core.storage.atomic import write_text_atomic

    folder = tmp_path / "box"
    folder.mkdir()
    with _read_only(folder), pytest.raises(OSError) as refused:
        write_text_atomic(folder / "downloads.json", "{}")
    assert str(refused.value).startswith(
        f"cannot save downloads.json: the folder {folder} cannot be written to ("
    )
