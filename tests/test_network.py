"""A Hub that stalls, resets or cannot be found: the real huggingface_hub client's helpers and our
HTTP client against the local fake Hub (tests/fakehub.py), on 127.0.0.1 only.

What a user would notice: a listing or header read that gives up (and how soon), the reason shown
instead of a fit, a download that retries then fails in one clear line and is never linked as a
model, a missing network reported at once with the offline switch, and a window that closes at
once while a server is silent.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import gguf
import pytest

from chatapp.core.models.downloads import Downloader, Item, Queue, State
from chatapp.core.models.hub import Cancelled, Hub, HubError, Unreachable
from chatapp.core.models.library import Library
from tests.fakehub import FakeHub

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from tests.helpers import MakeWindow

REPO = "tester/tiny-chat-GGUF"
F32 = "tiny-chat-F32.gguf"
LONG = "tiny-long-F32.gguf"
SIGNAL_WAIT = 20  # seconds: only how long a broken test hangs, not a bound on anything


@pytest.fixture
def repo(hub: FakeHub, tiny_model: Path, long_model: Path) -> FakeHub:
    hub.add_repo(
        REPO,
        {
            F32: tiny_model.read_bytes(),
            LONG: long_model.read_bytes(),
            "README.md": b"# Tiny chat\nA very small test model.\n",
        },
        downloads=500,
    )
    return hub


def _downloader(tmp_path: Path, slept: list[float] | None = None, **kw: object) -> Downloader:
    sleep = slept.append if slept is not None else (lambda _s: None)
    return Downloader(Queue(tmp_path / "downloads.json"), sleep=sleep, **kw)  # type: ignore[arg-type]


def _file(name: str) -> object:
    return next(f for f in Hub().files(REPO) if f.filename == name)


def _linked_models(tmp_path: Path) -> list[str]:
    """What the library (and any Hugging Face tool) sees as downloaded."""
    return [e.name for e in Library(tmp_path).entries()]


# -- header reads, listings, search: a silent server ---------------------------------------------


@pytest.mark.parametrize("where", ["half the GGUF header", "half the HTTP headers"])
def test_a_stalled_header_read_gives_up_and_the_file_is_listed_without_a_fit(
    repo: FakeHub, tiny_model: Path, where: str
) -> None:
    if where == "half the GGUF header":
        half = int(gguf.GGUFReader(tiny_model).data_offset) // 2
        repo.fail(F32, "stall", after_bytes=half, seconds=10)
    else:
        repo.fail(F32, "stall_headers", seconds=10)
    patient = Hub(read_timeout=1.0)
    files = patient.files(REPO)
    began = time.monotonic()
    fits = dict((f.filename, fit) for f, fit in patient.fits(files, 2048))
    took = time.monotonic() - began
    assert set(fits) == {F32, LONG}  # both listed
    reason = fits[F32]
    assert isinstance(reason, str)
    assert reason.startswith("could not read the header: the server stopped sending"), reason
    assert not isinstance(fits[LONG], str)  # the other file still gets its fit
    assert 0.9 < took < 3.0, took  # the 1 s read timeout, not the 10 s stall


def test_a_stalled_search_or_listing_gives_up_in_words(repo: FakeHub) -> None:
    patient = Hub(read_timeout=1.0)
    repo.fail("api/models", "stall", seconds=10)
    began = time.monotonic()
    with pytest.raises(HubError, match="searching the Hub failed: the server stopped sending"):
        patient.search("tiny")
    assert time.monotonic() - began < 3.0
    repo.fail(f"api/models/{REPO}", "stall_headers", seconds=10)
    with pytest.raises(HubError, match=f"listing {REPO} failed: the server stopped sending"):
        patient.files(REPO)
    assert [m.repo_id for m in patient.search("tiny")] == [REPO]  # and then it works again


def test_the_cli_lists_a_file_whose_header_stalls_with_the_reason(
    repo: FakeHub, tmp_path: Path
) -> None:
    from tests.helpers import run_cli

    repo.fail(F32, "stall", after_bytes=100, seconds=15)
    began = time.monotonic()
    shown = run_cli("models", "files", REPO, "--timeout", "1", "--data-dir", tmp_path)
    took = time.monotonic() - began
    assert shown.returncode == 0, shown.stderr
    row = next(line for line in shown.stdout.splitlines() if line.startswith(F32))
    assert "could not read the header: the server stopped sending" in row
    long_row = next(line for line in shown.stdout.splitlines() if line.startswith(LONG))
    assert "CPU only" in long_row or "GPU" in long_row
    assert took < 12.0, took  # gave up after 1 s of silence, not after the 15 s stall


# -- no network at all: at once, pointing to the offline switch ----------------------------------


def _point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )


@pytest.mark.parametrize("why", ["does not resolve", "refused the connection"])
def test_no_network_fails_at_once_and_points_to_offline_mode(
    repo: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    file = _file(F32)
    if why == "does not resolve":  # a reserved name: never resolves, never leaves the machine
        _point_at(monkeypatch, "http://hub.chatapp-test.invalid")
    else:  # nothing listens there any more
        repo.stop()
    began = time.monotonic()
    with pytest.raises(Unreachable) as raised:
        Hub().search("tiny")
    message = str(raised.value)
    assert message.startswith("cannot reach the Hugging Face Hub") and why in message
    assert "offline mode" in message and "--offline" in message

    slept: list[float] = []
    d = _downloader(tmp_path, slept)
    done = d.run(d.queue.add(file))  # type: ignore[arg-type]
    took = time.monotonic() - began
    assert done.state == State.FAILED
    assert done.error.startswith("cannot reach the Hugging Face Hub") and why in done.error
    assert "offline mode" in done.error
    assert slept == []  # not one retry
    assert took < 2.0, took


def test_the_cli_says_in_one_line_that_the_hub_cannot_be_reached(
    repo: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import run_cli

    monkeypatch.setenv("HF_ENDPOINT", "http://hub.chatapp-test.invalid")
    found = run_cli("models", "search", "tiny", "--data-dir", tmp_path)
    assert found.returncode == 1
    (line,) = found.stderr.strip().splitlines()
    assert "cannot reach the Hugging Face Hub" in line and "does not resolve" in line
    assert "are you offline?" in line and "--offline" in line


# -- downloads: stalls and resets are retried with back-off, then fail clearly -------------------


def test_a_download_that_keeps_stalling_fails_clearly_and_is_never_linked(
    repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    repo.fail(F32, "stall", after_bytes=60_000, seconds=10, times=3)
    slept: list[float] = []
    d = _downloader(tmp_path, slept, stall_seconds=0.5, retry_delays=(0.25, 0.5))
    file = _file(F32)
    failed = d.run(d.queue.add(file))  # type: ignore[arg-type]
    assert failed.state == State.FAILED
    assert "failed 3 times" in failed.error
    assert "the server stopped sending" in failed.error
    assert "Start it again to resume" in failed.error
    assert slept == [0.25, 0.5]  # back-off between the tries
    assert _linked_models(tmp_path) == []  # its bytes are not a model
    assert not list((tmp_path / "hf-home" / "hub").rglob("snapshots/*/*"))
    (partial,) = (tmp_path / "hf-home" / "hub").rglob("*.incomplete")
    kept = partial.stat().st_size
    assert kept == 3 * 60_000  # each try resumed where the one before stalled; all kept

    d.queue.update(failed.id, state=State.QUEUED)  # the user starts it again; the server is fine
    (done,) = d.run_all()
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == tiny_model.read_bytes()
    assert repo.file_requests(F32)[-1].range == f"bytes={kept}-"  # only the rest was fetched
    assert _linked_models(tmp_path) == [F32]


def test_a_reset_connection_is_retried_with_back_off(
    repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    repo.fail(F32, "refuse", times=2)
    slept: list[float] = []
    d = _downloader(tmp_path, slept, retry_delays=(0.1, 0.2, 0.4))
    done = d.run(d.queue.add(_file(F32)))  # type: ignore[arg-type]
    assert done.state == State.DONE, done.error
    assert slept == [0.1, 0.2]
    assert Path(done.path).read_bytes() == tiny_model.read_bytes()


# -- cancelling: nothing waits for a silent server -----------------------------------------------


def test_cancel_ends_a_stalled_read_from_another_thread_at_once(repo: FakeHub) -> None:
    import threading

    repo.fail(F32, "stall", after_bytes=100, seconds=15)
    slow = Hub()  # the default 30 s read timeout: only cancel() can end it sooner
    file = next(f for f in slow.files(REPO) if f.filename == F32)
    raised: list[BaseException] = []
    ended = threading.Event()

    def read() -> None:
        try:
            slow.read_header(file)
        except BaseException as exc:
            raised.append(exc)
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    assert repo.stalled.wait(SIGNAL_WAIT)
    began = time.monotonic()
    slow.cancel()
    assert ended.wait(SIGNAL_WAIT)
    assert time.monotonic() - began < 1.0
    assert len(raised) == 1 and isinstance(raised[0], Cancelled)
    with pytest.raises(Cancelled):  # and nothing more is asked of the network
        slow.search("tiny")


def test_closing_during_a_stalled_header_read_takes_under_a_second(
    qtbot: QtBot, repo: FakeHub, tmp_path: Path
) -> None:
    from chatapp.ui.models.model_workers import ModelServices

    repo.fail(F32, "stall", after_bytes=100, seconds=15)
    services = ModelServices(
        Hub(), Downloader(Queue(tmp_path / "downloads.json")), Library(tmp_path)
    )
    try:
        services.hub.files_requested.emit(REPO, 2048)  # list, then read each file's header
        assert repo.stalled.wait(SIGNAL_WAIT)  # the hub thread now waits on a silent server
    finally:
        began = time.monotonic()
        services.stop()
        took = time.monotonic() - began
    assert took < 1.0, took
    assert services.hub_thread.isFinished() and services.download_thread.isFinished()


def test_closing_the_window_during_a_stalled_header_read_takes_under_a_second(
    qtbot: QtBot,
    repo: FakeHub,
    make_window: MakeWindow,
) -> None:
    repo.fail(F32, "stall", after_bytes=100, seconds=15)
    window = make_window()
    dialog = window.open_models()
    with qtbot.waitSignal(dialog.files_shown, timeout=SIGNAL_WAIT * 1000):
        dialog.open_repo(REPO)
    assert repo.stalled.wait(SIGNAL_WAIT)  # the fit column waits on a silent server (30 s timeout)
    began = time.monotonic()
    window.close()
    took = time.monotonic() - began
    assert took < 1.0, took
    assert window.models is not None and window.models.hub_thread.isFinished()


def test_closing_during_a_stalled_download_pauses_it_at_once_to_resume_later(
    qtbot: QtBot, repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    from chatapp.ui.models.model_workers import ModelServices

    repo.fail(F32, "stall", after_bytes=100_000, seconds=15)
    queue = Queue(tmp_path / "downloads.json")
    services = ModelServices(Hub(), Downloader(queue), Library(tmp_path))
    try:
        queued: list[object] = []
        services.add(_file(F32), queued.append)  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: bool(queued), timeout=SIGNAL_WAIT * 1000)
        (item,) = queued
        assert isinstance(item, Item)
        assert repo.stalled.wait(SIGNAL_WAIT)
    finally:
        began = time.monotonic()
        services.stop()
        took = time.monotonic() - began
    assert took < 1.0, took
    (again,) = Queue(tmp_path / "downloads.json").items()  # what the next start finds
    assert again.id == item.id and again.state == State.QUEUED
    (partial,) = (tmp_path / "hf-home" / "hub").rglob("*.incomplete")
    kept = partial.stat().st_size  # what had arrived when the window closed
    assert _linked_models(tmp_path) == []

    (done,) = _downloader(tmp_path).run_all()  # the next start carries on from there
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == tiny_model.read_bytes()
    assert repo.file_requests(F32)[-1].range == (f"bytes={kept}-" if kept else None)


def test_a_pause_during_a_stall_takes_effect_at_once(repo: FakeHub, tmp_path: Path) -> None:
    import threading

    repo.fail(LONG, "stall", after_bytes=300_000, seconds=15)
    d = _downloader(tmp_path)  # a 20 s stall timeout: only the pause can end it sooner
    item = d.queue.add(_file(LONG))  # type: ignore[arg-type]
    result: list[object] = []
    ended = threading.Event()
    threading.Thread(target=lambda: (result.append(d.run(item)), ended.set()), daemon=True).start()
    assert repo.stalled.wait(SIGNAL_WAIT)
    began = time.monotonic()
    d.pause(item.id)
    assert ended.wait(SIGNAL_WAIT)
    assert time.monotonic() - began < 1.0
    assert result[0].state == State.PAUSED  # type: ignore[attr-defined]


def test_the_model_manager_shows_why_a_file_has_no_fit(
    qtbot: QtBot,
    repo: FakeHub,
    make_window: MakeWindow,
) -> None:
    repo.fail(F32, "stall_headers", seconds=10)
    window = make_window()
    dialog = window.open_models()
    assert window.models is not None
    window.models.hub.hub.http.read_timeout = 1.0  # the test's patience, not the user's 30 s
    with qtbot.waitSignal(dialog.files_shown, timeout=SIGNAL_WAIT * 1000):
        dialog.open_repo(REPO)
    row = next(i for i, f in enumerate(dialog.files) if f.filename == F32)
    qtbot.waitUntil(
        lambda: dialog.files_table.item(row, 3).text().startswith("could not read the header"),
        timeout=SIGNAL_WAIT * 1000,
    )
    assert "the server stopped sending" in dialog.files_table.item(row, 3).text()
