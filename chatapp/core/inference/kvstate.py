"""Instant reopen: each conversation's llama.cpp state, kept on disk between runs.

After each reply the engine saves the sequence state llama.cpp holds for the conversation (its
KV cache, through ``llama_state_seq_get_data``) with the tokens it covers. Reopening the
conversation, in a new process or after switching away, loads it back
(``llama_state_seq_set_data``) and evaluates only the tokens after it.

A state belongs to one model file, the load settings that shape the cache (flash attention, a
LoRA adapter and its scale) and one llama.cpp build: a ``StateKey``. A file whose key, size or
checksum is not what it should be is deleted and the prompt is evaluated as if there were none,
so a truncated, damaged or foreign file costs time, never a wrong reply.

The files live in the cache directory (``<conversation>-<key>.state``), at most ``cap_bytes`` in
all: the least recently used go first. Deleting a conversation deletes its states.

File format (little-endian): ``MAGIC``, a u32 header length, the header (JSON: format, key,
token counts, the text the tokens spell), the tokens (int32), llama.cpp's sequence state, and
the SHA-256 of everything between the magic and it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import logging
import os
import re
import struct
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"chatapp-kv\x00\x00"
FORMAT = 1
SUFFIX = ".state"
STATES_DIRNAME = "states"  # in the cache directory
DEFAULT_CAP_MB = 2048
_DIGEST = 32
_HEADER_MAX = 64 * 1024 * 1024  # the text a state spells; a 128k-token context is ~1 MB
_STALE_TEMP_S = 3600.0  # a temp file this old was left by a process that died while writing


@dataclass(frozen=True)
class StateKey:
    """What a saved state is valid for."""

    model: str  # the model file: resolved path, size and modification time
    settings: str  # the load settings that shape the cache
    runtime: str  # llama-cpp-python's version and llama.cpp's state format

    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True).encode("utf-8")
        return hashlib.sha256(text).hexdigest()[:16]


@dataclass(frozen=True)
class SavedState:
    """A conversation's state as saved after its last reply."""

    tokens: list[int]  # the tokens whose state ``data`` holds, from the first
    text: str  # the prompt and reply ``text_tokens`` spell exactly; "" when they did not
    text_tokens: list[int]  # ``tokens``, plus a last sampled token not yet evaluated
    data: memoryview  # llama.cpp's sequence state (llama_state_seq_get_data), writable
    path: Path


class StateCache:
    """The saved states, in ``directory``, at most ``cap_bytes`` (0: none are kept)."""

    def __init__(self, directory: Path, cap_bytes: int = DEFAULT_CAP_MB * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.cap_bytes = max(0, int(cap_bytes))

    @property
    def enabled(self) -> bool:
        return self.cap_bytes > 0

    def path(self, conversation_id: str, key: StateKey) -> Path:
        return self.directory / f"{_safe(conversation_id)}-{key.digest()}{SUFFIX}"

    # -- writing -------------------------------------------------------------------------------

    def save(
        self,
        conversation_id: str,
        key: StateKey,
        tokens: list[int],
        data: bytes | bytearray | memoryview | ctypes.Array[ctypes.c_uint8],
        *,
        text: str = "",
        text_tokens: list[int] | None = None,
    ) -> Path | None:
        """Write a state atomically, then evict the least recently used beyond the cap.

        Returns the file, or None when it was not kept (too big for the cap, or the disk
        refused it; saying so is a log line: a missing state only costs time).
        """
        text_tokens = list(tokens) if text_tokens is None else list(text_tokens)
        if text and text_tokens[: len(tokens)] != list(tokens):
            raise ValueError("the state's tokens must begin the text's tokens")
        if not text:
            text_tokens = list(tokens)
        header = json.dumps(
            {
                "format": FORMAT,
                "key": asdict(key),
                "n_tokens": len(tokens),
                "n_text_tokens": len(text_tokens),
                "text": text,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        body = np.asarray(text_tokens, dtype="<i4").tobytes()
        payload = memoryview(data).cast("B")
        size = len(MAGIC) + 4 + len(header) + len(body) + len(payload) + _DIGEST
        if not self.enabled or size > self.cap_bytes:
            log.info("conversation state of %d bytes not kept (cap %d)", size, self.cap_bytes)
            return None
        path = self.path(conversation_id, key)
        temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        sha = hashlib.sha256()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as f:
                f.write(MAGIC)
                for part in (struct.pack("<I", len(header)), header, body, payload):
                    sha.update(part)
                    f.write(part)
                f.write(sha.digest())
            os.replace(temp, path)
        except OSError as exc:
            log.warning("could not save the conversation state %s: %s", path.name, exc)
            temp.unlink(missing_ok=True)
            return None
        self.evict(keep=path)
        return path

    def evict(self, keep: Path | None = None) -> int:
        """Delete the least recently used states until they fit the cap; returns bytes freed."""
        entries = []
        now = time.time()
        try:
            listing = list(os.scandir(self.directory))
        except OSError:
            return 0
        for entry in listing:
            try:
                st = entry.stat()
            except OSError:
                continue
            if entry.name.endswith(".tmp") and now - st.st_mtime > _STALE_TEMP_S:
                Path(entry.path).unlink(missing_ok=True)
            elif entry.name.endswith(SUFFIX):
                entries.append((st.st_mtime, st.st_size, Path(entry.path)))
        total = sum(size for _, size, _ in entries)
        freed = 0
        for _, size, path in sorted(entries):
            if total <= self.cap_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            freed += size
        return freed

    # -- reading -------------------------------------------------------------------------------

    def load(self, conversation_id: str, key: StateKey) -> SavedState | None:
        """The conversation's state for ``key``, checked whole; None when there is none.

        A file that is truncated, damaged, of another format, or made for another key is
        deleted (logged), so the next reply evaluates the prompt and saves a good one.
        """
        path = self.path(conversation_id, key)
        try:
            raw = bytearray(path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("could not read the conversation state %s: %s", path.name, exc)
            return None
        try:
            saved = _parse(raw, key, path)
        except _Unusable as exc:
            self.discard(path, str(exc))
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        return saved

    def discard(self, path: Path, why: str) -> None:
        log.warning("discarded the conversation state %s: %s", path.name, why)
        path.unlink(missing_ok=True)

    def forget(self, conversation_id: str) -> int:
        """Delete every state of a conversation (all models); returns how many."""
        prefix = f"{_safe(conversation_id)}-"
        n = 0
        try:
            listing = list(self.directory.iterdir())
        except OSError:
            return 0
        for path in listing:
            if path.name.startswith(prefix) and path.name.endswith(SUFFIX):
                path.unlink(missing_ok=True)
                n += 1
        return n

    def usage(self) -> tuple[int, int]:
        """(number of saved states, their bytes)."""
        n = size = 0
        try:
            listing = list(self.directory.glob(f"*{SUFFIX}"))
        except OSError:
            return 0, 0
        for path in listing:
            try:
                size += path.stat().st_size
                n += 1
            except OSError:
                continue
        return n, size


class _Unusable(Exception):
    """A state file that must not be loaded, and why."""


def _parse(raw: bytearray, key: StateKey, path: Path) -> SavedState:
    fixed = len(MAGIC) + 4
    if len(raw) < fixed + _DIGEST or raw[: len(MAGIC)] != MAGIC:
        raise _Unusable("not a chatapp state file (or cut short)")
    view = memoryview(raw)
    if hashlib.sha256(view[len(MAGIC) : -_DIGEST]).digest() != view[-_DIGEST:]:
        raise _Unusable("its checksum does not match (truncated or damaged)")
    (n_header,) = struct.unpack_from("<I", raw, len(MAGIC))
    if n_header > min(_HEADER_MAX, len(raw) - fixed - _DIGEST):
        raise _Unusable("its header is cut short")
    try:
        header = json.loads(bytes(view[fixed : fixed + n_header]).decode("utf-8"))
        if header["format"] != FORMAT:
            raise _Unusable(f"format {header['format']}, this version reads {FORMAT}")
        theirs = StateKey(**header["key"])
        n_tokens, n_text = int(header["n_tokens"]), int(header["n_text_tokens"])
        text = str(header["text"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _Unusable(f"its header cannot be read ({exc})") from None
    if theirs != key:
        fields = ("model", "settings", "runtime")
        which = [f for f in fields if getattr(theirs, f) != getattr(key, f)]
        raise _Unusable(f"it was made for another {' and '.join(which)}")
    start = fixed + n_header
    end = start + 4 * n_text
    if not 0 <= n_tokens <= n_text or end > len(raw) - _DIGEST:
        raise _Unusable("its token counts do not fit the file")
    text_tokens = np.frombuffer(raw, dtype="<i4", count=n_text, offset=start).tolist()
    return SavedState(
        tokens=text_tokens[:n_tokens],
        text=text,
        text_tokens=text_tokens,
        data=view[end:-_DIGEST],
        path=path,
    )


def _safe(conversation_id: str) -> str:
    """A file-name-safe form of a conversation id (ours are hex; others are hashed)."""
    if re.fullmatch(r"[A-Za-z0-9_]{1,64}", conversation_id):
        return conversation_id
    return "h" + hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:32]
