"""A small Hugging Face Hub for tests: the real huggingface_hub client talks to it over HTTP.

It serves what the client asks for (model search, model info with LFS metadata, HEAD/GET on
``resolve`` with ranges) from repositories registered in Python, counts every request, and can
misbehave on purpose (``fail``): drop the connection half-way, send the wrong bytes, fail with a
status, reset the connection without an answer ("refuse"), go silent half-way through a body
("stall") or half-way through the response's headers ("stall_headers"). A silent server thread
waits ``seconds`` at most, and not at all once the hub is stopped, so none outlives a test.
It listens on 127.0.0.1 only.

The ``hub`` fixture (tests/conftest.py) starts one on 127.0.0.1, points huggingface_hub at it
(``HF_ENDPOINT``; the library copies it into ``constants.ENDPOINT`` at import, so that is
patched too), gives it a private cache (``constants.HF_HUB_CACHE`` / ``HF_HOME``), turns the
session's offline mode off, and disables Xet so files come over plain HTTP.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

COMMIT = "a" * 40


@dataclass
class Blob:
    """A file's bytes, in memory or on disk (served with sendfile, as a real server would)."""

    data: bytes | None
    path: Path | None
    size: int
    sha256: str

    @classmethod
    def of(cls, content: bytes | Path) -> Blob:
        if isinstance(content, Path):
            sha = hashlib.sha256()
            with content.open("rb") as fh:
                while chunk := fh.read(8 << 20):
                    sha.update(chunk)
            return cls(None, content, content.stat().st_size, sha.hexdigest())
        return cls(content, None, len(content), hashlib.sha256(content).hexdigest())

    def read(self, start: int, end: int) -> bytes:
        if self.data is not None:
            return self.data[start:end]
        assert self.path is not None
        with self.path.open("rb") as fh:
            fh.seek(start)
            return fh.read(end - start)


@dataclass
class Repo:
    repo_id: str
    files: dict[str, Blob]
    gated: bool = False
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2026-11-01T00:00:00.000Z"
    tags: list[str] = field(default_factory=lambda: ["gguf"])


@dataclass
class Fault:
    kind: str  # "drop", "corrupt", "stall", "stall_headers", "refuse", "status"
    times: int = 1
    after_bytes: int = 0
    seconds: float = 0.0  # how long a stall lasts (then it carries on, or hangs up)
    code: int = 500


@dataclass
class Request:
    method: str
    path: str
    range: str | None
    authorization: str | None


class FakeHub:
    """Register repos with ``add_repo``; read ``requests``; inject faults with ``fail``.

    A fault is keyed by a file name (GETs of that file) or by an API path without its leading
    slash: ``"api/models"`` (search), ``"api/models/<repo id>"`` (listing a repository).
    """

    token = "hf_test_token_123"

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.faults: dict[str, list[Fault]] = {}
        self.bytes_per_second: float | None = None
        self._lock = threading.Lock()
        self.stopping = threading.Event()  # ends every stall at once
        self.stalled = threading.Event()  # set when a stall starts: the server went silent
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_repo(self, repo_id: str, files: dict[str, bytes | Path], **kw: Any) -> Repo:
        repo = Repo(repo_id, {name: Blob.of(content) for name, content in files.items()}, **kw)
        self.repos[repo_id] = repo
        return repo

    def fail(self, filename: str, kind: str, **kw: Any) -> None:
        if kind in ("stall", "stall_headers"):
            kw.setdefault("seconds", 10.0)
        self.faults.setdefault(filename, []).append(Fault(kind, **kw))

    def _stall(self, seconds: float) -> None:
        self.stalled.set()
        self.stopping.wait(seconds)

    def file_requests(self, filename: str, method: str = "GET") -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.endswith(filename)]

    def _take_fault(self, filename: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(filename, [])
            while queue and queue[0].times <= 0:
                queue.pop(0)
            if not queue:
                return None
            queue[0].times -= 1
            return queue[0]


def _model_json(repo: Repo, *, files: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],  # an id, not security
        "id": repo.repo_id,
        "modelId": repo.repo_id,
        "author": repo.repo_id.split("/")[0],
        "sha": COMMIT,
        "lastModified": repo.last_modified,
        "createdAt": repo.last_modified,
        "private": False,
        "gated": "manual" if repo.gated else False,
        "disabled": False,
        "downloads": repo.downloads,
        "likes": repo.likes,
        "tags": repo.tags,
        "library_name": "gguf",
    }
    if files:
        d["siblings"] = [
            {
                "rfilename": name,
                "size": blob.size,
                "blobId": blob.sha256[:40],
                **(
                    {"lfs": {"sha256": blob.sha256, "size": blob.size, "pointerSize": 134}}
                    if name.endswith(".gguf")
                    else {}
                ),
            }
            for name, blob in repo.files.items()
        ]
        d["cardData"] = {"license": "apache-2.0"}
    return d


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _record(self) -> None:
            with hub._lock:  # the server is the hub's own
                hub.requests.append(
                    Request(
                        self.command,
                        urlparse(self.path).path,
                        self.headers.get("Range"),
                        self.headers.get("Authorization"),
                    )
                )

        def _json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str) -> None:
            self._json(
                {"error": message}, status, {"X-Error-Code": code, "X-Error-Message": message}
            )

        def _authorized(self, repo: Repo) -> bool:
            return not repo.gated or self.headers.get("Authorization") == f"Bearer {hub.token}"

        def do_HEAD(self) -> None:  # http.server's name
            self._record()
            self._route()

        def do_GET(self) -> None:  # http.server's name
            self._record()
            self._route()

        def _misbehave(self, fault: Fault | None) -> bool:
            """Faults that replace the answer; True when one did."""
            if fault is None:
                return False
            if fault.kind == "status":
                self._error(fault.code, "Boom", "Server error")
                return True
            if fault.kind == "refuse":  # reset at once, not a word: RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return True
            if fault.kind == "stall_headers":  # half the response's headers, then silence
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/")
                self.wfile.flush()
                hub._stall(fault.seconds)
                self.close_connection = True
                return True
            return False

        def _route(self) -> None:
            url = urlparse(self.path)
            path = unquote(url.path)
            query = parse_qs(url.query)
            api_fault = (
                hub._take_fault(path.strip("/"))
                if self.command == "GET" and path.startswith("/api/")
                else None
            )
            if self._misbehave(api_fault):
                return None
            if api_fault is not None and api_fault.kind == "stall":  # silent before answering
                hub._stall(api_fault.seconds)
                self.close_connection = True
                return None
            if path == "/api/models":
                return self._search(query)
            if path == "/api/whoami-v2":  # huggingface_hub.login() checks the token here
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    return self._error(401, "Unauthorized", "Invalid credentials")
                return self._json(
                    {
                        "type": "user",
                        "name": "tester",
                        "auth": {
                            "type": "access_token",
                            "accessToken": {"displayName": "test", "role": "read"},
                        },
                    }
                )
            if path.startswith("/api/models/"):
                rest = path.removeprefix("/api/models/")
                repo_id = "/".join(rest.split("/")[:2])
                repo = hub.repos.get(repo_id)
                if repo is None:
                    return self._error(404, "RepoNotFound", "Repository not found")
                if not self._authorized(repo):
                    return self._error(403, "GatedRepo", "Access to this repo is restricted")
                return self._json(_model_json(repo, files=True))
            parts = path.strip("/").split("/")
            if len(parts) >= 5 and parts[2] == "resolve":
                repo = hub.repos.get("/".join(parts[:2]))
                if repo is None:
                    return self._error(404, "RepoNotFound", "Repository not found")
                if not self._authorized(repo):
                    return self._error(403, "GatedRepo", "Access to this repo is restricted")
                filename = "/".join(parts[4:])
                if filename not in repo.files:
                    return self._error(404, "EntryNotFound", "Entry not found")
                return self._file(filename, repo.files[filename])
            return self._error(404, "NotFound", "Not found")

        def _search(self, query: dict[str, list[str]]) -> None:
            text = (query.get("search") or [""])[0].lower()
            tag = (query.get("filter") or [""])[0]
            sort = (query.get("sort") or ["downloads"])[0]
            limit = int((query.get("limit") or ["50"])[0])
            found = [
                r
                for r in hub.repos.values()
                if text in r.repo_id.lower() and (not tag or tag in r.tags)
            ]
            key = {
                "likes": lambda r: r.likes,
                "lastModified": lambda r: r.last_modified,
                "last_modified": lambda r: r.last_modified,
            }.get(sort, lambda r: r.downloads)
            found.sort(key=key, reverse=True)
            self._json([_model_json(r, files=False) for r in found[:limit]])

        def _file(self, filename: str, blob: Blob) -> None:
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                first, _, last = rng.removeprefix("bytes=").partition("-")
                start = int(first)
                end = int(last) + 1 if last else blob.size
            else:
                end = blob.size
            end = min(end, blob.size)
            lfs = filename.endswith(".gguf")
            etag = blob.sha256 if lfs else blob.sha256[:40]
            fault = hub._take_fault(filename) if self.command == "GET" else None
            if self._misbehave(fault):
                return None
            self.send_response(206 if rng else 200)
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{etag}"')
            self.send_header("X-Repo-Commit", COMMIT)
            if lfs:
                self.send_header("X-Linked-Etag", f'"{etag}"')
                self.send_header("X-Linked-Size", str(blob.size))
            if rng:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{blob.size}")
            self.end_headers()
            if self.command == "HEAD":
                return
            if blob.path is not None and fault is None and not hub.bytes_per_second:
                with blob.path.open("rb") as fh:  # zero-copy, like a real file server
                    self.connection.sendfile(fh, start, end - start)
                return
            body = blob.read(start, end)
            if fault is not None and fault.kind == "corrupt":
                body = bytes(b ^ 0xFF for b in body)
            self._send_body(body, fault)

        def _send_body(self, body: bytes, fault: Fault | None) -> None:
            sent = 0
            chunk = 64 * 1024
            began = time.monotonic()
            try:
                while sent < len(body):
                    if (
                        fault is not None
                        and fault.kind in ("drop", "stall")
                        and sent >= fault.after_bytes
                    ):
                        if fault.kind == "drop":
                            self.wfile.flush()
                            self.close_connection = True
                            self.connection.shutdown(2)
                            return
                        self.wfile.flush()
                        hub._stall(fault.seconds)
                        if hub.stopping.is_set():
                            return
                        fault = None  # then carry on (the client has likely given up)
                    n = chunk
                    if fault is not None and fault.kind in ("drop", "stall"):
                        n = min(n, max(fault.after_bytes - sent, 1))
                    piece = body[sent : sent + n]
                    self.wfile.write(piece)
                    sent += len(piece)
                    if hub.bytes_per_second:  # a link of that capacity, not sleeps added to sends
                        ahead = began + sent / hub.bytes_per_second - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)
            except OSError:  # the client hung up: broken pipe, reset, shut down
                self.close_connection = True

    return Handler
