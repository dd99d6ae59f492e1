"""Model downloads: a persistent queue, resumable, verified, into huggingface_hub's own cache.

The HTTP side is huggingface_hub's: ``get_hf_file_metadata`` resolves the file (commit, etag,
size, redirect) and ``http_get`` streams it, with its own retries and ``Range`` resume. What we
add is the partial file: huggingface_hub 2.x downloads into a uniquely named temporary file and
deletes it on failure, so a download interrupted by quitting, a crash or a long outage would
start over. We keep the bytes in ``blobs/<sha256>.incomplete`` in the standard cache (the name
older huggingface_hub versions used) and resume from it, across restarts. When the blob is
complete and its SHA-256 matches the Hub's LFS metadata it is moved into place, and
``hf_hub_download`` links it into the snapshot (finding the blob, it downloads nothing), so the
cache is the one every Hugging Face tool shares.

Around that: a persistent queue, a free-disk check before starting, progress with speed and ETA,
pause and cancel, retries with back-off when the connection drops or stalls, and the SHA-256
computed *while* the bytes arrive (a thread hashes each chunk as it is written), so no second pass
over a multi-gigabyte file is needed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, cast

from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
)
from huggingface_hub.file_download import http_get, repo_folder_name
from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]
from tqdm.auto import tqdm

from chatapp.core.atomic import write_text_atomic
from chatapp.core.hub import HubFile, NeedsTokenError, OfflineError, no_telemetry
from chatapp.core.modelinfo import file_size_label

log = logging.getLogger(__name__)

QUEUE_FILENAME = "downloads.json"
DISK_MARGIN = 64 * 1024**2  # keep this much free beyond the file itself


class DownloadError(Exception):
    """A download failed for good; the message says why and what to do."""


class Stopped(Exception):  # control flow, not an error
    """Raised inside the progress callback to pause or cancel a running download."""


class State(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    FAILED = "failed"
    DONE = "done"


@dataclass(frozen=True)
class Item:
    """One queued model file (all parts of a split model)."""

    id: str
    repo_id: str
    filename: str
    parts: tuple[str, ...]
    size: int
    sha256: dict[str, str]
    state: State = State.QUEUED
    error: str = ""
    path: str = ""  # the first part's path once done
    revision: str | None = None

    @classmethod
    def from_file(cls, file: HubFile) -> Item:
        return cls(
            id=uuid.uuid4().hex[:12],
            repo_id=file.repo_id,
            filename=file.filename,
            parts=file.parts,
            size=file.size,
            sha256=dict(file.sha256),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["parts"] = list(self.parts)
        d["state"] = str(self.state)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Item:
        return cls(
            id=str(d["id"]),
            repo_id=str(d["repo_id"]),
            filename=str(d["filename"]),
            parts=tuple(d["parts"]),
            size=int(d["size"]),
            sha256=dict(d.get("sha256", {})),
            state=State(d.get("state", "queued")),
            error=str(d.get("error", "")),
            path=str(d.get("path", "")),
            revision=d.get("revision"),
        )


@dataclass(frozen=True)
class Progress:
    item_id: str
    done: int
    total: int
    speed: float  # bytes per second, smoothed
    eta: float | None  # seconds

    def describe(self) -> str:
        pct = 100.0 * self.done / self.total if self.total else 0.0
        line = f"{pct:5.1f}%  {file_size_label(self.done)} of {file_size_label(self.total)}"
        line += f"  {file_size_label(int(self.speed))}/s"
        if self.eta is not None:
            m, s = divmod(int(self.eta), 60)
            line += f"  {m}:{s:02d} left"
        return line


class Queue:
    """The download queue, saved in the data directory so it survives quitting and crashes.

    Thread-safe: the downloader thread updates states while the window adds and removes items.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._items: list[Item] = []
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self._items = [Item.from_dict(d) for d in raw.get("items", [])]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("download queue %s unreadable, starting empty: %s", path, exc)
        # a download that was running when the app stopped resumes as queued
        self._items = [
            replace(i, state=State.QUEUED) if i.state == State.DOWNLOADING else i
            for i in self._items
        ]

    def items(self) -> list[Item]:
        with self._lock:
            return list(self._items)

    def get(self, item_id: str) -> Item:
        with self._lock:
            for i in self._items:
                if i.id == item_id:
                    return i
        raise KeyError(item_id)

    def add(self, file: HubFile) -> Item:
        """Queue a file (again, if it failed or was paused); an existing entry is reused."""
        with self._lock:
            for i, old in enumerate(self._items):
                if (old.repo_id, old.filename) == (file.repo_id, file.filename):
                    item = replace(old, state=State.QUEUED, error="")
                    self._items[i] = item
                    break
            else:
                item = Item.from_file(file)
                self._items.append(item)
            self._save()
        return item

    def update(self, item_id: str, **changes: Any) -> Item:
        with self._lock:
            for i, old in enumerate(self._items):
                if old.id == item_id:
                    self._items[i] = replace(old, **changes)
                    self._save()
                    return self._items[i]
        raise KeyError(item_id)

    def remove(self, item_id: str) -> None:
        with self._lock:
            self._items = [i for i in self._items if i.id != item_id]
            self._save()

    def next_queued(self) -> Item | None:
        with self._lock:
            return next((i for i in self._items if i.state == State.QUEUED), None)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "items": [i.to_dict() for i in self._items]}
        write_text_atomic(self.path, json.dumps(data, indent=2))


class _HashingWriter:
    """The file ``http_get`` writes into: each chunk goes to disk and, on another thread, into
    a SHA-256 (hashlib releases the interpreter lock, so hashing overlaps the download).

    Bytes already in the partial file from an earlier attempt are hashed first.
    """

    def __init__(self, fh: Any) -> None:
        self._fh = fh
        self.sha = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        fh.seek(0)
        while block := fh.read(8 << 20):  # what an earlier attempt left
            self.sha.update(block)
        self._thread = threading.Thread(target=self._hash, name="sha256", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self.sha.update(chunk)

    def write(self, chunk: bytes) -> int:
        n: int = self._fh.write(chunk)
        self._chunks.put(bytes(chunk))
        return n

    def tell(self) -> int:
        return int(self._fh.tell())

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self._fh.seek(offset, whence))

    def truncate(self, size: int | None = None) -> int:
        """The server ignored our Range and sent everything: start the hash over too."""
        self._drain()
        result = int(self._fh.truncate(size))
        self._fh.seek(0)
        self.sha = hashlib.sha256(self._fh.read())
        self._thread = threading.Thread(target=self._hash, name="sha256", daemon=True)
        self._thread.start()
        return result

    def flush(self) -> None:
        self._fh.flush()

    def _drain(self) -> None:
        self._chunks.put(None)
        self._thread.join()

    def hexdigest(self) -> str:
        self._drain()
        return self.sha.hexdigest()


@dataclass
class Downloader:
    """Runs queued downloads one at a time on the calling thread.

    Args:
        disk_free: bytes free where the cache is (injectable so tests can simulate a full disk).
        stall_seconds: a read that waits this long for data counts as a stall and is retried.
        retry_delays: back-off between attempts after a drop or stall; then it fails for good.
    """

    queue: Queue
    token: str | None = None
    offline: bool = False
    disk_free: Callable[[Path], int] = field(default=lambda p: shutil.disk_usage(_existing(p)).free)
    stall_seconds: float = 20.0
    chunk_bytes: int = 256 * 1024
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    sleep: Callable[[float], None] = time.sleep
    _stop: dict[str, str] = field(default_factory=dict)  # item id -> "pause" | "cancel"

    def __post_init__(self) -> None:
        no_telemetry()

    # -- control (any thread) -------------------------------------------------------------------

    def pause(self, item_id: str) -> None:
        self._stop[item_id] = "pause"

    def cancel(self, item_id: str) -> None:
        """Stop and forget: the partial file is deleted and the item leaves the queue."""
        self._stop[item_id] = "cancel"
        with contextlib.suppress(KeyError):
            item = self.queue.get(item_id)
            if item.state != State.DOWNLOADING:
                self._discard_partial(item)
                self.queue.remove(item_id)

    # -- running (the download thread) ----------------------------------------------------------

    def run_all(self, on_progress: Callable[[Progress], None] | None = None) -> list[Item]:
        """Download every queued item in order; returns the items it finished or failed."""
        handled = []
        while (item := self.queue.next_queued()) is not None:
            handled.append(self.run(item, on_progress))
        return handled

    def run(self, item: Item, on_progress: Callable[[Progress], None] | None = None) -> Item:
        """Download one item; never raises for a user-caused failure (its state says it)."""
        self._stop.pop(item.id, None)
        item = self.queue.update(item.id, state=State.DOWNLOADING, error="")
        try:
            path = self._download(item, on_progress or (lambda _p: None))
        except Stopped as why:
            if str(why) == "cancel":
                self._discard_partial(item)
                self.queue.remove(item.id)
                return replace(item, state=State.PAUSED, error="cancelled")
            return self.queue.update(item.id, state=State.PAUSED)
        except (DownloadError, NeedsTokenError, OfflineError) as exc:
            return self.queue.update(item.id, state=State.FAILED, error=str(exc))
        return self.queue.update(item.id, state=State.DONE, path=str(path))

    def _download(self, item: Item, on_progress: Callable[[Progress], None]) -> Path:
        if self.offline or constants.is_offline_mode():
            raise OfflineError("offline mode is on: turn it off to download models")
        cache = Path(constants.HF_HUB_CACHE)
        already = sum(self._partial_size(item, part) for part in item.parts)
        need = item.size - already + DISK_MARGIN
        free = self.disk_free(cache)
        if free < need:
            raise DownloadError(
                f"not enough disk space for {item.filename}: it needs "
                f"{file_size_label(need)} more, {file_size_label(free)} free in {cache}"
            )
        meter = _Meter(item, on_progress, lambda: self._stop.get(item.id))
        first: Path | None = None
        for part in item.parts:
            path = self._download_part(item, part, meter)
            first = first or path
        assert first is not None
        return first

    def _download_part(self, item: Item, part: str, meter: _Meter) -> Path:
        expected = item.sha256.get(part)
        attempts = len(self.retry_delays) + 1
        meter.part_base = meter.done  # bytes of the parts before this one
        url = hf_hub_url(item.repo_id, part, revision=item.revision)
        for attempt in range(attempts):
            try:
                with _http_tuning(self.stall_seconds, self.chunk_bytes):
                    return self._fetch(item, part, url, expected, meter)
            except (Stopped, DownloadError):
                raise
            except GatedRepoError as exc:
                raise NeedsTokenError(
                    f"{item.repo_id} is gated: accept its terms on the Hub and add your token"
                ) from exc
            except (RepositoryNotFoundError, RemoteEntryNotFoundError) as exc:
                raise DownloadError(f"{item.repo_id}/{part} is not on the Hub") from exc
            except Exception as exc:  # drops, stalls (read timeouts), 5xx, an unreachable Hub
                if attempt + 1 >= attempts:
                    raise DownloadError(
                        f"downloading {part} failed {attempts} times; last error: "
                        f"{_describe(exc)}. Start it again to resume where it stopped"
                    ) from exc
                self._wait(attempt, part, exc)
        raise AssertionError("unreachable")

    def _fetch(self, item: Item, part: str, url: str, expected: str | None, meter: _Meter) -> Path:
        meta = get_hf_file_metadata(url, token=self.token)
        sha = expected or (meta.etag if meta.etag and len(meta.etag) == 64 else None)
        if sha is None:  # a small non-LFS file: nothing to resume or verify against
            path = hf_hub_download(
                item.repo_id,
                part,
                revision=meta.commit_hash,
                token=self.token,
                tqdm_class=meter.tqdm_class(),
            )
            return Path(path)
        blob = self._blob(item, part, sha, incomplete=False)
        if not blob.exists():
            partial = self._blob(item, part, sha, incomplete=True)
            partial.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("a+b") as fh:
                resumed = fh.seek(0, os.SEEK_END)
                writer = _HashingWriter(fh)
                fh.seek(resumed)
                try:
                    http_get(
                        meta.location,
                        cast(BinaryIO, writer),  # file-like: write/tell/seek/truncate
                        resume_size=resumed,
                        headers=build_hf_headers(token=self.token),
                        expected_size=meta.size,
                        tqdm_class=meter.tqdm_class(),
                    )
                finally:
                    digest = writer.hexdigest()
            if expected and digest != expected:
                partial.unlink(missing_ok=True)
                raise DownloadError(
                    f"{part} arrived damaged (SHA-256 {digest[:12]}… instead of "
                    f"{expected[:12]}…) and was deleted; download it again"
                )
            os.replace(partial, blob)
        # huggingface_hub links the blob into its snapshot; it finds the blob and fetches nothing
        local = Path(
            hf_hub_download(item.repo_id, part, revision=meta.commit_hash, token=self.token)
        )
        meter.done = meter.part_base + local.stat().st_size
        return local

    def _wait(self, attempt: int, part: str, exc: BaseException) -> None:
        delay = self.retry_delays[attempt]
        log.warning("download of %s interrupted (%s); retrying in %.0f s", part, exc, delay)
        self.sleep(delay)

    # -- cache paths ----------------------------------------------------------------------------

    def _repo_dir(self, item: Item) -> Path:
        return Path(constants.HF_HUB_CACHE) / repo_folder_name(
            repo_id=item.repo_id, repo_type="model"
        )

    def _blob(self, item: Item, part: str, sha: str | None, *, incomplete: bool) -> Path:
        name = (sha or "unknown") + (".incomplete" if incomplete else "")
        return self._repo_dir(item) / "blobs" / name

    def _partial_size(self, item: Item, part: str) -> int:
        sha = item.sha256.get(part)
        for path in (
            self._blob(item, part, sha, incomplete=False),
            self._blob(item, part, sha, incomplete=True),
        ):
            if sha and path.exists():
                return path.stat().st_size
        return 0

    def _discard_partial(self, item: Item) -> None:
        for part in item.parts:
            sha = item.sha256.get(part)
            if sha:
                self._blob(item, part, sha, incomplete=True).unlink(missing_ok=True)


class _Meter:
    """Progress with a smoothed speed and ETA; checks for pause/cancel on every update."""

    def __init__(
        self, item: Item, report: Callable[[Progress], None], stop: Callable[[], str | None]
    ) -> None:
        self.item, self.report, self.stop = item, report, stop
        self.done = 0
        self.part_base = 0
        self.speed = 0.0
        self._start = self._last_t = time.monotonic()
        self._start_done = 0
        self._last_done = 0
        self._last_report = 0.0

    def begin(self, resumed: int) -> None:
        """A progress bar starts (one per attempt); ``resumed`` bytes were already on disk."""
        self._start = self._last_t = time.monotonic()
        self._start_done = self._last_done = self.part_base + resumed
        self.speed = 0.0

    def update(self, part_done: int) -> None:
        why = self.stop()
        if why:
            raise Stopped(why)
        self.done = self.part_base + part_done
        now = time.monotonic()
        dt = now - self._last_t
        if self.speed == 0 and now > self._start:
            self.speed = (self.done - self._start_done) / (now - self._start)
        elif dt >= 0.25:
            rate = (self.done - self._last_done) / dt
            self.speed = 0.7 * self.speed + 0.3 * rate
            self._last_t, self._last_done = now, self.done
        if now - self._last_report >= 0.1 or self.done >= self.item.size:
            self._last_report = now
            left = self.item.size - self.done
            eta = left / self.speed if self.speed > 0 else None
            self.report(Progress(self.item.id, self.done, self.item.size, self.speed, eta))

    def tqdm_class(self) -> type[tqdm]:
        meter = self

        class _Bar(tqdm):  # type: ignore[misc, type-arg]  # tqdm ships no generic stubs
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs["disable"] = False
                kwargs["file"] = _NullFile()
                super().__init__(*args, **kwargs)
                meter.begin(int(self.n))

            def update(self, n: float | None = 1) -> bool | None:
                result: bool | None = super().update(n)
                meter.update(int(self.n))
                return result

        return _Bar


class _NullFile:
    """Where our progress bars draw: nowhere (we report through callbacks)."""

    def write(self, _s: str) -> int:
        return 0

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def _http_tuning(read_timeout: float, chunk_bytes: int) -> Any:
    """Two huggingface_hub module constants, for the length of one download.

    The read timeout turns a stall into an error we retry (resuming) with back-off. The chunk
    size is how often progress is reported and how much a dropped connection can lose: the
    library's 10 MB means one progress update per 10 MB, which on a slow line is a frozen bar.
    """
    old = constants.HF_HUB_DOWNLOAD_TIMEOUT, constants.DOWNLOAD_CHUNK_SIZE
    constants.HF_HUB_DOWNLOAD_TIMEOUT = read_timeout  # type: ignore[assignment]
    constants.DOWNLOAD_CHUNK_SIZE = chunk_bytes
    try:
        yield
    finally:
        constants.HF_HUB_DOWNLOAD_TIMEOUT, constants.DOWNLOAD_CHUNK_SIZE = old


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
