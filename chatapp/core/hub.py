"""The Hugging Face Hub: find GGUF repositories, list their files, read headers remotely.

Everything goes through huggingface_hub (its ``HfApi``, its HTTP session and its URL helpers),
so ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` are honoured. With offline mode on —
ours or the library's — every method raises ``OfflineError`` before any request is made.
"""

from __future__ import annotations

import importlib
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from huggingface_hub import HfApi, constants, get_session, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)
from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

from chatapp.core.fit import Fit, estimate
from chatapp.core.hardware import Machine, machine
from chatapp.core.modelinfo import ModelFileError, ModelInfo, read_model_info

log = logging.getLogger(__name__)


def _network_errors() -> tuple[type[Exception], ...]:
    """What an unreachable Hub raises: the socket layer's OSError and the transport errors of
    huggingface_hub's HTTP client (httpx2 in huggingface_hub 2.x, httpx before), which are not
    OSErrors: a machine with no connection would otherwise get no message at all."""
    found: list[type[Exception]] = [OSError]
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


NETWORK_ERRORS: tuple[type[Exception], ...] = _network_errors()
_CARD_ERRORS: tuple[type[Exception], ...] = (HfHubHTTPError, *NETWORK_ERRORS)

_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:I?Q\d(?:_[A-Z0-9]+)*)|BF16|FP16|FP32|F16|F32|MXFP4(?:_MOE)?|TQ\d_\d)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
Sort = Literal["downloads", "likes", "last_modified", "trending_score", "created_at"]


class HubError(Exception):
    """A Hub request failed; the message says why in words."""


class OfflineError(HubError):
    """Offline mode is on, so nothing was asked of the network."""


class NeedsTokenError(HubError):
    """The repository is gated or private: a Hugging Face token is needed."""


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
    """Search and inspect the Hub. ``offline`` (the app's switch) adds to HF_HUB_OFFLINE."""

    def __init__(self, *, offline: bool = False, token: str | None = None) -> None:
        self.offline_switch = offline
        self.token = token
        no_telemetry()

    @property
    def offline(self) -> bool:
        return self.offline_switch or constants.is_offline_mode()

    def _api(self) -> HfApi:
        if self.offline:
            raise OfflineError("offline mode is on: nothing is fetched from the Hub")
        return HfApi(token=self.token)

    def search(self, text: str, *, sort: Sort = "downloads", limit: int = 30) -> list[HubModel]:
        """GGUF repositories matching ``text``, most downloaded (or liked, recent) first."""
        api = self._api()
        try:
            found = api.list_models(
                search=text or None,
                filter="gguf",
                sort=sort,
                limit=limit,
                expand=["downloads", "likes", "lastModified", "gated", "author"],
            )
            return [_hub_model(m) for m in found]
        except HfHubHTTPError as exc:
            raise HubError(f"searching the Hub failed: {_reason(exc)}") from exc
        except NETWORK_ERRORS as exc:
            raise HubError(f"cannot reach the Hub: {exc}") from exc

    def files(self, repo_id: str) -> list[HubFile]:
        """The GGUF model files of a repository with sizes, checksums and quantizations."""
        api = self._api()
        try:
            info = api.model_info(repo_id, files_metadata=True)
        except GatedRepoError as exc:
            raise NeedsTokenError(
                f"{repo_id} is gated: accept its terms on the Hub and add your access token"
            ) from exc
        except RepositoryNotFoundError as exc:
            raise HubError(f"no repository {repo_id} (or it is private: add a token)") from exc
        except HfHubHTTPError as exc:
            raise HubError(f"listing {repo_id} failed: {_reason(exc)}") from exc
        except NETWORK_ERRORS as exc:
            raise HubError(f"cannot reach the Hub: {exc}") from exc
        entries = []
        for s in info.siblings or []:
            lfs = s.lfs
            sha = lfs.sha256 if lfs is not None else None
            entries.append((s.rfilename, int(s.size or (lfs.size if lfs else 0) or 0), sha))
        return group_files(repo_id, entries)

    def card(self, repo_id: str, max_chars: int = 2000) -> str:
        """The start of the model card (README) without its YAML header, or '' if none."""
        api = self._api()
        try:
            path = api.hf_hub_download(repo_id, "README.md")
        except _CARD_ERRORS as exc:
            log.info("no model card for %s: %s", repo_id, exc)
            return ""
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            text = text[end + 4 :] if end >= 0 else text
        return text.strip()[:max_chars]

    def read_header(
        self, file: HubFile, *, first: int = 1 << 20, limit: int = 64 << 20
    ) -> ModelInfo:
        """Read a remote GGUF's metadata with HTTP range requests, without downloading it.

        The fetched prefix is placed in a sparse file of the real size, so the ``gguf`` package's
        reader sees a complete file whose tensor data happens to be zeros. The prefix doubles
        until it covers the whole header (large vocabularies make headers of several MB).

        Raises:
            OfflineError, NeedsTokenError, HubError
        """
        if self.offline:
            raise OfflineError("offline mode is on: nothing is fetched from the Hub")
        part = file.parts[0]
        size = file.size if not file.is_split else 0
        url = hf_hub_url(file.repo_id, part)
        headers = build_hf_headers(token=self.token)
        want = first
        while True:
            data, total = self._range(url, headers, want)
            with tempfile.TemporaryDirectory(prefix="chatapp-header-") as tmp:
                path = Path(tmp) / Path(part).name
                with path.open("wb") as fh:
                    fh.write(data)
                    fh.truncate(max(total or size, len(data)))
                try:
                    info = read_model_info(path)
                    complete = _header_end(path) <= len(data)
                except ModelFileError:
                    info, complete = None, False
            if info is not None and complete:
                return _remote(info, file)
            if len(data) >= (total or limit) or want >= limit:
                raise HubError(f"the header of {part} could not be read (not a GGUF file?)")
            want *= 4

    def fits(self, files: list[HubFile], n_ctx: int) -> Iterator[tuple[HubFile, Fit | str]]:
        """Each file's fit on this machine, from its remote header; a reason where unreadable.

        One header read per file, yielded as it arrives so a window can fill in row by row.
        """
        here = machine()
        for f in files:
            try:
                yield f, estimate(self.read_header(f), n_ctx, here)
            except HubError as exc:
                yield f, str(exc)

    def _range(self, url: str, headers: dict[str, str], n: int) -> tuple[bytes, int]:
        try:
            resp = get_session().get(
                url, headers={**headers, "Range": f"bytes=0-{n - 1}"}, follow_redirects=True
            )
        except NETWORK_ERRORS as exc:
            raise HubError(f"cannot reach the Hub: {exc}") from exc
        if resp.status_code in (401, 403):
            raise NeedsTokenError("this repository is gated or private: add your access token")
        if resp.status_code not in (200, 206):
            raise HubError(f"reading the file header failed (HTTP {resp.status_code})")
        total = 0
        if m := re.search(r"/(\d+)$", resp.headers.get("Content-Range", "")):
            total = int(m.group(1))
        return resp.content[:n], total


def _header_end(path: Path) -> int:
    """Where the GGUF header (metadata and tensor index) ends: the start of tensor data."""
    import gguf

    return int(gguf.GGUFReader(path).data_offset)


def _remote(info: ModelInfo, file: HubFile) -> ModelInfo:
    from dataclasses import replace

    return replace(info, path=Path(file.filename), file_size=file.size)


def _hub_model(m: Any) -> HubModel:
    last = m.last_modified or m.created_at
    return HubModel(
        repo_id=m.id,
        author=m.author or m.id.split("/")[0],
        downloads=int(m.downloads or 0),
        likes=int(m.likes or 0),
        last_modified=last.isoformat() if hasattr(last, "isoformat") else str(last or ""),
        gated=bool(m.gated),
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


@dataclass(frozen=True)
class Recommended:
    """A curated model shipped with the app (chatapp/data/recommended.json).

    It carries the model's shape as well, so its fit on this machine is estimated before any
    network request: the first-run screen shows it with nothing fetched.
    """

    name: str
    repo_id: str
    filename: str
    size: int
    about: str
    architecture: str
    parameters: int
    quantization: str
    context_length: int
    n_layer: int
    n_embd: int
    n_head: int
    n_head_kv: int

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
        )

    def fit(self, n_ctx: int, here: Machine) -> Fit:
        """How it would fit ``here`` with a context of ``n_ctx`` (at most its trained one)."""
        return estimate(self.info(), min(n_ctx, self.context_length), here)


def recommended() -> list[Recommended]:
    """The curated "Recommended" list: small chat models in several sizes."""
    import json
    from importlib.resources import files

    raw = json.loads((files("chatapp") / "data" / "recommended.json").read_text("utf-8"))
    return [
        Recommended(
            name=m["name"],
            repo_id=m["repo"],
            filename=m["file"],
            size=int(m["size"]),
            about=m.get("about", ""),
            architecture=m["architecture"],
            parameters=int(m["parameters"]),
            quantization=m["quantization"],
            context_length=int(m["context_length"]),
            n_layer=int(m["n_layer"]),
            n_embd=int(m["n_embd"]),
            n_head=int(m["n_head"]),
            n_head_kv=int(m["n_head_kv"]),
        )
        for m in raw["models"]
    ]


def save_token(token: str) -> Path:
    """Store a Hugging Face token where huggingface_hub reads it (``HF_TOKEN_PATH``).

    ``huggingface_hub.login()`` would also validate it online and touch git credentials; here the
    next request is the check. The file is private to the user (0600), never our settings file.
    """
    import os

    from chatapp.core.atomic import write_text_atomic

    path = Path(constants.HF_TOKEN_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, token.strip())
    os.chmod(path, 0o600)
    return path
