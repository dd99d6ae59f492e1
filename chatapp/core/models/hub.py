"""The Hugging Face Hub: find GGUF repositories, list their files, read headers remotely.

URLs, headers and errors are huggingface_hub's (``hf_hub_url``, ``build_hf_headers``,
``hf_raise_for_status``), so ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` are honoured. The
requests go through ``Http``: a client of the same HTTP library huggingface_hub uses, with connect
and read timeouts on every request, whose requests another thread can end at once. (The shared
session huggingface_hub's ``HfApi`` uses has no read timeout for listings, and nothing in it can
be interrupted: a server that went silent half-way through an answer hung the caller, and the
window waited for it when closing.)

With offline mode on — ours or the library's — every method raises ``OfflineError`` before any
request is made.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import socket
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from huggingface_hub import constants, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)
from huggingface_hub.utils import (  # type: ignore[attr-defined]
    build_hf_headers,
    hf_raise_for_status,
    validate_repo_id,
)

from chatapp.core.models.fit import Fit, estimate
from chatapp.core.models.hardware import Machine, machine
from chatapp.core.models.modelinfo import ModelFileError, ModelInfo, header_end, read_model_info

try:  # huggingface_hub 2.x speaks HTTP with httpx2, 1.x with httpx: use the one it brought
    import httpx2 as httpx
except ImportError:  # pragma: no cover - huggingface_hub 1.x
    import httpx  # type: ignore[no-redef]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to open a connection
READ_TIMEOUT = 30.0  # seconds of silence from a server before a request gives up
OFFLINE_HINT = (
    "to use the models on this computer without a network, switch on offline mode "
    "(Work offline, in the File menu and the model manager; --offline on the command line)"
)
_CANNOT_REACH = "cannot reach the Hugging Face Hub"
#: what a failed request raises: the transport's errors (which are not OSErrors) and the socket's
NETWORK_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, OSError)

_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|FP16|FP32|F16|F32|MXFP4(?:_MOE)?|TQ\d_\d)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
Sort = Literal["downloads", "likes", "last_modified", "trending_score", "created_at"]
_SORT_PARAM = {
    "last_modified": "lastModified",
    "trending_score": "trendingScore",
    "created_at": "createdAt",
}
_CARD_BYTES = 256 * 1024  # the start of a model card, its YAML header included
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}


class HubError(Exception):
    """A Hub request failed; the message says why in words."""


class OfflineError(HubError):
    """Offline mode is on, so nothing was asked of the network."""


class NeedsTokenError(HubError):
    """The repository is gated or private: a Hugging Face token is needed."""


class Cancelled(HubError):
    """The request was ended on purpose (``cancel()``, a pause, closing): nobody needs telling."""


class Unreachable(HubError):
    """The Hub cannot be reached at all: no network, a name that does not resolve, a refused
    connection. Trying again in a few seconds will not help, so it fails at once."""


# -- HTTP ---------------------------------------------------------------------------------------


class Http:
    """An HTTP client with connect and read timeouts whose requests any thread can end at once.

    A read that waits ``read_timeout`` seconds for data fails (the server stopped sending), so a
    stalled server costs that much at most. ``abort()`` ends what is in flight now, from any
    thread: each connection's socket is recorded as it opens (the transport's ``trace``
    extension), and shutting a socket down wakes the thread blocked reading it at once (closing
    the client would not: a socket closed under a blocked read keeps it waiting). The interrupted
    request raises ``Cancelled``. ``cancel()`` also refuses every later request. A connection
    still being opened (name lookup, connect) is not interrupted: it is shut down as soon as it
    opens, within ``connect_timeout``. Connections are kept alive between requests.
    """

    def __init__(
        self, *, connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._cancelled = False
        self._aborts = 0  # abort() calls so far: a request that saw this change was aborted

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @contextlib.contextmanager
    def stream(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        follow_redirects: bool = True,
    ) -> Iterator[httpx.Response]:
        """A response whose body is read as it arrives (``iter_bytes``). An error inside the
        ``with`` (reading the body included) comes out as ``Cancelled`` when ``abort()`` or
        ``cancel()`` caused it, as the transport's own error (a timeout, a drop) otherwise."""
        if self._cancelled:
            raise Cancelled("cancelled")
        aborts = self._aborts
        try:
            with self._session().stream(
                method,
                url,
                headers=dict(headers),
                params=dict(params) if params else None,
                follow_redirects=follow_redirects,
                extensions={"trace": self._trace},
            ) as response:
                yield response
        except httpx.TransportError as exc:
            if self._cancelled or self._aborts != aborts:
                raise Cancelled("cancelled") from exc
            raise

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        follow_redirects: bool = True,
    ) -> httpx.Response:
        """The whole response, its body read."""
        with self.stream(
            method, url, headers=headers, params=params, follow_redirects=follow_redirects
        ) as response:
            response.read()
        return response

    def abort(self) -> None:
        """End every request in flight, now; later requests go ahead as usual."""
        self._aborts += 1
        self._shutdown(self._tracked())

    def cancel(self) -> None:
        """End every request in flight, now, and refuse later ones until ``reset()``."""
        self._cancelled = True
        self.abort()

    def reset(self) -> None:
        self._cancelled = False

    def close(self) -> None:
        self.cancel()
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _session(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=httpx.Timeout(
                        self.read_timeout, connect=self.connect_timeout, pool=self.connect_timeout
                    ),
                    follow_redirects=True,
                )
                # its kept-alive connections close with it, not whenever their sockets are freed
                weakref.finalize(self, self._client.close)
            return self._client

    def _tracked(self) -> list[socket.socket]:
        with self._lock:
            return list(self._sockets)

    @staticmethod
    def _shutdown(sockets: list[socket.socket]) -> None:
        for sock in sockets:
            # socket.socket's shutdown for TLS sockets too: ssl.SSLSocket's also drops its TLS
            # state, under the feet of the thread reading it
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.add(sock)
            if self._cancelled:  # cancelled while this connection was being opened
                self._shutdown([sock])


def network_reason(exc: BaseException, *, read_timeout: float | None = None) -> str:
    """What a failed request ran into, in words a user can act on."""
    causes = _causes(exc)
    host = _host(exc)
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"the name {host} does not resolve — are you offline?"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"{host} refused the connection"
    if any(isinstance(c, OSError) and c.errno in _NO_ROUTE for c in causes):
        return f"no network route to {host}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{host} did not answer"
    if isinstance(exc, httpx.ReadTimeout):
        waited = f" (nothing for {read_timeout:g} s)" if read_timeout else ""
        return f"the server stopped sending{waited}"
    if isinstance(exc, httpx.TimeoutException):
        return "the connection timed out"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return "the connection dropped"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: {_first_line(exc)}"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def unreachable(exc: BaseException) -> bool:
    """No connection could be opened at all (as opposed to one that stalled or dropped)."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)) or any(
        isinstance(c, socket.gaierror | ConnectionRefusedError) for c in _causes(exc)
    )


def cannot_reach(exc: BaseException) -> Unreachable:
    return Unreachable(f"{_CANNOT_REACH}: {network_reason(exc)}; {OFFLINE_HINT}")


def is_unreachable(message: str) -> bool:
    """Whether a message (a download's error, say) is ``cannot_reach``'s."""
    return message.startswith(_CANNOT_REACH)


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _host(exc: BaseException) -> str:
    for c in _causes(exc):
        with contextlib.suppress(AttributeError, RuntimeError):
            return str(c.request.url.host)  # type: ignore[attr-defined]
    return "the Hugging Face Hub"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- the Hub ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubModel:
    repo_id: str
    author: str
    downloads: int
    likes: int
    last_modified: str
    gated: bool


@dataclass(frozen=True)
class HubFile:
    """One model file of a repository; split files (``-00001-of-00003``) are one entry."""

    repo_id: str
    filename: str  # the first part for split files
    parts: tuple[str, ...]
    size: int
    sha256: dict[str, str] = field(default_factory=dict)  # part -> LFS sha256
    quantization: str = "unknown"

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1


def quantization_from_name(filename: str) -> str:
    """'Qwen2.5-7B-Instruct-Q4_K_M.gguf' -> 'Q4_K_M'; 'unknown' when the name does not say."""
    stem = _SPLIT.sub("", Path(filename).name)
    stem = re.sub(r"\.gguf$", "", stem, flags=re.IGNORECASE)
    found = _QUANT.findall(stem)
    if not found:
        return "unknown"
    q = str(found[-1]).upper()
    return {"FP16": "F16", "FP32": "F32"}.get(q, q)


def group_files(repo_id: str, files: list[tuple[str, int, str | None]]) -> list[HubFile]:
    """Group a repository's (name, size, sha256) entries into model files, splits as one."""
    singles: list[HubFile] = []
    splits: dict[str, list[tuple[int, str, int, str | None]]] = {}
    for name, size, sha in files:
        if not name.lower().endswith(".gguf"):
            continue
        if m := _SPLIT.search(name):
            key = name[: m.start()] + f"-of-{m.group(2)}"
            splits.setdefault(key, []).append((int(m.group(1)), name, size, sha))
        else:
            singles.append(
                HubFile(
                    repo_id,
                    name,
                    (name,),
                    size,
                    {name: sha} if sha else {},
                    quantization_from_name(name),
                )
            )
    for parts in splits.values():
        parts.sort()
        names = tuple(p[1] for p in parts)
        singles.append(
            HubFile(
                repo_id,
                names[0],
                names,
                sum(p[2] for p in parts),
                {p[1]: p[3] for p in parts if p[3]},
                quantization_from_name(names[0]),
            )
        )
    # mmproj files are vision projectors, not chat models on their own
    return sorted((f for f in singles if "mmproj" not in f.filename.lower()), key=lambda f: f.size)


class Hub:
    """Search and inspect the Hub. ``offline`` (the app's switch) adds to HF_HUB_OFFLINE.

    Every request has a connect timeout and a read timeout (``read_timeout``: seconds of
    silence before it gives up), and ``cancel()`` ends whatever is in flight from another thread.
    """

    def __init__(
        self,
        *,
        offline: bool = False,
        token: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.offline_switch = offline
        self.token = token
        self.http = Http(connect_timeout=connect_timeout, read_timeout=read_timeout)
        no_telemetry()

    @property
    def offline(self) -> bool:
        return self.offline_switch or constants.is_offline_mode()

    def cancel(self) -> None:
        """End the request in flight (from any thread) and refuse every later one (closing)."""
        self.http.cancel()

    def search(self, text: str, *, sort: Sort = "downloads", limit: int = 30) -> list[HubModel]:
        """GGUF repositories matching ``text``, most downloaded (or liked, recent) first."""
        params: dict[str, Any] = {
            "filter": "gguf",
            "sort": _SORT_PARAM.get(sort, sort),
            "limit": limit,
            "expand": ["downloads", "likes", "lastModified", "gated", "author"],
        }
        if text:
            params["search"] = text
        response, body = self._get(
            f"{constants.ENDPOINT}/api/models", "searching the Hub failed", params=params
        )
        try:
            hf_raise_for_status(response)
        except HfHubHTTPError as exc:
            raise HubError(f"searching the Hub failed: {_reason(exc)}") from exc
        found = _json(body, "searching the Hub failed")
        return [_hub_model(m) for m in found[:limit] if isinstance(m, dict)]

    def files(self, repo_id: str) -> list[HubFile]:
        """The GGUF model files of a repository with sizes, checksums and quantizations."""
        try:
            validate_repo_id(repo_id)
        except ValueError as exc:
            raise HubError(f"{repo_id!r} is not a repository name (owner/name)") from exc
        response, body = self._get(
            f"{constants.ENDPOINT}/api/models/{repo_id}",
            f"listing {repo_id} failed",
            params={"blobs": "true"},  # sizes and LFS checksums
        )
        try:
            hf_raise_for_status(response)
        except GatedRepoError as exc:
            raise NeedsTokenError(
                f"{repo_id} is gated: accept its terms on the Hub and add your access token"
            ) from exc
        except RepositoryNotFoundError as exc:
            raise HubError(f"no repository {repo_id} (or it is private: add a token)") from exc
        except HfHubHTTPError as exc:
            raise HubError(f"listing {repo_id} failed: {_reason(exc)}") from exc
        info = _json(body, f"listing {repo_id} failed")
        entries = []
        for s in info.get("siblings") or []:
            lfs = s.get("lfs") or {}
            size = s.get("size") or lfs.get("size") or 0
            entries.append((str(s["rfilename"]), int(size), lfs.get("sha256")))
        return group_files(repo_id, entries)

    def card(self, repo_id: str, max_chars: int = 2000) -> str:
        """The start of the model card (README) without its YAML header, or '' if none."""
        try:
            response, body = self._get(
                hf_hub_url(repo_id, "README.md"),
                "reading the model card failed",
                headers={"Range": f"bytes=0-{_CARD_BYTES - 1}"},
                limit=_CARD_BYTES,
            )
        except Cancelled:
            raise
        except HubError as exc:
            log.info("no model card for %s: %s", repo_id, exc)
            return ""
        if response.status_code not in (200, 206):
            log.info("no model card for %s: HTTP %s", repo_id, response.status_code)
            return ""
        text = body.decode("utf-8", errors="replace")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            text = text[end + 4 :] if end >= 0 else text
        return text.strip()[:max_chars]

    def read_header(
        self, file: HubFile, *, first: int = 1 << 20, limit: int = 64 << 20
    ) -> ModelInfo:
        """Read a remote GGUF's metadata with HTTP range requests, without downloading it.

        The fetched prefix is placed in a sparse file of the real size, so the header reader
        sees a complete file whose tensor data happens to be zeros. The prefix doubles
        until it covers the whole header (large vocabularies make headers of several MB).

        Raises:
            OfflineError, NeedsTokenError, Unreachable, Cancelled, HubError
        """
        part = file.parts[0]
        size = file.size if not file.is_split else 0
        url = hf_hub_url(file.repo_id, part)
        want = first
        while True:
            data, total = self._range(url, want)
            with tempfile.TemporaryDirectory(prefix="chatapp-header-") as tmp:
                path = Path(tmp) / Path(part).name
                with path.open("wb") as fh:
                    fh.write(data)
                    fh.truncate(max(total or size, len(data)))
                try:
                    info = read_model_info(path)
                    complete = header_end(path) <= len(data)
                except ModelFileError:
                    info, complete = None, False
            if info is not None and complete:
                return _remote(info, file)
            if len(data) >= (total or limit) or want >= limit:
                raise HubError(f"the header of {part} could not be read (not a GGUF file?)")
            want *= 4

    def fits(
        self, files: list[HubFile], n_ctx: int, *, embedding: ModelInfo | None = None
    ) -> Iterator[tuple[HubFile, Fit | str]]:
        """Each file's fit on this machine, from its remote header; a reason where unreadable.

        One header read per file, yielded as it arrives so a window can fill in row by row.
        ``embedding`` (the documents' embedding model) is counted beside each chat model.
        ``Cancelled`` ends it.
        """
        here = machine()
        for f in files:
            try:
                yield f, estimate(self.read_header(f), n_ctx, here, embedding=embedding)
            except Cancelled:
                raise
            except HubError as exc:
                yield f, str(exc)

    def _get(
        self,
        url: str,
        failed: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        limit: int | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """A GET (its body, up to ``limit`` bytes): failures in words, starting ``failed``."""
        if self.offline:
            raise OfflineError("offline mode is on: nothing is fetched from the Hub")
        try:
            with self.http.stream(
                "GET",
                url,
                headers={**build_hf_headers(token=self.token), **(headers or {})},
                params=params,
            ) as response:
                if response.status_code >= 400:
                    response.read()  # for hf_raise_for_status: the error's message
                    return response, b""
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if limit is not None and len(body) >= limit:
                        break  # a server that ignores Range sends it all: stop here
                return response, bytes(body[:limit])
        except Cancelled:
            raise
        except NETWORK_ERRORS as exc:
            if unreachable(exc):
                raise cannot_reach(exc) from exc
            why = network_reason(exc, read_timeout=self.http.read_timeout)
            raise HubError(f"{failed}: {why}") from exc

    def _range(self, url: str, n: int) -> tuple[bytes, int]:
        response, data = self._get(
            url, "could not read the header", headers={"Range": f"bytes=0-{n - 1}"}, limit=n
        )
        if response.status_code in (401, 403):
            raise NeedsTokenError("this repository is gated or private: add your access token")
        if response.status_code not in (200, 206):
            raise HubError(f"reading the file header failed (HTTP {response.status_code})")
        total = 0
        if m := re.search(r"/(\d+)$", response.headers.get("Content-Range", "")):
            total = int(m.group(1))
        return data, total


def _remote(info: ModelInfo, file: HubFile) -> ModelInfo:
    from dataclasses import replace

    return replace(info, path=Path(file.filename), file_size=file.size)


def _json(body: bytes, failed: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise HubError(f"{failed}: the Hub's answer was not JSON") from exc


def _hub_model(m: dict[str, Any]) -> HubModel:
    repo_id = str(m.get("id") or m.get("modelId") or "")
    last = m.get("lastModified") or m.get("createdAt") or ""
    with contextlib.suppress(ValueError, TypeError):
        last = datetime.fromisoformat(str(last).replace("Z", "+00:00")).isoformat()
    return HubModel(
        repo_id=repo_id,
        author=str(m.get("author") or repo_id.split("/")[0]),
        downloads=int(m.get("downloads") or 0),
        likes=int(m.get("likes") or 0),
        last_modified=str(last),
        gated=bool(m.get("gated")),
    )


def _reason(exc: HfHubHTTPError) -> str:
    status = exc.response.status_code if exc.response is not None else None
    return f"HTTP {status}" if status else str(exc).splitlines()[0]


def no_telemetry() -> None:
    """Turn off huggingface_hub's telemetry for this process; chatapp has none at all.

    With it on, huggingface_hub adds a request of its own to a process's first call (its agent
    registry, ``/api/agent-harnesses``) and usage details to every user agent. It is one
    process-wide switch, read at each request, so whatever talks to the Hub sets it first.
    """
    constants.HF_HUB_DISABLE_TELEMETRY = True


#: what each kind of curated model is for, as the lists label it
KIND_LABELS = {
    "chat": "Chat",
    "reasoning": "Reasoning",
    "code": "Code",
    "embedding": "For documents",
}
KIND_TIPS = {
    "chat": "A chat model: answers at once",
    "reasoning": "A reasoning model: it thinks step by step before it answers",
    "code": "A code model: tuned for writing, explaining and fixing code",
    "embedding": (
        "An embedding model, for searching your documents: it turns text into vectors and "
        "cannot chat"
    ),
}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class CuratedMismatch(HubError):
    """The Hub serves another file than the one the curated list names: not downloaded."""


@dataclass(frozen=True)
class Recommended:
    """A curated model shipped with the app (chatapp/data/recommended.json).

    It carries the model's shape as well, so its fit on this machine is estimated before any
    network request: the first-run screen shows it with nothing fetched. ``size`` and ``sha256``
    are the file's exact byte count and SHA-256: a download of it must match both.
    """

    name: str
    kind: str  # one of KIND_LABELS: "chat", "reasoning", "code", "embedding"
    repo_id: str
    filename: str
    size: int
    sha256: str
    about: str
    architecture: str
    parameters: int
    quantization: str
    context_length: int
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int | None = None

    @property
    def can_chat(self) -> bool:
        """An embedding model only turns text into vectors: it is no model to chat with."""
        return self.kind != "embedding"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def kind_tip(self) -> str:
        return KIND_TIPS[self.kind]

    def info(self) -> ModelInfo:
        """What the file's header will say, as far as the fit estimate needs it."""
        return ModelInfo(
            path=Path(self.filename),
            file_size=self.size,
            name=self.name,
            architecture=self.architecture,
            parameter_count=self.parameters,
            quantization=self.quantization,
            context_length=self.context_length,
            n_layer=self.n_layer,
            n_embd=self.n_embd,
            n_head=self.n_head,
            n_head_kv=self.n_head_kv,
            chat_template=None,
            eos_token=None,
            bos_token=None,
            head_dim=self.head_dim,
        )

    def fit(self, n_ctx: int, here: Machine, *, embedding: ModelInfo | None = None) -> Fit:
        """How it would fit ``here`` with a context of ``n_ctx`` (at most its trained one),
        beside the documents' ``embedding`` model where one is chosen; an embedding model's
        own fit counts only itself."""
        beside = embedding if self.can_chat else None
        return estimate(self.info(), min(n_ctx, self.context_length), here, embedding=beside)

    def pinned(self, listed: HubFile) -> HubFile:
        """The Hub's entry for this file, to download, with the curated SHA-256 to verify the
        bytes against. Raises ``CuratedMismatch`` where the Hub lists another file under the
        name (another size or SHA-256): a re-upload chatapp has not vetted is not downloaded
        as the recommended one."""
        where = f"{self.repo_id} now serves another {self.filename} than the one chatapp recommends"
        then = "it was not downloaded (to have it anyway, choose it in the repository's files)"
        sha = listed.sha256.get(self.filename)
        if listed.parts != (self.filename,):
            raise CuratedMismatch(f"{where} (in {len(listed.parts)} parts); {then}")
        if sha is not None and sha != self.sha256:
            raise CuratedMismatch(f"{where} (SHA-256 {sha[:12]}…, not {self.sha256[:12]}…); {then}")
        if listed.size != self.size:
            raise CuratedMismatch(f"{where} ({listed.size:,} bytes, not {self.size:,}); {then}")
        return replace(listed, sha256={self.filename: self.sha256})


def recommended() -> list[Recommended]:
    """The curated "Recommended" list: chat models in several sizes, a reasoning model, a code
    model and an embedding model, each with its exact size and SHA-256."""
    from importlib.resources import files

    raw = json.loads((files("chatapp") / "data" / "recommended.json").read_text("utf-8"))
    models = []
    for m in raw["models"]:
        model = Recommended(
            name=m["name"],
            kind=m["kind"],
            repo_id=m["repo"],
            filename=m["file"],
            size=int(m["size"]),
            sha256=m["sha256"],
            about=m.get("about", ""),
            architecture=m["architecture"],
            parameters=int(m["parameters"]),
            quantization=m["quantization"],
            context_length=int(m["context_length"]),
            n_layer=int(m["n_layer"]),
            n_embd=int(m["n_embd"]),
            n_head=int(m["n_head"]),
            n_head_kv=int(m["n_head_kv"]),
            head_dim=int(m["head_dim"]) if m.get("head_dim") else None,
        )
        if model.kind not in KIND_LABELS:
            raise ValueError(f"recommended.json: {model.name} has an unknown kind {model.kind!r}")
        if not _HEX64.fullmatch(model.sha256) or model.size <= 0:
            raise ValueError(f"recommended.json: {model.name} lacks an exact size and SHA-256")
        models.append(model)
    return models


def save_token(token: str) -> Path:
    """Store a Hugging Face token where huggingface_hub reads it (``HF_TOKEN_PATH``).

    ``huggingface_hub.login()`` would also validate it online and touch git credentials; here the
    next request is the check. The file is private to the user (0600), never our settings file.
    """
    import os

    from chatapp.core.storage.atomic import write_text_atomic

    path = Path(constants.HF_TOKEN_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, token.strip())
    os.chmod(path, 0o600)
    return path
