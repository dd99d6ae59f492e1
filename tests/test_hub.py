"""Search, list, fit, download — the real huggingface_hub client against a local fake Hub."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from chatapp.core.models.downloads import Downloader, Progress, Queue, State
from chatapp.core.models.hub import Hub, NeedsTokenError, OfflineError
from chatapp.core.models.library import Library
from tests.fakehub import FakeHub

REPO = "tester/tiny-chat-GGUF"


@pytest.fixture
def tiny_repo(
    hub: FakeHub,
    tiny_model: Path,
    quantized_model: Path,
    long_model: Path,
) -> FakeHub:
    hub.add_repo(
        REPO,
        {
            "tiny-chat-F32.gguf": tiny_model.read_bytes(),
            "tiny-long-F32.gguf": long_model.read_bytes(),
            "tiny-chat-Q4_K_M.gguf": quantized_model.read_bytes(),
            "README.md": b"---\nlicense: mit\n---\n# Tiny chat\nA very small test model.\n",
        },
        downloads=500,
        likes=7,
    )
    hub.add_repo("other/qwen-tiny-GGUF", {"q-Q8_0.gguf": b"GGUF" + b"\0" * 100}, downloads=900)
    hub.add_repo("other/not-gguf", {"model.safetensors": b"x"}, downloads=10_000, tags=["pt"])
    return hub


def test_search_lists_gguf_repos_most_downloaded_first(tiny_repo: FakeHub) -> None:
    found = Hub().search("")
    assert [m.repo_id for m in found] == ["other/qwen-tiny-GGUF", REPO]
    assert found[1].downloads == 500 and found[1].likes == 7 and found[1].author == "tester"
    assert [m.repo_id for m in Hub().search("tiny-chat")] == [REPO]


def test_files_carry_quantization_size_checksum_and_a_remote_fit(
    tiny_repo: FakeHub, tiny_model: Path
) -> None:
    hub_client = Hub()
    files = {f.filename: f for f in hub_client.files(REPO)}
    assert {f.quantization for f in files.values()} == {"F32", "Q4_K_M"}
    files["F32"] = files["tiny-chat-F32.gguf"]
    f32 = files["F32"]
    assert f32.size == tiny_model.stat().st_size
    assert f32.sha256["tiny-chat-F32.gguf"] == hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    info = hub_client.read_header(f32)  # range requests, not a download
    assert (info.architecture, info.n_layer, info.context_length) == ("llama", 2, 4096)
    ranged = tiny_repo.file_requests("tiny-chat-F32.gguf")
    assert ranged and all(r.range and r.range.startswith("bytes=0-") for r in ranged)
    assert "A very small test model." in hub_client.card(REPO)


def _downloader(tmp_path: Path, **kw: object) -> Downloader:
    return Downloader(Queue(tmp_path / "downloads.json"), sleep=lambda _s: None, **kw)  # type: ignore[arg-type]


def test_download_reports_progress_verifies_and_joins_the_library(
    tiny_repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    tiny_repo.bytes_per_second = 2_000_000  # slow enough to see progress
    d = _downloader(tmp_path)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    item = d.queue.add(file)
    seen: list[Progress] = []
    done = d.run(item, seen.append)
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == tiny_model.read_bytes()
    assert seen and seen[-1].done == file.size and seen[-1].total == file.size
    assert any(p.speed > 0 for p in seen)
    entries = Library(tmp_path).entries()
    assert [(e.source, e.repo_id, e.name) for e in entries] == [("hub", REPO, "tiny-chat-F32.gguf")]


def test_a_dropped_connection_resumes_where_it_stopped(
    tiny_repo: FakeHub, tmp_path: Path, long_model: Path
) -> None:
    tiny_repo.fail("tiny-long-F32.gguf", "drop", after_bytes=1_500_000, times=1)
    d = _downloader(tmp_path, chunk_bytes=256 * 1024)
    file = next(f for f in Hub().files(REPO) if f.filename == "tiny-long-F32.gguf")
    done = d.run(d.queue.add(file))
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == long_model.read_bytes()
    gets = tiny_repo.file_requests("tiny-long-F32.gguf")
    assert len(gets) == 2 and gets[0].range is None and gets[1].range is not None
    assert int(gets[1].range.removeprefix("bytes=").split("-")[0]) >= 1_000_000


def test_wrong_bytes_are_caught_and_deleted(tiny_repo: FakeHub, tmp_path: Path) -> None:
    tiny_repo.fail("tiny-chat-F32.gguf", "corrupt", times=1)
    d = _downloader(tmp_path)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    done = d.run(d.queue.add(file))
    assert done.state == State.FAILED
    assert "arrived damaged" in done.error and "deleted" in done.error
    assert Library(tmp_path).entries() == []
    blobs = list(Path(tmp_path / "hf-home" / "hub").rglob("blobs/*"))
    assert blobs == []  # nothing damaged is left behind


def test_a_file_replaced_on_the_hub_since_it_was_queued_is_not_fetched(
    tiny_repo: FakeHub, tmp_path: Path
) -> None:
    """Queued with one SHA-256 (the listing's, or a curated list's), served with another: it
    fails before a byte is fetched, and nothing is linked under the Hub's revision."""
    d = _downloader(tmp_path)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    queued = replace(file, sha256={file.filename: "0" * 64})
    done = d.run(d.queue.add(queued))
    assert done.state == State.FAILED
    assert done.error.startswith(
        "the Hub now serves another tiny-chat-F32.gguf (SHA-256 "
        f"{file.sha256[file.filename][:12]}…) than the one queued (000000000000…)"
    ), done.error
    assert tiny_repo.file_requests("tiny-chat-F32.gguf") == []  # the HEAD only
    assert list(Path(tmp_path / "hf-home" / "hub").rglob("snapshots/*/*")) == []


def test_a_recommended_file_is_pinned_to_the_curated_checksum(tiny_repo: FakeHub) -> None:
    """The Hub's entry for a recommended file is queued with the list's SHA-256, and only while
    the Hub lists the same size and SHA-256: another file under the name is refused in words."""
    from chatapp.core.models.hub import CuratedMismatch, recommended

    listed = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    sha = listed.sha256[listed.filename]
    curated = replace(
        recommended()[0], repo_id=REPO, filename=listed.filename, size=listed.size, sha256=sha
    )
    assert curated.pinned(listed).sha256 == {listed.filename: sha}
    assert curated.pinned(replace(listed, sha256={})).sha256 == {listed.filename: sha}
    with pytest.raises(CuratedMismatch, match=r"SHA-256 [0-9a-f]{12}…, not 000000000000…"):
        replace(curated, sha256="0" * 64).pinned(listed)
    with pytest.raises(CuratedMismatch, match=rf"{listed.size:,} bytes, not 1,234"):
        replace(curated, size=1234).pinned(listed)
    with pytest.raises(CuratedMismatch, match="not downloaded"):
        curated.pinned(replace(listed, parts=(listed.filename, "more-00002-of-00002.gguf")))


def test_a_stall_is_retried_and_repeated_failure_says_why(
    tiny_repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    tiny_repo.fail("tiny-chat-F32.gguf", "stall", after_bytes=50_000, seconds=1.5, times=1)
    d = _downloader(tmp_path, stall_seconds=0.5)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    done = d.run(d.queue.add(file))
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == tiny_model.read_bytes()

    tiny_repo.fail("tiny-chat-Q4_K_M.gguf", "status", code=500, times=50)
    q4 = next(f for f in Hub().files(REPO) if f.quantization == "Q4_K_M")
    impatient = _downloader(tmp_path, retry_delays=(0.0, 0.0))
    failed = impatient.run(impatient.queue.add(q4))
    assert failed.state == State.FAILED
    assert "failed 3 times" in failed.error and "500" in failed.error


def test_not_enough_disk_is_refused_before_starting(tiny_repo: FakeHub, tmp_path: Path) -> None:
    d = _downloader(tmp_path, disk_free=lambda _p: 1000)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    done = d.run(d.queue.add(file))
    assert done.state == State.FAILED and "not enough disk space" in done.error
    assert tiny_repo.file_requests("tiny-chat-F32.gguf") == []


def test_a_gated_repo_asks_for_a_token(hub: FakeHub, tiny_model: Path) -> None:
    hub.add_repo("corp/gated-GGUF", {"g-Q8_0.gguf": tiny_model.read_bytes()}, gated=True)
    with pytest.raises(NeedsTokenError, match="gated"):
        Hub().files("corp/gated-GGUF")
    files = Hub(token=hub.token).files("corp/gated-GGUF")
    assert [f.filename for f in files] == ["g-Q8_0.gguf"]


def test_offline_mode_makes_no_request(tiny_repo: FakeHub, tmp_path: Path) -> None:
    before = len(tiny_repo.requests)
    offline = Hub(offline=True)
    with pytest.raises(OfflineError):
        offline.search("tiny")
    with pytest.raises(OfflineError):
        offline.files(REPO)
    file = next(f for f in Hub().files(REPO) if f.quantization == "F32")
    before = len(tiny_repo.requests)
    d = _downloader(tmp_path, offline=True)
    done = d.run(d.queue.add(file))
    assert done.state == State.FAILED and "offline" in done.error
    assert len(tiny_repo.requests) == before


def test_pause_then_resume_after_a_restart(
    tiny_repo: FakeHub, tmp_path: Path, long_model: Path
) -> None:
    tiny_repo.bytes_per_second = 8_000_000
    d = _downloader(tmp_path, chunk_bytes=128 * 1024)
    file = next(f for f in Hub().files(REPO) if f.filename == "tiny-long-F32.gguf")
    item = d.queue.add(file)

    def pause_a_third_of_the_way(p: Progress) -> None:
        if p.done > file.size // 3:
            d.pause(item.id)

    paused = d.run(item, pause_a_third_of_the_way)
    assert paused.state == State.PAUSED
    partial = next((tmp_path / "hf-home" / "hub").rglob("*.incomplete"))
    kept = partial.stat().st_size
    assert file.size // 3 < kept < file.size

    restarted = _downloader(tmp_path)  # a new process would read the same queue file
    (again,) = restarted.queue.items()
    assert again.state == State.PAUSED
    restarted.queue.update(again.id, state=State.QUEUED)
    (done,) = restarted.run_all()
    assert done.state == State.DONE, done.error
    assert Path(done.path).read_bytes() == long_model.read_bytes()
    last = tiny_repo.file_requests("tiny-long-F32.gguf")[-1]
    assert last.range == f"bytes={kept}-"  # only the rest was fetched


def test_cancel_forgets_the_download_and_its_partial_file(
    tiny_repo: FakeHub, tmp_path: Path
) -> None:
    tiny_repo.bytes_per_second = 8_000_000
    d = _downloader(tmp_path, chunk_bytes=128 * 1024)
    file = next(f for f in Hub().files(REPO) if f.filename == "tiny-long-F32.gguf")
    item = d.queue.add(file)
    d.run(item, lambda p: d.cancel(item.id) if p.done > file.size // 3 else None)
    assert d.queue.items() == []
    assert list((tmp_path / "hf-home" / "hub").rglob("*.incomplete")) == []


def test_models_commands_from_a_terminal(
    tiny_repo: FakeHub, tmp_path: Path, tiny_model: Path
) -> None:
    from tests.helpers import run_cli

    data = tmp_path / "data"
    found = run_cli("models", "search", "tiny", "--data-dir", data)
    assert found.returncode == 0, found.stderr
    assert REPO in found.stdout and "500" in found.stdout

    files = run_cli("models", "files", REPO, "--data-dir", data)
    assert files.returncode == 0, files.stderr
    assert "tiny-chat-F32.gguf" in files.stdout and "Q4_K_M" in files.stdout
    assert "CPU only" in files.stdout or "GPU" in files.stdout
    assert "recommended" in files.stdout

    got = run_cli("models", "download", REPO, "tiny-chat-F32.gguf", "--data-dir", data)
    assert got.returncode == 0, got.stderr
    assert Path(got.stdout.strip()).read_bytes() == tiny_model.read_bytes()
    assert "100.0%" in got.stderr  # progress went to stderr
    listed = run_cli("models", "list", "--data-dir", data)
    assert "tiny-chat-F32.gguf" in listed.stdout and "[hub]" in listed.stdout

    missing = run_cli("models", "download", REPO, "nope.gguf", "--data-dir", data)
    assert missing.returncode == 1 and "has no GGUF file nope.gguf" in missing.stderr
    offline = run_cli("models", "search", "tiny", "--offline", "--data-dir", data)
    assert offline.returncode == 1 and "offline" in offline.stderr
    assert len(offline.stderr.strip().splitlines()) == 1
