"""What a reply was given from the user's documents, saved with the reply: its sources.

Plain data, no database or model: the store saves it as JSON beside the reply, the window shows
it under the reply, exports carry it. ``mode`` says how the documents were used:

- ``passages``: the best-matching passages (chunks) of the conversation's collections;
- ``document``: one whole document, because the question named it or asked for a summary or
  a count and it fitted the context (``items`` then holds that one document).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

log = logging.getLogger(__name__)

Mode = Literal["passages", "document"]
MODES: Final = ("passages", "document")
# The passage text kept with a saved source: enough to read in the window, not a second copy
# of a 30 MB document (whole-document mode keeps its beginning only).
SAVED_TEXT_MAX: Final = 2000


def where(page: int | None, heading: str | None) -> str:
    """ "p. 3", the heading path, or "" where a passage has neither."""
    if page is not None:
        return f"p. {page}"
    return heading or ""


@dataclass(frozen=True)
class Source:
    """One passage (or, in document mode, one document) the model was given, numbered [n]."""

    n: int
    path: str
    text: str
    page: int | None = None
    heading: str | None = None
    collection: str = ""
    score: float | None = None

    @property
    def where(self) -> str:
        return where(self.page, self.heading)

    @property
    def label(self) -> str:
        """ "[1] manual.pdf, p. 3" (the file's name, not its folder)."""
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return f"[{self.n}] {name}{', ' + self.where if self.where else ''}"


@dataclass(frozen=True)
class Sources:
    mode: Mode
    items: tuple[Source, ...]
    note: str = ""  # e.g. "keyword search only: the embedding model is gone"

    def to_json(self) -> str:
        return json.dumps(
            {
                "mode": self.mode,
                "note": self.note,
                "items": [
                    {k: v for k, v in asdict(s).items() if v is not None and v != ""}
                    for s in self.items
                ],
            },
            ensure_ascii=False,
        )

    @property
    def summary(self) -> str:
        """One line for the reply's footer: which mode, how many, from where."""
        if self.mode == "document" and self.items:
            return f"whole document: {self.items[0].label.split('] ', 1)[-1]}"
        collections = sorted({s.collection for s in self.items if s.collection})
        where = f" from {', '.join(collections)}" if collections else ""
        n = len(self.items)
        return f"{n} passage{'s' if n != 1 else ''}{where}"


def sources_from_json(text: str | None) -> Sources | None:
    """The saved sources, or ``None`` (none saved, or unreadable: logged, never raised)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return sources_from_data(data)
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        log.warning("a reply's saved sources cannot be read (%s); shown without them", exc)
        return None


def sources_from_data(data: Any) -> Sources:
    """Sources from their JSON form (as ``to_json`` writes it, or an export's).

    Raises ValueError (or TypeError, KeyError) when the data is not of that shape."""
    if not isinstance(data, dict) or data.get("mode") not in MODES:
        raise ValueError("sources need a mode of 'passages' or 'document'")
    items = data.get("items")
    if not isinstance(items, list):
        raise ValueError("sources need a list of items")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("each source is an object")
        page, score = item.get("page"), item.get("score")
        if page is not None and (not isinstance(page, int) or isinstance(page, bool)):
            raise ValueError("a source's page is a whole number")
        if score is not None and not isinstance(score, int | float):
            raise ValueError("a source's score is a number")
        n = item["n"]
        if not isinstance(n, int) or isinstance(n, bool):
            raise ValueError("a source's number is a whole number")
        out.append(
            Source(
                n=n,
                path=str(item["path"]),
                text=str(item.get("text", "")),
                page=page,
                heading=str(item["heading"]) if item.get("heading") else None,
                collection=str(item.get("collection", "")),
                score=float(score) if score is not None else None,
            )
        )
    return Sources(data["mode"], tuple(out), str(data.get("note", "")))


__all__ = [
    "MODES",
    "SAVED_TEXT_MAX",
    "Mode",
    "Source",
    "Sources",
    "sources_from_data",
    "sources_from_json",
    "where",
]
