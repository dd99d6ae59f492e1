"""Model downloads: a persistent queue, resumable, verified, into huggingface_hub's own cache.

URLs, headers, errors and the cache layout are huggingface_hub's: ``hf_hub_url`` and
``build_hf_headers`` make the requests, ``hf_raise_for_status`` reads an error, and a file lands
where ``hf_hub_download`` puts it, ``blobs/<sha256>`` linked from ``snapshots/<commit>/<name>``,
with ``refs/main``: the cache every Hugging Face tool shares, which finds the file there without
downloading it again.

The transfer is a small loop of ours over ``chatapp.core.models.hub.Http``: connect and read
timeouts on every request (a server that stops sending is a stall, retried with back-off, then a
clear failure); ``Range`` resume from ``blobs/<sha256>.incomplete``, which survives quitting,
crashes and outages (huggingface_hub 2.x deletes its temporary file on failure and starts over);
pause and cancel that end a read in flight at once, so closing the window never waits for a silent
server; and the SHA-256 computed *while* the bytes arrive (a thread hashes each chunk as it is
written), so no second pass over a multi-gigabyte file is needed. Only a complete file whose
SHA-256 matches the Hub's LFS metadata is moved into place and linked: the bytes of a stalled,
dropped or damaged download never appear as a model. An item queued with a SHA-256 (the Hub's
listing, or a curated list's) is downloaded only while the Hub still serves that file: where the
Hub's ETag names other content, it fails at once, before any bytes are fetched.

Around that: a persistent queue, a free-disk check before starting, progress with speed and ETA
every 256 KiB, and an immediate failure, pointing to offline mode, when the Hub cannot be reached
at all (no network, a name that does not resolve).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from huggingface_hub import constants, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    build_hf_headers,
    hf_raise_for_status,
)

from chatapp.core.models.hub import (
    CONNECT_TIMEOUT,
    Cancelled,
    Http,
    HubFile,
    NeedsTokenError,
    OfflineError,
    cannot_reach,
    network_reason,
    no_telemetry,
    unreachable,
)
from chatapp.core.models.modelinfo import file_size_label
from chatapp.core.storage.atomic import write_text_atomic

log = logging.getLogger(__name__)

QUEUE_FILENAME = "downloads.json"
DISK_MARGIN = 64 * 1024**2  # keep this much free beyond the file itself
_SHA256 = re.compile(r"[0-9a-f]{64}")


class DownloadError(Exception):
    """A download failed for good; the message says why and what to do."""


class Stopped(Exception):  # control flow, not an error
    """The download loop stops: the message is "pause" or "cancel"."""


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


class _Partial:
    """``blobs/<sha256>.incomplete``, open for appending, with the SHA-256 of what it holds.

    Each chunk goes to disk and, on another thread, into the hash (hashlib releases the
    interpreter lock, so hashing overlaps the download). Bytes an earlier run left are hashed
    when it opens; it stays open across the retries of one download, so a retry after a drop
    carries on where the hash stopped.
    """

    def __init__(self, path: Path, stop: Callable[[], str | None]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("a+b")
        self.sha = hashlib.sha256()
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self._thread: threading.Thread | None = None
        try:
            self._fh.seek(0)
            while block := self._fh.read(8 << 20):  # what an earlier run left
                self.sha.update(block)
                if why := stop():
                    raise Stopped(why)
        except BaseException:
            self._fh.close()
            raise
        self.size = self._fh.tell()
        self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._hash, name="sha256", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self.sha.update(chunk)

    def _drain(self) -> None:
        if self._thread is not None:
            self._chunks.put(None)
            self._thread.join()
            self._thread = None

    def write(self, chunk: bytes) -> None:
        try:
            self._fh.write(chunk)
        except OSError as exc:  # a full disk, a removed drive: not worth a retry
            raise DownloadError(f"writing {self.path} failed: {exc.strerror or exc}") from exc
        self.size += len(chunk)
        self._chunks.put(chunk)

    def restart(self) -> None:
        """The server sends the whole file again (it ignored our Range): start over."""
        self._drain()
        self._fh.truncate(0)
        self._fh.seek(0)
        self.size = 0
        self.sha = hashlib.sha256()
        self._start()

    def hexdigest(self) -> str:
        self._drain()
        self._fh.flush()
        digest = self.sha.hexdigest()
        self._start()
        return digest

    def close(self) -> None:
        self._drain()
        self._fh.close()


@dataclass(frozen=True)
class _Remote:
    """What a HEAD on the file's ``resolve`` URL says (as ``get_hf_file_metadata`` reads it)."""

    commit: str | None
    etag: str | None  # the LFS sha256 for LFS files, the git blob id otherwise
    size: int | None
    location: str  # where the bytes are: a CDN after a redirect, or the URL itself


class _Slot:
    """The partial file of the part being downloaded, kept open from one try to the next."""

    partial: _Partial | None = None

    def close(self) -> None:
        if self.partial is not None:
            self.partial.close()
            self.partial = None


class _Short(Exception):
    """The connection ended cleanly, but before the whole file had arrived."""


@dataclass
class Downloader:
    """Runs queued downloads one at a time on the calling thread.

    Args:
        disk_free: bytes free where the cache is (injectable so tests can simulate a full disk).
        stall_seconds: a read that waits this long for data counts as a stall and is retried.
        connect_timeout: seconds to open a connection; none opening is a failure at once.
        retry_delays: back-off between attempts after a drop or stall; then it fails for good.
        sleep: how back-off waits (tests pass their own); by default a wait that pause, cancel
            and ``shutdown()`` cut short.
    """

    queue: Queue
    token: str | None = None
    offline: bool = False
    disk_free: Callable[[Path], int] = field(default=lambda p: shutil.disk_usage(_existing(p)).free)
    stall_seconds: float = 20.0
    connect_timeout: float = CONNECT_TIMEOUT
    chunk_bytes: int = 256 * 1024
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    sleep: Callable[[float], None] | None = None
    _stop: dict[str, str] = field(default_factory=dict)  # item id -> "pause" | "cancel"
    _running: str | None = None
    _closing: bool = False
    _wake: threading.Event = field(default_factory=threading.Event)
    http: Http = field(init=False)

    def __post_init__(self) -> None:
        no_telemetry()
        self.http = Http(connect_timeout=self.connect_timeout, read_timeout=self.stall_seconds)

    # -- control (any thread) -------------------------------------------------------------------

    @property
    def closing(self) -> bool:
        return self._closing

    def pause(self, item_id: str) -> None:
        """Stop it (at once, even mid-read) and keep its partial file to resume from."""
        self._stop[item_id] = "pause"
        self._interrupt(item_id)

    def cancel(self, item_id: str) -> None:
        """Stop and forget: the partial file is deleted and the item leaves the queue."""
        self._stop[item_id] = "cancel"
        self._interrupt(item_id)
        with contextlib.suppress(KeyError):
            item = self.queue.get(item_id)
            if item.state != State.DOWNLOADING:
                self._discard_partial(item)
                self.queue.remove(item_id)

    def shutdown(self) -> None:
        """Closing: pause what is running (at once) and start nothing more."""
        self._closing = True
        if (running := self._running) is not None:
            self.pause(running)

    def _interrupt(self, item_id: str) -> None:
        if item_id == self._running:
            self._wake.set()
            self.http.abort()

    # -- running (the download thread) ----------------------------------------------------------

    def run_all(self, on_progress: Callable[[Progress], None] | None = None) -> list[Item]:
        """Download every queued item in order; returns the items it finished or failed."""
        handled = []
        while not self._closing and (item := self.queue.next_queued()) is not None:
            handled.append(self.run(item, on_progress))
        return handled

    def run(self, item: Item, on_progress: Callable[[Progress], None] | None = None) -> Item:
        """Download one item; never raises for a user-caused failure (its state says it).

        After ``shutdown()`` it starts nothing and returns the item as it is."""
        if self._closing:
            return item
        self._stop.pop(item.id, None)
        self._wake.clear()
        self._running = item.id
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
        finally:
            self._running = None
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
        meter = _Meter(item, on_progress)
        first: Path | None = None
        for part in item.parts:
            path = self._download_part(item, part, meter)
            first = first or path
        assert first is not None
        return first

    def _download_part(self, item: Item, part: str, meter: _Meter) -> Path:
        attempts = len(self.retry_delays) + 1
        meter.part_base = meter.done  # bytes of the parts before this one
        url = hf_hub_url(item.repo_id, part, revision=item.revision)
        slot = _Slot()
        try:
            for attempt in range(attempts):
                try:
                    return self._attempt(item, part, url, slot, meter)
                except (Stopped, DownloadError):
                    raise
                except Cancelled as exc:  # pause, cancel or closing ended a request
                    raise Stopped(self._stop.get(item.id) or "pause") from exc
                except GatedRepoError as exc:
                    raise NeedsTokenError(
                        f"{item.repo_id} is gated: accept its terms on the Hub and add your token"
                    ) from exc
                except (RepositoryNotFoundError, RemoteEntryNotFoundError) as exc:
                    raise DownloadError(f"{item.repo_id}/{part} is not on the Hub") from exc
                except Exception as exc:  # drops, stalls (read timeouts), 5xx, no connection
                    if attempt == 0 and unreachable(exc):  # no network: retrying will not help
                        raise DownloadError(str(cannot_reach(exc))) from exc
                    if attempt + 1 >= attempts:
                        raise DownloadError(
                            f"downloading {part} failed {attempts} times; last error: "
                            f"{self._describe(exc)}. Start it again to resume where it stopped"
                        ) from exc
                    self._wait(item, attempt, part, exc)
        finally:
            slot.close()
        raise AssertionError("unreachable")

    def _attempt(self, item: Item, part: str, url: str, slot: _Slot, meter: _Meter) -> Path:
        """One try: ask where the file is, fetch what is missing, verify, link. The partial
        file stays open in ``slot`` for the next try; returns the file's path in the snapshot."""
        self._check_stop(item)
        remote = self._metadata(url)
        if not remote.commit:
            raise DownloadError(f"the Hub did not say which revision of {part} it serves")
        snapshot = self._repo_dir(item) / "snapshots" / remote.commit / part
        if snapshot.exists():  # here already, complete and verified
            meter.done = meter.part_base + snapshot.stat().st_size
            return snapshot
        expected = item.sha256.get(part)
        etag = remote.etag or ""
        if expected and _SHA256.fullmatch(etag) and etag != expected:
            # re-uploaded since it was queued (or not the file a curated list names): the bytes
            # could never match, so none are fetched, and nothing is linked under this revision
            raise DownloadError(
                f"the Hub now serves another {part} (SHA-256 {etag[:12]}…) than the one queued "
                f"({expected[:12]}…), so it was not downloaded; list the repository again to "
                "download the new file"
            )
        name = expected or etag
        if not name:
            raise DownloadError(f"the Hub did not identify the content of {part} (no ETag)")
        blob = self._repo_dir(item) / "blobs" / name
        if not blob.exists():
            incomplete = blob.with_name(name + ".incomplete")
            if slot.partial is None or slot.partial.path != incomplete:
                slot.close()
                slot.partial = _Partial(incomplete, lambda: self._stop.get(item.id))
            partial = slot.partial
            self._transfer(item, url, remote, partial, meter)
            verify = expected or (etag if _SHA256.fullmatch(etag) else None)
            digest = partial.hexdigest()
            size = remote.size
            if (verify and digest != verify) or (not verify and size and partial.size != size):
                slot.close()
                incomplete.unlink(missing_ok=True)
                got = (
                    f"SHA-256 {digest[:12]}… instead of {verify[:12]}…"
                    if verify
                    else f"{partial.size} bytes instead of {size}"
                )
                raise DownloadError(
                    f"{part} arrived damaged ({got}) and was deleted; download it again"
                )
            slot.close()
            os.replace(incomplete, blob)
        path = self._link(item, remote.commit, part, blob)
        meter.done = meter.part_base + path.stat().st_size
        return path

    def _metadata(self, url: str) -> _Remote:
        """HEAD on the file's URL, following relative redirects (a renamed repository) but not
        the absolute one to the CDN, whose address is the answer."""
        headers = {**build_hf_headers(token=self.token), "Accept-Encoding": "identity"}
        for _ in range(5):
            response = self.http.request("HEAD", url, headers=headers, follow_redirects=False)
            location = response.headers.get("Location")
            if response.is_redirect and location and not urlparse(location).netloc:
                url = urljoin(url, location)
                continue
            break
        hf_raise_for_status(response)
        size = response.headers.get("X-Linked-Size") or (
            None if response.is_redirect else response.headers.get("Content-Length")
        )
        etag = response.headers.get("X-Linked-Etag") or response.headers.get("ETag")
        return _Remote(
            commit=response.headers.get("X-Repo-Commit"),
            etag=etag.removeprefix("W/").strip('"') if etag else None,
            size=int(size) if size and size.isdigit() else None,
            location=(location if response.is_redirect and location else url),
        )

    def _transfer(
        self, item: Item, url: str, remote: _Remote, partial: _Partial, meter: _Meter
    ) -> None:
        """Fetch the bytes the partial file lacks, writing and hashing them as they come."""
        if remote.size is not None and partial.size > remote.size:
            partial.restart()  # not a prefix of this file
        if remote.size is not None and partial.size == remote.size:
            return  # all there from an earlier run
        # the token goes to the Hub only, not to the CDN a download is sent on to
        same_host = urlparse(remote.location).netloc == urlparse(url).netloc
        headers = build_hf_headers(token=self.token if same_host else False)
        if partial.size:
            headers["Range"] = f"bytes={partial.size}-"
        self._check_stop(item)
        with self.http.stream("GET", remote.location, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                if response.status_code == 416:  # nothing left to send from there
                    partial.restart()
                hf_raise_for_status(response)
            if partial.size and response.status_code != 206:
                partial.restart()  # the server ignored our Range and sends it all
            meter.begin(partial.size)
            # written and hashed in chunks of chunk_bytes (fewer hand-offs to the hashing thread
            # than the network's 64 KiB reads), progress reported and pause or cancel checked
            # after each; what arrived of the next chunk is written when the connection stalls
            # or drops, so the retry resumes after it
            pending: list[bytes] = []
            held = 0
            try:
                for data in response.iter_bytes():
                    pending.append(data)
                    held += len(data)
                    if held >= self.chunk_bytes:
                        partial.write(b"".join(pending))
                        pending.clear()
                        held = 0
                        meter.update(partial.size)
                        self._check_stop(item)
            finally:
                if pending:
                    partial.write(b"".join(pending))
                    meter.update(partial.size)
        if remote.size is not None and partial.size < remote.size:
            raise _Short(f"the connection ended after {partial.size} of {remote.size} bytes")

    def _link(self, item: Item, commit: str, part: str, blob: Path) -> Path:
        """``snapshots/<commit>/<part>`` -> the blob, and ``refs/<revision>``, as
        huggingface_hub lays out its cache."""
        repo = self._repo_dir(item)
        snapshot = repo / "snapshots" / commit / part
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        if not snapshot.exists():
            if snapshot.is_symlink():  # a link to a blob that is gone
                snapshot.unlink()
            try:
                os.symlink(os.path.relpath(blob, snapshot.parent), snapshot)
            except OSError:  # no symlinks here (Windows without developer mode): as
                shutil.move(blob, snapshot)  # huggingface_hub does, the file itself moves
        revision = item.revision or "main"
        ref = repo / "refs" / revision
        if revision != commit and not (ref.exists() and ref.read_text().strip() == commit):
            ref.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(ref, commit)
        return snapshot

    def _check_stop(self, item: Item) -> None:
        if why := self._stop.get(item.id):
            raise Stopped(why)

    def _wait(self, item: Item, attempt: int, part: str, exc: BaseException) -> None:
        delay = self.retry_delays[attempt]
        log.warning(
            "download of %s interrupted (%s); retrying in %.0f s", part, self._describe(exc), delay
        )
        if self.sleep is not None:
            self.sleep(delay)
        else:
            self._wake.wait(delay)
        self._check_stop(item)

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            return f"HTTP {exc.response.status_code}"
        if isinstance(exc, _Short):
            return str(exc)
        return network_reason(exc, read_timeout=self.stall_seconds)

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
    """Progress with a smoothed speed and ETA."""

    def __init__(self, item: Item, report: Callable[[Progress], None]) -> None:
        self.item, self.report = item, report
        self.done = 0
        self.part_base = 0
        self.speed = 0.0
        self._start = self._last_t = time.monotonic()
        self._start_done = 0
        self._last_done = 0
        self._last_report = 0.0

    def begin(self, resumed: int) -> None:
        """A transfer starts (one per attempt); ``resumed`` bytes were already on disk."""
        self._start = self._last_t = time.monotonic()
        self._start_done = self._last_done = self.part_base + resumed
        self.speed = 0.0

    def update(self, part_done: int) -> None:
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


def _existing(path: Path) -> Path:
    while not path.exists() and path.parent != path:
        path = path.parent
    return path
