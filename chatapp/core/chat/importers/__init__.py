"""Import conversations from other apps' exports, and from chatapp's own (``transfer``).

One entry point, ``import_path``, reads a file, a folder or a zip file, tells each export's
format from its content (not its name), and writes every conversation found in one
transaction: an import is whole or nothing. ``read_path`` does the same without writing, and
``parse_text`` reads one document. What could not be imported (images, tool calls, files) is
listed in each result's ``skipped``, one line per conversation.

A file that is not an export, or cannot be read, raises ``ImportFormatError`` with one line.

Imported conversations and messages get ids derived from the source's own ids, so importing
the same export again finds them already there and leaves them as they are (a conversation that
grew since is not updated). chatapp's own format keeps its rule: a conversation already here
refuses the whole file.

No Qt here: the window and ``chatapp import`` both use this package.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final

from chatapp.core.chat import transfer
from chatapp.core.chat.importers import chatgpt, claude, lmstudio, openwebui
from chatapp.core.chat.importers.common import Notes, Tree, plural
from chatapp.core.chat.transfer import ImportFormatError
from chatapp.core.storage.store import Conversation, Message, NotFound, Store, StoreError

__all__ = [
    "FORMATS",
    "ImportFormatError",
    "SourceImport",
    "detect",
    "import_path",
    "import_text",
    "parse_text",
    "read_path",
]

FORMATS: Final = ("auto", "chatapp", "chatgpt", "claude", "openwebui", "lmstudio")
_NAMES: Final = {
    "chatapp": "a chatapp export",
    "chatgpt": f"a {chatgpt.NAME}",
    "claude": f"a {claude.NAME}",
    "openwebui": f"an {openwebui.NAME}",
    "lmstudio": f"an {lmstudio.NAME}",
}
_ORIGIN: Final = {
    "chatgpt": chatgpt.NAME,
    "claude": claude.NAME,
    "openwebui": openwebui.NAME,
    "lmstudio": lmstudio.NAME,
}
_PARSERS: Final[dict[str, Callable[[object, Notes], list[Tree]]]] = {
    "chatgpt": chatgpt.parse,
    "claude": claude.parse,
    "openwebui": openwebui.parse,
    "lmstudio": lmstudio.parse,
}
# ChatGPT's and Claude's exports, whole or in parts.
_EXPORT_FILE: Final = re.compile(r"conversations(?:-[0-9]+)?\.json")
_PART: Final = re.compile(r"conversations-[0-9]+\.json")
_LMSTUDIO_FILE: Final = ".conversation.json"
_UNKNOWN: Final = (
    "not a chatapp export (missing 'format': 'chatapp-export'), nor one from ChatGPT, Claude, "
    "Open WebUI or LM Studio"
)


@dataclass
class SourceImport:
    """What one kind of export holds (or held: ``import_path`` fills in what it wrote)."""

    format: str  # one of FORMATS, not "auto"
    conversations: list[tuple[Conversation, list[Message]]] = field(default_factory=list)
    already_here: int = 0  # conversations an earlier import brought, left as they are
    folders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # chatapp's own format
    # what was left out, by file; each conversation's key in its file's notes
    _notes: list[Notes] = field(default_factory=list, repr=False)
    _labels: dict[str, tuple[Notes, int]] = field(default_factory=dict, repr=False)

    @property
    def skipped(self) -> list[str]:
        """What was left out, one line per conversation (and per item that is none)."""
        return [line for notes in self._notes for line in notes.lines()]

    @property
    def skipped_kinds(self) -> Counter[str]:
        """How many of each kind were left out: ``{"images": 3}``."""
        out: Counter[str] = Counter()
        for notes in self._notes:
            out.update(notes.totals())
        return out

    @property
    def other_notes(self) -> int:
        """Lines of ``skipped`` that are not counts of a kind."""
        return sum(notes.other for notes in self._notes)

    def _add(self, other: SourceImport) -> None:
        self.conversations += other.conversations
        self.folders.update(other.folders)
        self._notes += other._notes
        self._labels.update(other._labels)

    def _forget(self, conversation_id: str) -> None:
        """A conversation not imported after all: its notes go too."""
        if conversation_id in self._labels:
            notes, key = self._labels[conversation_id]
            notes.forget(key)

    @property
    def name(self) -> str:
        return _NAMES[self.format]

    @property
    def message_count(self) -> int:
        return sum(len(messages) for _, messages in self.conversations)

    def summary(self) -> str:
        """One line: ``imported 12 conversations (340 messages) from a ChatGPT export; …``."""
        n = len(self.conversations)
        if self.format == "chatapp":  # as chatapp import has always said
            return f"imported {n} conversation(s)"
        line = (
            f"imported {plural(n, 'conversations')} ({plural(self.message_count, 'messages')}) "
            f"from {self.name}"
        )
        skipped = [plural(k, kind) for kind, k in self.skipped_kinds.most_common()]
        if self.already_here:
            skipped.append(f"{plural(self.already_here, 'conversations')} already imported")
        if self.other_notes:
            skipped.append(plural(self.other_notes, "other notes"))
        return line + (f"; skipped: {', '.join(skipped)}" if skipped else "")


def detect(document: object) -> str:
    """The format of a document read from JSON; ``ImportFormatError`` if it is none we know."""
    if isinstance(document, dict) and "format" in document:
        return "chatapp"
    for fmt, module in (
        ("chatgpt", chatgpt),
        ("claude", claude),
        ("openwebui", openwebui),
        ("lmstudio", lmstudio),
    ):
        if module.looks_like(document):
            return fmt
    if document == []:
        raise ImportFormatError("the file holds no conversations (an empty list)")
    raise ImportFormatError(_UNKNOWN)


def parse_text(text: str, fmt: str = "auto") -> SourceImport:
    """One export's text, checked and turned into store objects; nothing is written."""
    if fmt not in FORMATS:
        raise ImportFormatError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    document = transfer.load_json(text.removeprefix("\ufeff") if fmt != "chatapp" else text)
    if fmt == "auto":
        fmt = detect(document)
    if fmt == "chatapp":
        parsed = transfer.parse_document(document)
        return SourceImport("chatapp", parsed, folders=transfer.parse_folders(document))
    notes = Notes()
    trees = _PARSERS[fmt](document, notes)
    result = SourceImport(fmt, _notes=[notes])
    seen: set[str] = set()
    for tree in trees:
        conv, messages = tree.build(notes)
        if conv.id in seen:
            notes.forget(tree.label)
            notes.line(f"conversation {tree.title!r} is in the export twice; the copy was skipped")
            continue
        seen.add(conv.id)
        result.conversations.append((conv, messages))
        result._labels[conv.id] = (notes, tree.label)
    return result


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"not an export: it is not UTF-8 text "
            f"(byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        ) from None


def _choose(names: list[str]) -> tuple[list[str], bool]:
    """The files of a folder or zip to read, and whether each must be an export: ChatGPT's or
    Claude's ``conversations*.json``, else LM Studio's ``*.conversation.json``, else every
    ``.json`` file (those that are not exports are then skipped)."""
    names = [
        n
        for n in names
        if not n.startswith("__MACOSX/") and not os.path.basename(n).startswith(".")
    ]
    exports = [n for n in names if _EXPORT_FILE.fullmatch(os.path.basename(n))]
    if exports:
        return sorted(exports), True
    lm = [n for n in names if n.endswith(_LMSTUDIO_FILE)]
    if lm:
        return sorted(lm), True
    return sorted(n for n in names if n.lower().endswith(".json")), False


def _read_zip(path: Path) -> tuple[list[tuple[str, bytes]], bool]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
            chosen, strict = _choose(names)
            return [(n, archive.read(n)) for n in chosen], strict
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
        raise ImportFormatError(f"not a readable zip file ({exc})") from None
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or an unknown compression
        raise ImportFormatError(f"cannot read the zip file: {exc}") from None


def _files(path: Path) -> tuple[list[tuple[str, bytes]], bool]:
    """(name, content) of each file to read, and whether each must be an export."""
    try:
        if path.is_dir():
            names = [str(p.relative_to(path)) for p in path.rglob("*.json") if p.is_file()]
            chosen, strict = _choose(names)
            return [(n, (path / n).read_bytes()) for n in chosen], strict
        with path.open("rb") as f:
            magic = f.read(4)
        if magic in (b"PK\x03\x04", b"PK\x05\x06"):
            return _read_zip(path)
        if _PART.fullmatch(path.name):  # one part of a split export: read them all
            parts = sorted(p for p in path.parent.iterdir() if _PART.fullmatch(p.name))
            return [(p.name, p.read_bytes()) for p in parts], True
        return [(path.name, path.read_bytes())], True
    except OSError as exc:
        raise ImportFormatError(f"cannot read it: {exc.strerror or exc}") from None


def read_path(path: Path, fmt: str = "auto") -> list[SourceImport]:
    """Every export in a file, a folder or a zip file, one result per format; writes nothing.

    Raises:
        ImportFormatError: a file cannot be read or is not an export (the line names the file
            when there are several), or none of the files is one.
    """
    files, strict = _files(path)
    several = len(files) > 1 or path.is_dir() or not strict
    by_format: dict[str, SourceImport] = {}
    not_exports: list[str] = []
    for name, data in files:
        try:
            result = parse_text(_decode(data), fmt)
        except ImportFormatError as exc:
            if strict:
                raise ImportFormatError(f"{name}: {exc}" if several else str(exc)) from None
            not_exports.append(name)
            continue
        by_format.setdefault(result.format, SourceImport(result.format))._add(result)
    if not by_format:
        if not files:
            raise ImportFormatError("no export found (no .json file)")
        raise ImportFormatError(f"no export found: {len(files)} .json file(s), none an export")
    results = list(by_format.values())
    if not_exports:
        shown = ", ".join(not_exports[:5]) + (" …" if len(not_exports) > 5 else "")
        notes = Notes()
        notes.line(f"{plural(len(not_exports), 'files')} that are not exports: {shown}")
        results[0]._notes.append(notes)
    return results


def _write(store: Store, results: list[SourceImport]) -> None:
    """Everything in one transaction; conversations an earlier import brought are left out."""
    items: list[tuple[Conversation, list[Message]]] = []
    folders: dict[str, tuple[str, ...]] = {}
    seen: set[str] = set()
    for result in results:
        if result.format != "chatapp":
            fresh = []
            for conv, messages in result.conversations:
                if conv.id in seen or _exists(store, conv.id):
                    result.already_here += 1
                    result._forget(conv.id)
                else:  # each message says where it came from ("imported from …")
                    origin = _ORIGIN[result.format]
                    fresh.append((conv, [replace(m, origin=origin) for m in messages]))
                seen.add(conv.id)
            result.conversations = fresh
        items += result.conversations
        folders.update(result.folders)
    try:
        store.import_conversations(items, folders=folders)
    except StoreError:
        raise
    except ValueError as exc:  # the store's check of a tree; the importers build none it refuses
        raise ImportFormatError(f"cannot import it: {exc}") from None


def _exists(store: Store, conversation_id: str) -> bool:
    try:
        store.get_conversation(conversation_id)
    except NotFound:
        return False
    return True


def import_path(store: Store, path: Path, fmt: str = "auto") -> list[SourceImport]:
    """Import every export in a file, folder or zip file, all in one transaction.

    Raises:
        ImportFormatError: not an export (see ``read_path``); nothing was written.
        StoreError: the database cannot be written, or a chatapp export holds a conversation
            already here; nothing was written.
    """
    results = read_path(path, fmt)
    _write(store, results)
    return results


def import_text(store: Store, text: str, fmt: str = "auto") -> SourceImport:
    """``import_path`` for one document's text."""
    result = parse_text(text, fmt)
    _write(store, [result])
    return result
