"""The first run: no model yet. The window offers the recommended models with their size and fit,
or a file one already has, and makes no network request until the user asks for a download."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import constants
from huggingface_hub.utils import _detect_agent
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from chatapp.core.models.hub import recommended
from chatapp.ui.main.first_run import FirstRunPanel
from chatapp.ui.main.window import MainWindow
from tests.fakehub import FakeHub
from tests.helpers import TIMEOUT, MakeWindow, serve_recommended

FIT_LABELS = ("fits on GPU", "partly on GPU (", "CPU only", "too large")


def _fits_shown(panel: FirstRunPanel) -> bool:
    return all(panel.table.item(r, 3).text() != "checking…" for r in range(panel.table.rowCount()))


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every outgoing socket connection this process makes, in any thread."""
    made: list[Any] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        made.append(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        made.append(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield made


def test_first_run_lists_recommended_models_with_size_and_fit(
    qtbot: QtBot,
    make_window: MakeWindow,
) -> None:
    window: MainWindow = make_window()
    panel = window.first_run
    assert panel.isVisible() and not window.empty_label.isVisible()
    assert "nothing you type leaves it" in panel.privacy.text()
    assert window.open_button.text() == "I already have a GGUF file…"
    assert window.open_button.isVisible()
    # every model to chat with, the reasoning and code ones labelled; not the embedding one
    models = [m for m in recommended() if m.kind != "embedding"]
    assert panel.table.rowCount() == len(models) == len(recommended()) - 1
    kinds = [panel.table.item(row, 1).text() for row in range(len(models))]
    assert kinds == ["Chat"] * 4 + ["Reasoning", "Code"]
    assert "thinks step by step" in panel.table.item(4, 1).toolTip()
    qtbot.waitUntil(lambda: _fits_shown(panel), timeout=TIMEOUT)
    for row, model in enumerate(models):
        assert panel.table.item(row, 0).text().startswith(model.name)
        assert panel.table.item(row, 2).text().endswith(("MB", "GB"))
        fit = panel.table.item(row, 3)
        assert fit.text().startswith(FIT_LABELS), fit.text()
        assert "weights" in fit.toolTip() and "RAM available" in fit.toolTip()
    assert "nomic-embed-text-v1.5.Q8_0.gguf" not in panel.buttons
    # The chat models' memory grows with the model, smallest first: 1B up to 4B; the code model
    # (7B) needs the most.
    units = {"KB": 1e3, "MB": 1e6, "GB": 1e9}
    needs = []
    for row in range(len(models)):
        amount, unit = panel.table.item(row, 3).text().split(" · needs ")[1].split()
        needs.append(float(amount) * units[unit])
    assert needs[:3] == sorted(needs[:3]) and max(needs) == needs[-1] > 3 * needs[0]
    # one line a row for the kind, the size and the fit: nothing there wraps
    for row in range(len(models)):
        for col in (1, 2, 3):
            item = panel.table.item(row, col)
            width = panel.table.fontMetrics().horizontalAdvance(item.text())
            assert "\n" not in item.text() and width < panel.table.columnWidth(col), item.text()


def test_first_run_download_loads_the_model_when_it_arrives(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = serve_recommended(hub, monkeypatch, tiny_model.read_bytes())
    window: MainWindow = make_window()
    button = window.first_run.buttons[first.filename]
    with qtbot.waitSignal(window.model_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.model is not None and window.model.info.name == "Tiny Test Chat"
    assert Path(window.model.info.path).name == first.filename
    assert button.text() == "Downloaded"
    assert not window.first_run.isVisible()  # the window is ready to chat
    assert window.models_dialog is not None
    assert window.models_dialog.tabs.currentIndex() == 1  # the download was shown as it ran


def test_no_network_request_until_the_user_searches(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    connections: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # As a fresh process on a user's machine has it: huggingface_hub's telemetry switch at its
    # default, and its agent registry neither loaded (a private cache) nor saved on disk.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", False)
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(tmp_path / "harnesses.json"))
    monkeypatch.setattr(_detect_agent, "_registry", None)
    hub.add_repo("tester/tiny-chat-GGUF", {"tiny-Q4_K_M.gguf": b"GGUF"})
    window: MainWindow = make_window()
    qtbot.waitUntil(lambda: _fits_shown(window.first_run), timeout=TIMEOUT)
    window.open_models()  # the model manager: Recommended list, library scan, downloads
    dialog = window.models_dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.library_shown, timeout=TIMEOUT):
        dialog.refresh_library()
    qtbot.waitUntil(lambda: dialog.files_table.item(0, 3).text() != "checking…", timeout=TIMEOUT)
    assert connections == [] and hub.requests == []

    dialog.search_box.setText("tiny")
    with qtbot.waitSignal(dialog.results_shown, timeout=TIMEOUT):
        dialog.search()
    assert [r.path.split("?")[0] for r in hub.requests] == ["/api/models"]  # the search alone
    host, port = hub.url.removeprefix("http://").split(":")
    assert set(connections) == {(host, int(port))}  # the recorder sees them: only to the Hub


def test_about_names_the_version_and_what_it_runs_on(
    make_window: MakeWindow,
) -> None:
    from chatapp import __version__
    from chatapp.core.inference.engine import build_info

    text = make_window().about_text()
    assert f"chatapp {__version__}" in text
    assert f"llama.cpp: {build_info().backend}" in text
    assert "No telemetry" in text


def test_the_app_icon_is_found_in_every_size(qtbot: QtBot) -> None:
    from chatapp.ui.app import app_icon

    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == {16, 24, 32, 48, 64, 128, 256, 512}
    assert not icon.pixmap(48, 48).toImage().isNull()


@pytest.mark.parametrize("why", ["offline mode is on", "cannot reach the Hugging Face Hub"])
def test_a_first_run_download_that_cannot_start_says_why_and_can_be_retried(
    qtbot: QtBot,
    make_window: MakeWindow,
    request: pytest.FixtureRequest,
    why: str,
) -> None:
    if why.startswith("cannot reach"):  # online, but nothing answers at the Hub's address
        request.getfixturevalue("hub").stop()
    # else no Hub fixture: HF_HUB_OFFLINE=1 holds, as for a user who chose offline mode
    window: MainWindow = make_window()
    first = recommended()[0]
    button = window.first_run.buttons[first.filename]
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown.args[0].startswith(f"The download could not start: {why}")
    assert button.text() == "Try again" and button.isEnabled()
    assert window.model is None and window.first_run.isVisible()
    dialog = window.models_dialog  # the model manager shows the reason and the list again
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.files_table.rowCount() == len(recommended()), timeout=TIMEOUT)
    assert dialog.status.text().startswith(why)


def test_a_returning_user_sees_the_last_model_load_not_the_first_run_list(
    qtbot: QtBot,
    make_window: MakeWindow,
    tiny_model: Path,
    tmp_path: Path,
) -> None:
    from chatapp.core.config.appsettings import SETTINGS_FILENAME, AppSettings, SettingsFile

    data = tmp_path / "data"
    data.mkdir()
    SettingsFile(data / SETTINGS_FILENAME).save(AppSettings().with_recent_model(str(tiny_model)))
    window: MainWindow = make_window(data=data)
    assert not window.first_run.isVisible()
    assert window.empty_label.text().startswith(f"<h2>Loading {tiny_model.name}")
    qtbot.waitUntil(lambda: window.model is not None, timeout=TIMEOUT)
    assert not window.first_run.isVisible()
    assert window.empty_label.text().startswith("<h2>Tiny Test Chat")


def test_first_run_download_shown_again_then_cancelled_can_start_over(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 4 MiB at 1 MB/s: progress (every 256 KiB) comes while there is time to click and cancel
    first = serve_recommended(hub, monkeypatch, bytes(4 << 20))
    hub.bytes_per_second = 1_000_000
    window: MainWindow = make_window()
    button = window.first_run.buttons[first.filename]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.models_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: button.text().endswith("%"), timeout=TIMEOUT)
    dialog.tabs.setCurrentIndex(0)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # again, while it downloads
    assert window.models_dialog is dialog and dialog.tabs.currentIndex() == 1  # shown, not new
    assert len(dialog.services.downloader.queue.items()) == 1  # and not queued twice

    dialog.downloads.selectRow(0)
    with qtbot.waitSignal(dialog.download_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: button.text() == "Download", timeout=TIMEOUT)
    assert window.model is None and window.first_run.isVisible()


def test_a_recommended_file_missing_from_its_repository_is_reported(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
) -> None:
    first = recommended()[0]
    hub.add_repo(first.repo_id, {"renamed-Q4_K_M.gguf": b"GGUF"})
    window: MainWindow = make_window()
    button = window.first_run.buttons[first.filename]
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown.args[0] == (
        f"The download could not start: {first.repo_id} no longer has {first.filename}"
    )
    assert button.text() == "Try again"


def test_a_first_run_download_that_fails_its_checksum_says_so(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = serve_recommended(hub, monkeypatch, tiny_model.read_bytes())
    # the bytes that arrive are not the Hub's (header reads for the fit take some faults too)
    hub.fail(first.filename, "corrupt", times=10)
    window: MainWindow = make_window()
    button = window.first_run.buttons[first.filename]
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert shown.args[0].startswith(f"Downloading {first.filename} failed: ")
    assert "arrived damaged" in shown.args[0] and "deleted" in shown.args[0]
    assert button.text() == "Try again" and window.model is None


def test_a_recommended_file_the_hub_replaced_is_not_downloaded(
    qtbot: QtBot,
    make_window: MakeWindow,
    hub: FakeHub,
    tiny_model: Path,
) -> None:
    """The Hub serves another file under the recommended name (a re-upload, or not the file
    chatapp vetted): its SHA-256 is not the list's, so nothing is downloaded, and the user is
    told why and what to do."""
    first = recommended()[0]
    hub.add_repo(first.repo_id, {first.filename: tiny_model.read_bytes()})
    window: MainWindow = make_window()
    button = window.first_run.buttons[first.filename]
    with qtbot.waitSignal(window.error_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    said = shown.args[0]
    assert said.startswith(
        f"The download could not start: {first.repo_id} now serves another {first.filename} "
        "than the one chatapp recommends (SHA-256 "
    ), said
    assert f"not {first.sha256[:12]}…" in said and "not downloaded" in said
    assert button.text() == "Try again" and window.model is None
    dialog = window.models_dialog
    assert dialog is not None and dialog.services.downloader.queue.items() == []  # not queued


def test_every_recommended_model_names_its_exact_file_and_fits_offline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a user relies on: each entry names one file by its exact size and SHA-256 (a
    download must match them), says what it is for, and its fit is estimated with no network
    at all, from the shape the list carries."""
    import re

    from chatapp.core.models.fit import kv_cache_bytes
    from chatapp.core.models.hardware import Device, Machine

    def no_network(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the fit estimate asked the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    models = recommended()
    assert len({m.filename for m in models}) == len(models)
    assert {m.kind for m in models} == {"chat", "reasoning", "code", "embedding"}
    assert [m.kind for m in models].count("embedding") == 1
    assert sum(m.kind == "chat" for m in models) >= 3
    laptop = Machine(ram_available=16 * 10**9, ram_total=16 * 10**9, gpus=())
    gpu = Device("CUDA0", "Test GPU", "gpu", 8 * 10**9, 8 * 10**9)
    small_gpu = Machine(ram_available=8 * 10**9, ram_total=8 * 10**9, gpus=(gpu,))
    for m in models:
        assert re.fullmatch(r"[0-9a-f]{64}", m.sha256), m.name
        assert m.size > 100 * 10**6 and m.filename.endswith(".gguf"), m.name
        assert m.quantization in m.filename.upper().replace(".", "_"), m.name
        assert m.about and m.kind_label and m.can_chat == (m.kind != "embedding")
        assert m.n_head % m.n_head_kv == 0 and m.n_layer > 0, m.name
        fit = m.fit(8192, laptop)
        assert fit.weights_bytes == m.size and fit.label == "CPU only", m.name
        assert fit.n_ctx == min(8192, m.context_length)
        # the cache is counted with the model's real head size (Qwen3's and Gemma 3's heads are
        # not width / heads wide)
        head = m.head_dim or m.n_embd // m.n_head
        assert fit.kv_bytes == kv_cache_bytes(m.info(), fit.n_ctx)
        assert fit.kv_bytes == 2 * m.n_layer * fit.n_ctx * m.n_head_kv * head * 2
        assert m.fit(8192, small_gpu).verdict.value in ("fits on GPU", "partly on GPU")
