"""Every model on this machine: the Hugging Face cache, files imported in place, added folders.

The library keeps a small JSON file in the data directory (imported files, folders, last use, and
a cache of what each GGUF header said, keyed by path, size and modification time, so listing an
unchanged library reads no header). Files are never copied; a file that went missing is listed
as missing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from huggingface_hub import constants, scan_cache_dir
from huggingface_hub.errors import CacheNotFound

from chatapp.core.models.modelinfo import ModelFileError, ModelInfo, read_model_info
from chatapp.core.storage.atomic import write_text_atomic
from chatapp.core.storage.store import timestamp_now

log = logging.getLogger(__name__)

LIBRARY_FILENAME = "library.json"
_LATER_PART = re.compile(r"-(\d{5})-of-\d{5}\.gguf$", re.IGNORECASE)


class LibraryError(Exception):
    """A library operation failed; the message says why."""


@dataclass(frozen=True)
class Entry:
    path: Path
    source: str  # "hub", "imported" or "folder"
    repo_id: str | None
    info: ModelInfo | None
    error: str | None
    last_used: str | None

    @property
    def missing(self) -> bool:
        return not self.path.exists()

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        """Bytes on disk, all parts of a split model included."""
        return sum(p.stat().st_size for p in _parts(self.path) if p.exists())


def other_app_folders() -> list[Path]:
    """Model folders of other apps (LM Studio, GPT4All) that exist on this machine."""
    home = Path.home()
    candidates = [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]
    if sys.platform == "darwin":
        candidates.append(home / "Library" / "Application Support" / "nomic.ai" / "GPT4All")
    elif sys.platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
        candidates.append(local / "nomic.ai" / "GPT4All")
    else:
        candidates.append(home / ".local" / "share" / "nomic.ai" / "GPT4All")
    return [c for c in candidates if c.is_dir()]


class Library:
    """The models in ``data_dir``'s library file, with their headers' facts cached there.

    ``header_reads`` counts the GGUF headers this instance has read (the cache missed).
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LIBRARY_FILENAME
        self._lock = threading.Lock()
        self.imported: list[str] = []
        self.folders: list[str] = []
        self.last_used: dict[str, str] = {}
        self._headers: dict[str, dict[str, Any]] = {}
        self.header_reads = 0
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                self.imported = [str(p) for p in raw.get("imported", [])]
                self.folders = [str(p) for p in raw.get("folders", [])]
                self.last_used = {str(k): str(v) for k, v in raw.get("last_used", {}).items()}
                self._headers = dict(raw.get("headers", {}))
            except (OSError, ValueError, AttributeError) as exc:
                log.warning("library file %s unreadable, starting empty: %s", self.path, exc)

    def _save(self) -> None:
        data = {
            "version": 1,
            "imported": self.imported,
            "folders": self.folders,
            "last_used": self.last_used,
            "headers": self._headers,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(data, indent=1))

    # -- changes --------------------------------------------------------------------------------

    def add_file(self, path: Path) -> Entry:
        """Import a file in place (it is not copied). Raises ModelFileError if it is unusable."""
        path = path.expanduser()
        if not path.is_file():  # before resolve(), which a link loop would break
            read_model_info(path)  # says why: not found, a dangling link, a folder, ...
        path = path.resolve()
        info, error, _new = self._info(path)
        if info is None:
            raise ModelFileError(str(error))
        with self._lock:
            if str(path) not in self.imported:
                self.imported.append(str(path))
            self._save()
        return Entry(path, "imported", None, info, None, self.last_used.get(str(path)))

    def add_folder(self, folder: Path) -> None:
        folder = folder.expanduser().resolve()
        if not folder.is_dir():
            raise LibraryError(f"not a folder: {folder}")
        with self._lock:
            if str(folder) not in self.folders:
                self.folders.append(str(folder))
                self._save()

    def mark_used(self, path: Path) -> None:
        with self._lock:
            self.last_used[str(path.resolve())] = timestamp_now()
            self._save()

    def forget(self, path: Path) -> None:
        """Remove an imported file from the library (the file itself stays)."""
        with self._lock:
            self.imported = [p for p in self.imported if p != str(path)]
            self._save()

    def delete(self, entry: Entry) -> int:
        """Delete a model's files from disk; returns the bytes freed.

        For a Hub download the blob and its snapshot link go; for an imported file, the file
        (every part of a split model) and its library entry.
        """
        freed = 0
        for part in _parts(entry.path):
            target = part.resolve() if part.is_symlink() else part
            try:
                size = target.stat().st_size
            except FileNotFoundError:
                size = 0
            try:
                if part.is_symlink():
                    part.unlink()
                target.unlink(missing_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot delete {part}: {exc.strerror or exc}") from exc
            freed += size
        with self._lock:
            self.imported = [p for p in self.imported if p != str(entry.path)]
            self.last_used.pop(str(entry.path), None)
            self._headers.pop(str(entry.path), None)
            self._save()
        return freed

    # -- listing --------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every known model, newest use first, then by name."""
        found: dict[str, tuple[str, str | None]] = {}
        for hub_path, repo_id in _hub_cache_files():
            found.setdefault(str(hub_path), ("hub", repo_id))
        for p in self.imported:
            found.setdefault(p, ("imported", None))
        for folder in self.folders:
            for path in sorted(Path(folder).rglob("*.gguf")):
                found.setdefault(str(path), ("folder", None))
        out = []
        with self._lock:  # forget the headers of files no longer listed
            gone = [key for key in self._headers if key not in found]
            for key in gone:
                del self._headers[key]
        changed = bool(gone)
        for key, (source, repo) in found.items():
            path = Path(key)
            later = _LATER_PART.search(path.name)
            if later and later.group(1) != "00001":
                continue  # later parts of split models are listed through their first part
            if "mmproj" in path.name.lower():
                continue
            info, error = None, None
            if path.exists():
                info, error, new = self._info(path)
                changed |= new
            out.append(Entry(path, source, repo, info, error, self.last_used.get(key)))
        if changed:
            with self._lock:
                self._save()
        return sorted(out, key=lambda e: (-(_ts(e.last_used)), e.name.lower()))

    def cached_info(self, path: str) -> ModelInfo | None:
        """What the header of ``path`` said when last read, from memory: no disk (the window's
        menus name recent models with it)."""
        with self._lock:
            cached = self._headers.get(path)
        return _info_from_dict(cached.get("info"), Path(path)) if cached else None

    def adapters_for(self, model: Entry, entries: list[Entry] | None = None) -> list[Entry]:
        """The adapters in the library made for ``model``, by the base model their header names.

        An adapter belongs to a model of its architecture whose Hub repository or name is the
        one the adapter names ("Qwen/Qwen2.5-0.5B-Instruct" matches the repository, and a file
        named "Qwen2.5 0.5B Instruct"), compared without case, spaces or punctuation.
        """
        if model.info is None or model.info.is_adapter:
            return []
        own = {_plain(model.info.name)}
        if model.repo_id:
            own |= {_plain(model.repo_id), _plain(model.repo_id.split("/")[-1])}
        found = []
        for e in self.entries() if entries is None else entries:
            i = e.info
            if i is None or not i.is_adapter or not i.base_model:
                continue
            if i.architecture != model.info.architecture:
                continue
            if {_plain(i.base_model), _plain(i.base_model.split("/")[-1])} & own:
                found.append(e)
        return found

    def find(self, name: str) -> list[Entry]:
        """Entries whose file name or path matches ``name`` (exact name first)."""
        entries = self.entries()
        exact = [e for e in entries if e.name == name or str(e.path) == name]
        return exact or [e for e in entries if name.lower() in str(e.path).lower()]

    def _info(self, path: Path) -> tuple[ModelInfo | None, str | None, bool]:
        """What the header of ``path`` says, or why it is unusable; and whether it was read.

        The header is read only when the file's size or modification time differ from what the
        cache holds; what was read is cached under the size and time seen before reading.
        """
        st = path.stat()
        key = str(path)
        stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
        cached = self._headers.get(key)
        if cached and all(cached.get(k) == v for k, v in stamp.items()):
            if "error" in cached:
                return None, str(cached["error"]), False
            info = _info_from_dict(cached.get("info"), path)
            if info is not None:
                return info, None, False
        with self._lock:
            self.header_reads += 1
        try:
            info = read_model_info(path)
        except ModelFileError as exc:
            with self._lock:
                self._headers[key] = {**stamp, "error": str(exc)}
            return None, str(exc), True
        d = asdict(info)
        d["path"] = str(info.path)
        d["marker_tokens"] = sorted(info.marker_tokens)  # JSON has lists, not sets
        with self._lock:
            self._headers[key] = {**stamp, "info": d}
        return info, None, True


def _info_from_dict(d: Any, path: Path) -> ModelInfo | None:
    """A cached ModelInfo, or None where the cache holds something else (an older layout)."""
    if not isinstance(d, dict) or set(d) != {f.name for f in fields(ModelInfo)}:
        return None
    d = {**d, "marker_tokens": frozenset(d.get("marker_tokens") or ())}
    return replace(ModelInfo(**d), path=path)


def _plain(name: str) -> str:
    """A model name for comparing: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _ts(stamp: str | None) -> float:
    if not stamp:
        return 0.0
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _parts(path: Path) -> list[Path]:
    """All parts of a split model given its first part, else just the path."""
    m = re.search(r"-00001-of-(\d{5})\.gguf$", path.name, re.IGNORECASE)
    if not m:
        return [path]
    total = int(m.group(1))
    stem = path.name[: m.start()]
    return [path.with_name(f"{stem}-{i:05d}-of-{total:05d}.gguf") for i in range(1, total + 1)]


def _hub_cache_files() -> list[tuple[Path, str]]:
    """(.gguf snapshot path, repo id) for every model in huggingface_hub's cache."""
    try:  # pass the cache dir: huggingface_hub's default is fixed when it is imported
        info = scan_cache_dir(constants.HF_HUB_CACHE)
    except CacheNotFound:
        return []
    out = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            for f in sorted(revision.files, key=lambda f: f.file_name):
                if f.file_name.lower().endswith(".gguf"):
                    out.append((Path(f.file_path), repo.repo_id))
    return out
