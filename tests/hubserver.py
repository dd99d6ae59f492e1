"""A Hugging Face Hub look-alike on 127.0.0.1 that the real ``huggingface_hub`` client talks to.

Repos are registered in Python (``add_repo``) with their files as bytes or paths. The server
answers what huggingface_hub 2.x asks for (checked against its source):

* ``GET /api/models`` (``HfApi.list_models``): ``search`` (substring of the id, any case),
  ``filter`` (tags, all must match; repeatable), ``author``, ``gated``, ``sort`` (downloads,
  likes, lastModified, createdAt, trendingScore, id), ``direction`` (-1, the default, or 1),
  ``limit``, ``full``, ``expand`` (then only ``_id``, ``id`` and the expanded fields come back,
  as on the Hub). Pages of ``page_size`` entries linked with a ``Link: <…>; rel="next"`` header.
* ``GET /api/models/{repo}`` and ``…/revision/{rev}`` (``HfApi.model_info``): ``siblings`` carry
  ``size``/``blobId``/``lfs`` only with ``?blobs=true`` (``files_metadata=True``), as on the Hub.
* ``GET /api/models/{repo}/tree/{rev}[/{path}]`` (``list_repo_tree``, ``list_repo_files``).
* ``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` (``hf_hub_download``, ``get_hf_file_metadata``,
  ``ModelCard.load``) and ``/{repo}/raw/{rev}/{file}``: ``X-Repo-Commit``, ``ETag`` (sha256 for
  LFS files, the git blob sha1 otherwise), ``X-Linked-Etag``/``X-Linked-Size`` for LFS files,
  ``Content-Length``, ``Accept-Ranges``; ``Range: bytes=a-[b]`` and ``bytes=-n`` get 206 with
  ``Content-Range`` (416 past the end). No ``X-Xet-*`` header is ever sent, so the client always
  downloads over plain HTTP. With ``redirect_lfs = True`` LFS files answer 302 to a "CDN" on
  ``http://localhost:PORT/cdn/…`` (another origin, like the real Hub's CDN: the client then drops
  the Authorization header, and takes size/etag from the 302's ``X-Linked-*`` headers).
* Errors carry the ``X-Error-Code``/``X-Error-Message`` headers that ``hf_raise_for_status``
  maps: unknown repo → 401 (anonymous) / 404 ``RepoNotFound`` → ``RepositoryNotFoundError``;
  unknown file → 404 ``EntryNotFound`` → ``RemoteEntryNotFoundError``; unknown revision → 404
  ``RevisionNotFound``; gated repo file without the right token → 401 (403 with a wrong token)
  ``GatedRepo`` → ``GatedRepoError``. As on the Hub, a gated repo's metadata (model info, tree)
  is public; only its files are gated. ``private=True`` repos are invisible without the token.

Misbehaviour on demand (``fail``), per file, for its next N GETs (HEADs are never affected):
``drop`` (full Content-Length, K bytes, then the connection is cut), ``corrupt`` (right length
and headers, one byte flipped), ``stall`` (K bytes, then S seconds of silence, then the rest if
the client is still there), ``status`` (an error status). ``throttle(bytes_per_second)`` paces
every body. ``requests`` is a snapshot of every request received.

The ``hub`` fixture starts a server and points huggingface_hub at it, with a private cache. The
library reads its settings from the environment *once, at import*, into its ``constants`` module,
and the session's conftest has already imported it with ``HF_HUB_OFFLINE=1``; so the fixture sets
the environment variables (for subprocesses and any code that reads them) *and* patches:

* ``constants.ENDPOINT`` and ``constants.HUGGINGFACE_CO_URL_TEMPLATE`` (``hf_hub_url`` builds
  resolve URLs from the template, not from ``ENDPOINT``), and ``hf_api.api.endpoint``: the module
  level ``HfApi`` behind ``huggingface_hub.list_models``/``model_info``/... copied the endpoint when
  it was made. Any ``HfApi()`` made *before* the patch keeps its old endpoint; make them after, or
  pass ``endpoint=``. (Nothing else copies it for model downloads; ``utils._git_credential`` and
  ``utils._http._HUB_ORIGINS`` do, but they matter only for git credentials and for redirects.)
* ``constants.HF_HUB_OFFLINE`` = False: ``constants.is_offline_mode()`` just returns it, and the
  request hook that raises ``OfflineModeIsEnabled`` calls that.
* ``constants.HF_HOME``, ``HF_HUB_CACHE``, ``HF_ASSETS_CACHE``, ``HF_XET_CACHE``,
  ``HF_TOKEN_PATH``, ``HF_STORED_TOKENS_PATH``, ``AGENT_HARNESSES_PATH`` into ``tmp_path``, and
  ``utils._cache_manager.HF_HUB_CACHE`` (``scan_cache_dir`` imported the value).
* ``constants.HF_HUB_DISABLE_XET`` = True (belt and braces: the server never offers Xet anyway).
* ``constants.HF_HUB_DISABLE_TELEMETRY`` = True: otherwise the first request of the process also
  fetches ``/api/agent-harnesses`` from the server (user-agent "agent" detection), which would
  show up in ``requests``. (The server answers it with an empty registry all the same.)
* ``HF_TOKEN``/``HUGGING_FACE_HUB_TOKEN``/``HF_OIDC_RESOURCE`` are removed from the environment
  (``get_token()`` reads them on every call); the token file is the empty tmp one.

At teardown the client's pooled connections are closed (``utils.close_session()``) and the server
stopped: stalled handlers are woken, open connections shut down, threads are daemons.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest

COMMIT = "c0ffee5e" * 5  # the commit every repo is at ("main" resolves to it)
TOKEN = "hf_testtokenABCDEFGHIJKLMNOPQRSTUVWXYZ"
TEXT_SUFFIXES = (".md", ".json", ".txt", ".jinja", ".gitattributes", ".yaml", ".yml", ".py")
_CHUNK = 64 * 1024


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Blob:
    """A file's content, in memory or on disk, with the ids the Hub gives it."""

    path_in_repo: str
    data: bytes | None
    source: Path | None
    size: int
    sha256: str
    lfs: bool

    @classmethod
    def of(cls, path_in_repo: str, content: bytes | str | Path) -> Blob:
        if isinstance(content, str):
            content = content.encode()
        lfs = not path_in_repo.lower().endswith(TEXT_SUFFIXES)
        if isinstance(content, Path):
            sha = hashlib.sha256()
            with content.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    sha.update(chunk)
            return cls(path_in_repo, None, content, content.stat().st_size, sha.hexdigest(), lfs)
        sha256 = hashlib.sha256(content).hexdigest()
        return cls(path_in_repo, content, None, len(content), sha256, lfs)

    @property
    def pointer(self) -> bytes:
        """The git-lfs pointer file that git stores in place of an LFS file."""
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()

    @property
    def blob_id(self) -> str:
        """The git blob id: of the pointer for LFS files, of the content otherwise."""
        if self.lfs:
            return git_blob_sha1(self.pointer)
        return git_blob_sha1(self.read(0, self.size))

    @property
    def etag(self) -> str:
        """What the Hub puts in ETag (X-Linked-Etag for LFS), and the client's cache blob name."""
        return self.sha256 if self.lfs else self.blob_id

    def read(self, start: int, end: int) -> bytes:
        if self.data is not None:
            return self.data[start:end]
        assert self.source is not None
        with self.source.open("rb") as fh:
            fh.seek(start)
            return fh.read(end - start)


@dataclass
class Repo:
    repo_id: str
    files: dict[str, Blob]
    gated: bool = False
    private: bool = False
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2026-11-01T00:00:00.000Z"
    created_at: str = "2026-10-01T00:00:00.000Z"
    tags: list[str] = field(default_factory=lambda: ["gguf"])
    card_data: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sha: str = COMMIT

    @property
    def author(self) -> str:
        return self.repo_id.split("/")[0]

    def info(self, *, blobs: bool) -> dict[str, Any]:
        """The /api/models/{id} document."""
        siblings: list[dict[str, Any]] = []
        for name, blob in self.files.items():
            entry: dict[str, Any] = {"rfilename": name}
            if blobs:
                entry["size"] = blob.size
                entry["blobId"] = blob.blob_id
                if blob.lfs:
                    entry["lfs"] = {
                        "sha256": blob.sha256,
                        "size": blob.size,
                        "pointerSize": len(blob.pointer),
                    }
            siblings.append(entry)
        info: dict[str, Any] = {
            "_id": hashlib.md5(self.repo_id.encode()).hexdigest()[:24],
            "id": self.repo_id,
            "modelId": self.repo_id,
            "author": self.author,
            "sha": self.sha,
            "lastModified": self.last_modified,
            "createdAt": self.created_at,
            "private": self.private,
            "gated": "manual" if self.gated else False,
            "disabled": False,
            "downloads": self.downloads,
            "likes": self.likes,
            "trendingScore": self.likes,
            "tags": list(self.tags),
            "pipeline_tag": "text-generation",
            "library_name": "gguf" if "gguf" in self.tags else None,
            "siblings": siblings,
            "usedStorage": sum(b.size for b in self.files.values()),
            "spaces": [],
        }
        if self.card_data is not None:
            info["cardData"] = self.card_data
        info.update(self.extra)
        return info

    def listing(self, *, full: bool, expand: list[str]) -> dict[str, Any]:
        """One entry of /api/models."""
        info = self.info(blobs=False)
        if expand:
            return {k: info[k] for k in ("_id", "id", *expand) if k in info}
        keep = [
            "_id", "id", "modelId", "author", "sha", "lastModified", "createdAt", "private",
            "gated", "disabled", "downloads", "likes", "trendingScore", "tags", "pipeline_tag",
            "library_name",
        ]  # fmt: skip
        if full:
            keep += ["siblings", "cardData"]
        return {k: info[k] for k in keep if k in info}


@dataclass
class Fault:
    kind: str  # "drop", "corrupt", "stall", "status"
    times: int
    after_bytes: int = 0
    seconds: float = 0.0
    code: int = 500
    repo_id: str | None = None


class Request(NamedTuple):
    method: str  # "GET", "HEAD"
    path: str  # URL-decoded, without the query string
    headers: dict[str, str]  # as sent, names lower-cased ("authorization", "range", ...)
    range: str | None  # the Range header, e.g. "bytes=12288-"
    query: dict[str, list[str]]  # parsed query string


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubServer


class HubServer:
    """The fake Hub. ``start()``/``stop()`` or use as a context manager; see the module doc."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.commit = COMMIT
        self.repos: dict[str, Repo] = {}
        self.redirect_lfs = False
        self.page_size = 1000
        self.bytes_per_second: float | None = None
        self._requests: list[Request] = []
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- life cycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes stalled and throttled handlers
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # handlers waiting for the next keep-alive request
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content ------------------------------------------------------------------------------

    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes | str | Path],
        *,
        gated: bool = False,
        private: bool = False,
        downloads: int = 0,
        likes: int = 0,
        last_modified: str = "2026-11-01T00:00:00.000Z",
        created_at: str | None = None,
        card: str | None = "# Model card\n\nA tiny test model.\n",
        card_data: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Repo:
        """Register a repo. ``card`` becomes README.md (unless ``files`` has one; None: none);
        ``cardData`` is ``card_data``, else the card's YAML front matter. ``extra`` is merged
        into the model info (e.g. ``{"gguf": {"total": …, "context_length": …}}``)."""
        contents = dict(files)
        if card is not None:
            contents.setdefault("README.md", card)
        readme = contents.get("README.md")
        if card_data is None and readme is not None:
            card_data = _front_matter(Blob.of("README.md", readme).read(0, 1 << 20))
        repo = Repo(
            repo_id,
            {name: Blob.of(name, content) for name, content in contents.items()},
            gated=gated,
            private=private,
            downloads=downloads,
            likes=likes,
            last_modified=last_modified,
            created_at=created_at or last_modified,
            tags=list(tags) if tags is not None else ["gguf"],
            card_data=card_data,
            extra=dict(extra or {}),
        )
        with self._lock:
            self.repos[repo_id] = repo
        return repo

    def blob(self, repo_id: str, filename: str) -> Blob:
        return self.repos[repo_id].files[filename]

    def sha256(self, repo_id: str, filename: str) -> str:
        return self.blob(repo_id, filename).sha256

    def resolve_url(self, repo_id: str, filename: str, revision: str = "main") -> str:
        return f"{self.url}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"

    # -- misbehaviour -------------------------------------------------------------------------

    def fail(
        self,
        filename: str,
        kind: str,
        *,
        times: int = 1,
        after_bytes: int = 0,
        seconds: float = 0.0,
        code: int = 500,
        repo_id: str | None = None,
    ) -> None:
        """Make the next ``times`` GETs of ``filename`` (path in repo; any repo unless
        ``repo_id``) misbehave. Faults queue up: a second ``fail`` applies after the first."""
        if kind not in ("drop", "corrupt", "stall", "status"):
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.setdefault(filename, []).append(
                Fault(kind, times, after_bytes, seconds, code, repo_id)
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def throttle(self, bytes_per_second: float | None) -> None:
        """Pace every response body to this rate (None: as fast as possible)."""
        self.bytes_per_second = bytes_per_second

    def _take_fault(self, repo_id: str, filename: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(filename, [])
            for fault in queue:
                if fault.times > 0 and fault.repo_id in (None, repo_id):
                    fault.times -= 1
                    if fault.times == 0:
                        queue.remove(fault)
                    return fault
            return None

    # -- what was asked -----------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def file_requests(self, filename: str, method: str | None = "GET") -> list[Request]:
        """Requests for ``filename`` through resolve/raw/cdn (of this method; None: any)."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and any(f"/{kind}/" in r.path for kind in ("resolve", "raw", "cdn"))
            and r.path.endswith("/" + filename)
        ]

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def _front_matter(readme: bytes) -> dict[str, Any] | None:
    text = readme.decode("utf-8", "replace")
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 4)
    if end < 0:
        return None
    import yaml  # huggingface_hub depends on it

    data = yaml.safe_load(text[4:end])
    return data if isinstance(data, dict) else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    @property
    def hub(self) -> HubServer:
        return self.server.hub

    def setup(self) -> None:
        super().setup()
        self.hub._track(self.connection, True)

    def finish(self) -> None:
        self.hub._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    # -- plumbing -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        segments = [unquote(s) for s in url.path.split("/")[1:]]  # split before decoding
        self.hub._record(
            Request(
                self.command,
                unquote(url.path),
                {k.lower(): v for k, v in self.headers.items()},
                self.headers.get("Range"),
                query,
            )
        )
        try:
            self._route(segments, query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        all_headers = {"Content-Length": str(len(body)), **(headers or {})}
        for key, value in all_headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(obj).encode()
        self._send(status, body, {"Content-Type": "application/json", **(headers or {})})

    def _error(
        self, status: int, code: str | None, message: str, headers: dict[str, str] | None = None
    ) -> None:
        extra = {"X-Error-Message": message, **(headers or {})}
        if code:
            extra["X-Error-Code"] = code
        self._json({"error": message}, status, extra)

    def _authorization(self) -> str | None:
        return self.headers.get("Authorization")

    def _has_token(self) -> bool:
        return self._authorization() == f"Bearer {self.hub.token}"

    def _repo(self, repo_id: str) -> Repo | None:
        """The repo, or None after answering RepoNotFound (missing, or private without token)."""
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo.private and not self._has_token()):
            status = 404 if self._authorization() else 401
            self._error(status, "RepoNotFound", "Repository not found")
            return None
        return repo

    def _revision_ok(self, repo: Repo, revision: str) -> bool:
        if revision in ("main", repo.sha):
            return True
        self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return False

    # -- routes -------------------------------------------------------------------------------

    def _route(self, seg: list[str], query: dict[str, list[str]]) -> None:
        if seg[:2] == ["api", "models"] and len(seg) == 2:
            return self._list_models(query)
        if seg[:2] == ["api", "models"] and len(seg) >= 4:
            repo = self._repo(f"{seg[2]}/{seg[3]}")
            if repo is None:
                return None
            rest = seg[4:]
            if not rest or (len(rest) == 2 and rest[0] == "revision"):
                if rest and not self._revision_ok(repo, rest[1]):
                    return None
                blobs = (query.get("blobs") or ["false"])[0].lower() == "true"
                return self._json(repo.info(blobs=blobs))
            if len(rest) >= 2 and rest[0] == "tree":
                if not self._revision_ok(repo, rest[1]):
                    return None
                return self._tree(repo, "/".join(rest[2:]), query)
        if seg[:2] == ["api", "agent-harnesses"]:
            return self._json({"standardEnvVars": [], "harnesses": {}})
        if seg[:2] == ["api", "whoami-v2"]:
            if not self._has_token():
                return self._error(401, None, "Invalid credentials in Authorization header")
            return self._json(
                {
                    "type": "user",
                    "name": "tester",
                    "auth": {
                        "type": "access_token",
                        "accessToken": {"displayName": "tests", "role": "read"},
                    },
                }
            )
        if len(seg) >= 5 and seg[2] in ("resolve", "raw"):
            repo = self._repo(f"{seg[0]}/{seg[1]}")
            if repo is None or not self._revision_ok(repo, seg[3]):
                return None
            return self._file(repo, "/".join(seg[4:]), raw=seg[2] == "raw")
        if len(seg) >= 5 and seg[0] == "cdn":  # /cdn/{owner}/{name}/{sha256}/{filename}
            repo = self.hub.repos.get(f"{seg[1]}/{seg[2]}")
            blob = repo.files.get("/".join(seg[4:])) if repo else None
            if repo is None or blob is None or blob.sha256 != seg[3]:
                return self._send(403, b"<Error>AccessDenied</Error>")
            return self._content(repo, blob, {})
        return self._error(404, None, "Sorry, we can't find the page you are looking for.")

    def _list_models(self, query: dict[str, list[str]]) -> None:
        search = (query.get("search") or [""])[0].lower()
        tags = query.get("filter") or []
        author = (query.get("author") or [None])[0]
        gated = (query.get("gated") or [None])[0]
        sort = (query.get("sort") or [None])[0]
        descending = (query.get("direction") or ["-1"])[0] == "-1"
        limit = int((query.get("limit") or ["0"])[0]) or None
        full = (query.get("full") or ["false"])[0].lower() == "true"
        expand = query.get("expand") or []
        cursor = int((query.get("cursor") or ["0"])[0])
        with self.hub._lock:
            repos = list(self.hub.repos.values())
        found = [
            r
            for r in repos
            if search in r.repo_id.lower()
            and all(t in r.tags or t == r.info(blobs=False)["library_name"] for t in tags)
            and (author is None or r.author == author)
            and (gated is None or r.gated == (gated.lower() == "true"))
            and (not r.private or self._has_token())
        ]
        keys: dict[str, Any] = {
            "downloads": lambda r: r.downloads,
            "likes": lambda r: r.likes,
            "trendingScore": lambda r: r.likes,
            "lastModified": lambda r: r.last_modified,
            "createdAt": lambda r: r.created_at,
            "id": lambda r: r.repo_id.lower(),
        }
        if sort is not None:
            if sort not in keys:
                return self._error(400, None, f'Invalid sort parameter "{sort}"')
            found.sort(key=keys[sort], reverse=descending)
        if limit is not None:
            found = found[:limit]
        page = found[cursor : cursor + self.hub.page_size]
        headers = {}
        if cursor + self.hub.page_size < len(found):
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = [str(cursor + self.hub.page_size)]
            headers["Link"] = (
                f'<{self.hub.url}/api/models?{urlencode(params, doseq=True)}>; rel="next"'
            )
        self._json([r.listing(full=full, expand=expand) for r in page], headers=headers)

    def _tree(self, repo: Repo, folder: str, query: dict[str, list[str]]) -> None:
        recursive = (query.get("recursive") or ["false"])[0].lower() == "true"
        prefix = folder.strip("/") + "/" if folder.strip("/") else ""
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for name, blob in repo.files.items():
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            for depth in range(1, len(parts) if recursive else min(len(parts), 2)):
                directory = prefix + "/".join(parts[:depth])
                if directory not in dirs:
                    dirs.add(directory)
                    oid = hashlib.sha1(directory.encode()).hexdigest()
                    entries.append({"type": "directory", "oid": oid, "size": 0, "path": directory})
            if len(parts) > 1 and not recursive:
                continue
            entry: dict[str, Any] = {
                "type": "file",
                "oid": blob.blob_id,
                "size": blob.size,
                "path": name,
            }
            if blob.lfs:
                entry["lfs"] = {
                    "oid": blob.sha256,
                    "size": blob.size,
                    "pointerSize": len(blob.pointer),
                }
            entries.append(entry)
        if prefix and not entries:
            return self._error(404, "EntryNotFound", f"{folder} does not exist on main")
        self._json(entries)

    def _file(self, repo: Repo, filename: str, *, raw: bool) -> None:
        blob = repo.files.get(filename)
        commit = {"X-Repo-Commit": repo.sha}
        if blob is None:
            return self._error(404, "EntryNotFound", "Entry not found", commit)
        if repo.gated and not self._has_token():
            status = 403 if self._authorization() else 401
            message = f"Access to model {repo.repo_id} is restricted. You must have access to it."
            return self._error(status, "GatedRepo", message, commit)
        if raw and blob.lfs:  # /raw/ gives the pointer file for LFS files
            pointer = blob.pointer
            return self._send(200, pointer, {**commit, "ETag": f'"{git_blob_sha1(pointer)}"'})
        headers = {**commit, "Accept-Ranges": "bytes", "ETag": f'"{blob.etag}"'}
        if blob.lfs:
            headers["X-Linked-Etag"] = f'"{blob.sha256}"'
            headers["X-Linked-Size"] = str(blob.size)
            if self.hub.redirect_lfs:
                location = (
                    f"http://localhost:{self.hub.port}/cdn/{repo.repo_id}/{blob.sha256}/"
                    f"{quote(filename)}"
                )
                return self._send(302, b"", {**headers, "Location": location})
        return self._content(repo, blob, headers)

    def _content(self, repo: Repo, blob: Blob, headers: dict[str, str]) -> None:
        start, end = 0, blob.size
        range_header = self.headers.get("Range")
        if range_header:
            parsed = _parse_range(range_header, blob.size)
            if parsed is None:
                return self._send(416, b"", {"Content-Range": f"bytes */{blob.size}"})
            start, end = parsed
            headers = {**headers, "Content-Range": f"bytes {start}-{end - 1}/{blob.size}"}
        fault = None
        if self.command == "GET":
            fault = self.hub._take_fault(repo.repo_id, blob.path_in_repo)
        if fault is not None and fault.kind == "status":
            return self._error(fault.code, None, f"Injected error {fault.code}")
        self.send_response(206 if range_header else 200)
        headers = {**headers, "Content-Type": "application/octet-stream"}
        headers["Content-Length"] = str(end - start)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command == "GET":
            self._body(blob, start, end, fault)

    def _body(self, blob: Blob, start: int, end: int, fault: Fault | None) -> None:
        hub = self.hub
        cut = start + fault.after_bytes if fault and fault.kind in ("drop", "stall") else None
        flip = blob.size // 2 if fault and fault.kind == "corrupt" else None
        if flip is not None and not start <= flip < end:
            flip = start
        rate = hub.bytes_per_second
        chunk = max(1, min(_CHUNK, int(rate / 50))) if rate else _CHUNK  # ~20 ms pieces
        began = time.monotonic()
        pos = start
        while pos < end:
            if cut is not None and pos >= cut:
                assert fault is not None
                cut = None
                if fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if hub._stopping.wait(fault.seconds):
                    self.close_connection = True
                    return
                began += fault.seconds  # the stall is not counted against the rate
            stop = min(end, pos + chunk)
            if cut is not None:
                stop = min(stop, cut)
            if rate:  # a link of that capacity: a piece leaves once the link could carry it
                due = began + (stop - start) / rate - time.monotonic()
                if due > 0 and hub._stopping.wait(due):
                    self.close_connection = True
                    return
            piece = blob.read(pos, stop)
            if flip is not None and pos <= flip < stop:
                i = flip - pos
                piece = piece[:i] + bytes([piece[i] ^ 0xFF]) + piece[i + 1 :]
            self.wfile.write(piece)
            pos = stop


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` → (start, end exclusive); None: unsatisfiable."""
    spec = header.strip().removeprefix("bytes=")
    if "," in spec or "-" not in spec:
        return None
    first, _, last = spec.partition("-")
    try:
        if not first:
            start, end = max(size - int(last), 0), size
        else:
            start = int(first)
            end = min(int(last) + 1, size) if last else size
    except ValueError:
        return None
    if start >= size or start >= end:
        return None
    return start, end


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    """A running HubServer that huggingface_hub (already imported) talks to, with a private
    cache in ``tmp_path / "hf"`` (hub cache ``…/hf/hub``). See the module doc."""
    from huggingface_hub import constants, hf_api
    from huggingface_hub.utils import _cache_manager, close_session

    server = HubServer().start()
    home = tmp_path / "hf"
    env = {
        "HF_ENDPOINT": server.url,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    patches: dict[str, Any] = {
        "ENDPOINT": server.url,
        "HUGGINGFACE_CO_URL_TEMPLATE": server.url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HUB_OFFLINE": False,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_ASSETS_CACHE": str(home / "assets"),
        "HF_XET_CACHE": str(home / "xet"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
        "HF_HUB_DISABLE_XET": True,
        "HF_HUB_DISABLE_TELEMETRY": True,
    }
    for name, value in patches.items():
        monkeypatch.setattr(constants, name, value)
    monkeypatch.setattr(hf_api.api, "endpoint", server.url)
    monkeypatch.setattr(_cache_manager, "HF_HUB_CACHE", str(home / "hub"))
    close_session()  # no pooled connection from an earlier test
    try:
        yield server
    finally:
        close_session()
        server.stop()


class _NoSleep:
    """Stands in for the ``time`` module in huggingface_hub: ``sleep`` only records."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make huggingface_hub's retry waits instant; returns the list of waits it asked for.

    ``http_get`` sleeps 1 s before each resume after a dropped/timed-out body, and the HEAD
    fallback backs off 1, 2, 4, 8, 8 s when the Hub is unreachable and nothing is cached."""
    from huggingface_hub import file_download
    from huggingface_hub.utils import _http

    fake = _NoSleep()
    monkeypatch.setattr(file_download, "time", fake)
    monkeypatch.setattr(_http, "time", fake)
    return fake.sleeps
