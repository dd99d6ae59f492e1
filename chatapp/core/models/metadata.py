"""A GGUF file's metadata, every key of it, in words a person can read (the model manager's
Metadata view). Long arrays (the vocabulary, merges, scores) are summarized: their length, their
type and their first items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

ARRAY_SHOWN = 8  # items of an array shown in its summary
FULL_ITEMS = 200  # items of an array shown in its full view
HIDDEN = ("GGUF.",)  # the file format's own bookkeeping (version, counts)


@dataclass(frozen=True)
class Field:
    key: str
    kind: str  # "string", "uint32", "array of 151,936 string", ...
    summary: str  # one line
    full: str  # all of it (arrays: their first FULL_ITEMS items)


@dataclass(frozen=True)
class Metadata:
    tensors: int
    fields: list[Field]  # sorted by key


def read_metadata(path: Path) -> Metadata:
    """Every metadata key of ``path``, sorted. Raises OSError or ValueError for a bad file."""
    import gguf

    reader = gguf.GGUFReader(path)
    out = []
    for key, field in reader.fields.items():
        if key.startswith(HIDDEN):
            continue
        types = [t.name.lower() for t in field.types]
        if types and types[0] == "array":
            n = len(field.data)
            kind = f"array of {n:,} {types[1] if len(types) > 1 else 'items'}"
            first = [_text(v) for v in field.contents(slice(0, max(ARRAY_SHOWN, FULL_ITEMS)))]
            shown = ", ".join(first[:ARRAY_SHOWN])
            more = f", … {n - ARRAY_SHOWN:,} more" if n > ARRAY_SHOWN else ""
            summary = f"[{n:,} items: {shown}{more}]" if n else "[]"
            rest = f"\n… and {n - len(first):,} more" if n > len(first) else ""
            full = "\n".join(first) + rest
        else:
            kind = types[0] if types else "?"
            value = _text(field.contents())
            full = value
            lines = value.splitlines() or [""]
            summary = lines[0] + (f" … ({len(lines):,} lines)" if len(lines) > 1 else "")
        out.append(Field(key, kind, summary, full))
    return Metadata(len(reader.tensors), sorted(out, key=lambda f: f.key))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value != value.strip() or not value else value
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
