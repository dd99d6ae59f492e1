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

import gguf
import pytest

from chatapp.core.hub import Cancelled, Hub, HubError, Unreachable
from tests.fakehub import FakeHub, hub  # noqa: F401  # the fixture

REPO = "tester/tiny-chat-GGUF"
F32 = "tiny-chat-F32.gguf"
LONG = "tiny-long-F32.gguf"
SIGNAL_WAIT = 20  # seconds: only how long a broken test hangs, not a bound on anything


@pytest.fixture
def repo(hub: FakeHub, tiny_model: Path, long_model: Path) -> FakeHub:  # noqa: F811
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
    from tests.conftest import run_cli

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
    repo: FakeHub, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    if why == "does not resolve":  # a reserved name: never resolves, never leaves the machine
        _point_at(monkeypatch, "http://hub.chatapp-test.invalid")
    else:  # nothing listens there any more
        repo.stop()
    began = time.monotonic()
    with pytest.raises(Unreachable) as raised:
        Hub().search("tiny")
    message = str(raised.value)
    assert message.startswith("cannot reach the Hub") and why in message
    assert "offline mode" in message and "--offline" in message
    assert time.monotonic() - began < 1.0


def test_the_cli_says_in_one_line_that_the_hub_cannot_be_reached(
    repo: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import run_cli

    monkeypatch.setenv("HF_ENDPOINT", "http://hub.chatapp-test.invalid")
    found = run_cli("models", "search", "tiny", "--data-dir", tmp_path)
    assert found.returncode == 1
    (line,) = found.stderr.strip().splitlines()
    assert "cannot reach the Hub" in line and "does not resolve" in line and "--offline" in line


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
