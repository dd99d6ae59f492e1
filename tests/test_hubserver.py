# ruff: noqa: F811 (pytest fixtures imported from tests.hubserver are redefined as arguments)
"""The fake Hub in tests/hubserver.py, driven by the real huggingface_hub client.

These tests pin down what huggingface_hub 2.x actually does against a Hub (requests, cache
layout, resume, errors), so that the app's hub code and its tests can rely on it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import httpx2
import pytest
from huggingface_hub import HfApi, ModelCard, constants, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
)

from tests.hubserver import COMMIT, HubServer, fast_retries, hub  # noqa: F401 (fixtures)

REPO = "org/Qwen3-0.6B-GGUF"
FILE = "Qwen3-0.6B-Q4_K_M.gguf"
DATA = os.urandom(50_000)  # one body, several 4 KiB client chunks, and a bit


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    """The client writes (and can resume from) whole DOWNLOAD_CHUNK_SIZE chunks (10 MiB)."""
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    return 4096


def blobs_dir(hub: HubServer, repo_id: str = REPO) -> Path:
    return Path(constants.HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "blobs"


def test_list_models_searches_filters_and_sorts(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA}, downloads=500, likes=30)
    hub.add_repo("bartowski/qwen2.5-1.5b-instruct-GGUF", {"q.gguf": b"q"}, downloads=900, likes=3)
    hub.add_repo("someone/Qwen-tiny-gguf", {"t.gguf": b"t"}, downloads=10, likes=99)
    hub.add_repo("org/llama-GGUF", {"l.gguf": b"l"}, downloads=10_000)
    hub.add_repo("org/qwen-safetensors", {"m.safetensors": b"m"}, downloads=5, tags=["x"])

    api = HfApi()
    by_downloads = list(api.list_models(search="qwen", filter="gguf", sort="downloads", limit=10))
    assert [m.id for m in by_downloads] == [
        "bartowski/qwen2.5-1.5b-instruct-GGUF",
        REPO,
        "someone/Qwen-tiny-gguf",
    ]
    assert [(m.downloads, m.likes) for m in by_downloads] == [(900, 3), (500, 30), (10, 99)]
    assert by_downloads[1].author == "org" and by_downloads[1].gated is False
    assert by_downloads[1].last_modified is not None and by_downloads[1].sha == COMMIT

    by_likes = api.list_models(search="qwen", filter="gguf", sort="likes", limit=2)
    assert [m.id for m in by_likes] == ["someone/Qwen-tiny-gguf", REPO]

    (request,) = [
        r for r in hub.requests if r.path == "/api/models" and r.query["sort"] == ["likes"]
    ]
    assert request.query == {
        "search": ["qwen"],
        "filter": ["gguf"],
        "sort": ["likes"],
        "limit": ["2"],
    }  # the client sends no "direction": the Hub sorts descending

    (lean,) = api.list_models(search="tiny", expand=["downloads", "gguf"])
    assert lean.downloads == 10 and lean.likes is None  # expand: only what was asked for


def test_list_models_follows_pages(hub: HubServer) -> None:
    for i in range(5):
        hub.add_repo(f"org/m{i}-gguf", {"m.gguf": b"m"}, downloads=i)
    hub.page_size = 2
    assert [m.id for m in HfApi().list_models(sort="downloads")] == [
        f"org/m{i}-gguf" for i in (4, 3, 2, 1, 0)
    ]
    assert len([r for r in hub.requests if r.path == "/api/models"]) == 3


def test_model_info_with_files_metadata(hub: HubServer) -> None:
    card = "---\nlicense: apache-2.0\nbase_model: Qwen/Qwen3-0.6B\n---\n# Qwen3 0.6B GGUF\n"
    gguf = {"total": 596_049_920, "architecture": "qwen3", "context_length": 40960}
    hub.add_repo(
        REPO, {FILE: DATA, "Qwen3-0.6B-Q8_0.gguf": b"8" * 100}, card=card, extra={"gguf": gguf}
    )

    info = HfApi().model_info(REPO, files_metadata=True)
    assert info.sha == COMMIT and info.gguf == gguf
    assert info.card_data is not None and info.card_data["license"] == "apache-2.0"
    siblings = {s.rfilename: s for s in info.siblings or []}
    assert set(siblings) == {FILE, "Qwen3-0.6B-Q8_0.gguf", "README.md"}
    assert siblings[FILE].size == len(DATA)
    assert siblings[FILE].lfs is not None
    assert siblings[FILE].lfs.sha256 == hashlib.sha256(DATA).hexdigest()
    assert siblings[FILE].lfs.size == len(DATA)
    assert siblings["README.md"].lfs is None and siblings["README.md"].size == len(card)

    bare = HfApi().model_info(REPO)  # without ?blobs=true the Hub gives names only
    assert {s.size for s in bare.siblings or []} == {None}
    assert HfApi().model_info(REPO, revision=COMMIT).id == REPO
    assert [r.query for r in hub.requests] == [{"blobs": ["true"]}, {}, {}]


def test_tree_and_file_list(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA, "imatrix/calib.dat": b"c"})
    api = HfApi()
    assert sorted(api.list_repo_files(REPO)) == sorted([FILE, "README.md", "imatrix/calib.dat"])
    top = {e.path: e for e in api.list_repo_tree(REPO)}
    assert set(top) == {FILE, "README.md", "imatrix"}
    assert top[FILE].lfs is not None and top[FILE].lfs.sha256 == hashlib.sha256(DATA).hexdigest()


def test_download_then_cache_hit(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    path = Path(hf_hub_download(REPO, FILE))
    assert path.read_bytes() == DATA
    sha256 = hashlib.sha256(DATA).hexdigest()
    # <HF_HUB_CACHE>/models--org--name/snapshots/<commit>/<file> -> ../../blobs/<sha256>
    assert (
        path
        == Path(constants.HF_HUB_CACHE)
        / "models--org--Qwen3-0.6B-GGUF"
        / "snapshots"
        / COMMIT
        / FILE
    )
    assert path.resolve() == blobs_dir(hub) / sha256
    assert [(r.method, r.range) for r in hub.requests] == [("HEAD", None), ("GET", None)]
    assert hub.requests[1].headers["x-hf-download-counter"] == "1"

    hub.clear_requests()
    assert Path(hf_hub_download(REPO, FILE)) == path
    assert [r.method for r in hub.requests] == ["HEAD"]  # a cache hit still asks for metadata

    hub.clear_requests()
    assert Path(hf_hub_download(REPO, FILE, revision=COMMIT)) == path
    assert hub.requests == []  # ... unless the revision is a commit id already in the cache


def test_model_card_comes_through_resolve(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA}, card="---\nlicense: mit\n---\n# Hello\n")
    card = ModelCard.load(REPO)
    assert card.data.license == "mit" and "# Hello" in card.text
    assert [(r.method, r.path) for r in hub.requests] == [
        ("HEAD", f"/{REPO}/resolve/main/README.md"),
        ("GET", f"/{REPO}/resolve/main/README.md"),
    ]


def test_dropped_body_is_resumed_with_range_within_the_call(
    hub: HubServer, small_chunks: int, fast_retries: list[float]
) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "drop", after_bytes=20_000)
    path = hf_hub_download(REPO, FILE)
    assert Path(path).read_bytes() == DATA
    resumed_at = 20_000 // small_chunks * small_chunks  # whole chunks only: 16384
    assert [(r.method, r.range) for r in hub.requests] == [
        ("HEAD", None),
        ("GET", None),
        ("GET", f"bytes={resumed_at}-"),
    ]
    assert fast_retries == [1]  # http_get waits 1 s before resuming


def test_failed_download_leaves_no_partial_file(
    hub: HubServer, small_chunks: int, fast_retries: list[float]
) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "drop", after_bytes=20_000)
    hub.fail(FILE, "status", code=500)  # the resume attempt fails for good
    with pytest.raises(HfHubHTTPError) as failed:
        hf_hub_download(REPO, FILE)
    assert failed.value.response.status_code == 500
    assert [r.range for r in hub.file_requests(FILE)] == [None, "bytes=16384-"]
    # the partial "<sha256>.<random>.incomplete" was deleted: nothing to resume from
    assert list(blobs_dir(hub).iterdir()) == []

    hub.clear_requests()
    assert Path(hf_hub_download(REPO, FILE)).read_bytes() == DATA
    assert [(r.method, r.range) for r in hub.requests] == [("HEAD", None), ("GET", None)]


def test_stall_is_a_read_timeout_then_a_resume(
    hub: HubServer, small_chunks: int, fast_retries: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 0.3)  # read at each GET
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "stall", after_bytes=20_000, seconds=5)
    assert Path(hf_hub_download(REPO, FILE)).read_bytes() == DATA
    assert [r.range for r in hub.file_requests(FILE)] == [None, "bytes=16384-"]


def test_drops_past_the_retries_raise_the_transport_error(
    hub: HubServer, fast_retries: list[float]
) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "drop", after_bytes=100, times=6)
    with pytest.raises(httpx2.RemoteProtocolError):
        hf_hub_download(REPO, FILE)
    assert len(hub.file_requests(FILE)) == 6  # one try and five retries
    assert list(blobs_dir(hub).iterdir()) == []


def test_corrupt_bytes_get_past_the_client(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "corrupt")
    path = Path(hf_hub_download(REPO, FILE))
    got = path.read_bytes()
    assert len(got) == len(DATA) and got != DATA
    assert sum(a != b for a, b in zip(got, DATA, strict=True)) == 1
    assert path.resolve().name == hashlib.sha256(DATA).hexdigest()  # named for the real sha256


def test_server_error_raises_hf_http_error(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    hub.fail(FILE, "status", code=500)
    with pytest.raises(HfHubHTTPError) as failed:
        hf_hub_download(REPO, FILE)
    assert type(failed.value) is HfHubHTTPError and failed.value.response.status_code == 500
    assert Path(hf_hub_download(REPO, FILE)).read_bytes() == DATA  # the fault was used up


def test_missing_repo_and_file(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    with pytest.raises(RepositoryNotFoundError) as no_repo:
        hf_hub_download("org/nothing-here", FILE)
    assert type(no_repo.value) is RepositoryNotFoundError
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(REPO, "nothing.gguf")
    with pytest.raises(RepositoryNotFoundError):
        HfApi().model_info("org/nothing-here")


def test_gated_repo_needs_the_token(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA}, gated=True)
    assert HfApi().model_info(REPO).gated == "manual"  # metadata is public

    with pytest.raises(GatedRepoError) as anonymous:  # a subclass of RepositoryNotFoundError
        hf_hub_download(REPO, FILE)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as wrong:
        hf_hub_download(REPO, FILE, token="hf_not_the_right_one")
    assert wrong.value.response.status_code == 403

    assert Path(hf_hub_download(REPO, FILE, token=hub.token)).read_bytes() == DATA
    assert hub.requests[-1].headers["authorization"] == f"Bearer {hub.token}"


def test_lfs_redirect_to_a_cdn_drops_the_token(hub: HubServer) -> None:
    hub.add_repo(REPO, {FILE: DATA}, gated=True)
    hub.redirect_lfs = True
    assert Path(hf_hub_download(REPO, FILE, token=hub.token)).read_bytes() == DATA
    head, get = hub.requests
    assert head.method == "HEAD" and head.path.startswith(f"/{REPO}/resolve/")
    assert get.method == "GET" and get.path.startswith("/cdn/")
    assert "authorization" not in get.headers and get.headers["host"].startswith("localhost:")


def test_offline_mode_uses_the_cache_and_sends_nothing(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.add_repo(REPO, {FILE: DATA})
    path = hf_hub_download(REPO, FILE)
    hub.clear_requests()

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # for whoever reads the environment
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what the library reads
    assert hf_hub_download(REPO, FILE) == path
    with pytest.raises(LocalEntryNotFoundError):
        hf_hub_download(REPO, "README.md")
    with pytest.raises(OfflineModeIsEnabled):
        HfApi().model_info(REPO)
    assert hub.requests == []


class Progress:
    """A stand-in for tqdm: huggingface_hub only constructs it, enters it and calls update()."""

    made: ClassVar[list[Progress]] = []
    abort_after: ClassVar[int | None] = None

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.updates: list[int] = []
        self.closed_with: type[BaseException] | None = None
        Progress.made.append(self)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.closed_with = exc_type

    def update(self, n: int) -> None:
        self.updates.append(n)
        if Progress.abort_after is not None and sum(self.updates) >= Progress.abort_after:
            raise InterruptedError("cancelled")


def test_progress_gets_chunk_updates_and_can_abort(
    hub: HubServer, small_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Progress, "made", [])
    hub.add_repo(REPO, {FILE: DATA})
    hub.throttle(500_000)
    began = time.monotonic()
    hf_hub_download(REPO, FILE, tqdm_class=Progress)  # type: ignore[arg-type]
    assert time.monotonic() - began >= 0.08
    (bar,) = Progress.made
    assert bar.kwargs["total"] == len(DATA) and bar.kwargs["initial"] == 0
    assert bar.updates[:-1] == [small_chunks] * (len(DATA) // small_chunks)
    assert sum(bar.updates) == len(DATA)

    hub.throttle(None)
    monkeypatch.setattr(Progress, "abort_after", 20_000)
    with pytest.raises(InterruptedError):
        hf_hub_download(REPO, FILE, tqdm_class=Progress, force_download=True)  # type: ignore[arg-type]
    assert Progress.made[-1].closed_with is InterruptedError
    assert [p.name for p in blobs_dir(hub).iterdir()] == [hashlib.sha256(DATA).hexdigest()]


def test_stop_does_not_wait_for_a_stalled_download() -> None:
    with HubServer() as server:
        server.add_repo(REPO, {FILE: DATA})
        server.fail(FILE, "stall", after_bytes=1000, seconds=60)
        got: list[bytes | BaseException] = []

        def fetch() -> None:
            try:
                with urllib.request.urlopen(server.resolve_url(REPO, FILE), timeout=30) as r:
                    got.append(r.read())
            except Exception as e:
                got.append(e)

        reader = threading.Thread(target=fetch, daemon=True)
        reader.start()
        while not server.file_requests(FILE):
            time.sleep(0.01)
        time.sleep(0.1)
        began = time.monotonic()
    assert time.monotonic() - began < 2
    reader.join(timeout=5)
    assert not reader.is_alive() and len(got) == 1 and got[0] != DATA
