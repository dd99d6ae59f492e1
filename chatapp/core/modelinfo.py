"""What a GGUF file is, read from its header with the ``gguf`` package, without loading it."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"


class ModelFileError(Exception):
    """The file cannot be used as a model; the message says why in one sentence."""


@dataclass(frozen=True)
class ModelInfo:
    """The facts a user needs to recognise a model file and trust what loads."""

    path: Path
    file_size: int
    name: str
    architecture: str
    parameter_count: int
    quantization: str
    context_length: int | None
    n_layer: int | None
    n_embd: int | None
    n_head: int | None
    n_head_kv: int | None
    chat_template: str | None
    eos_token: str | None
    bos_token: str | None

    @property
    def parameters_label(self) -> str:
        """'494M', '7.2B': how model pages write sizes."""
        n = self.parameter_count
        if n >= 1e9:
            return f"{n / 1e9:.1f}B"
        if n >= 1e6:
            return f"{n / 1e6:.0f}M"
        return f"{n / 1e3:.0f}K"


def _field(reader: gguf.GGUFReader, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    return field.contents()


def _quantization(reader: gguf.GGUFReader) -> str:
    file_type = _field(reader, "general.file_type")
    if isinstance(file_type, int):
        try:
            name = gguf.LlamaFileType(file_type).name
        except ValueError:
            name = ""
        for prefix in ("MOSTLY_", "ALL_"):
            name = name.removeprefix(prefix)
        if name and name != "GUESSED":
            return name
    # No (known) file type: name it after the type holding most of the weights.
    weights: Counter[str] = Counter()
    for tensor in reader.tensors:
        weights[tensor.tensor_type.name] += int(tensor.n_elements)
    return weights.most_common(1)[0][0] if weights else "unknown"


def read_model_info(path: Path | str) -> ModelInfo:
    """Read a GGUF file's metadata.

    Raises:
        ModelFileError: the path does not exist, is not a file, is not GGUF, or is truncated.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelFileError(f"not a file: {path}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"{path.name} is not a GGUF model file (it does not start with GGUF)")
    size = path.stat().st_size
    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, IndexError, OSError, KeyError, TypeError) as exc:
        log.info("GGUF header of %s unreadable: %s", path, exc)
        raise ModelFileError(
            f"{path.name} is truncated or damaged (an unfinished download?): "
            "its GGUF header cannot be read"
        ) from exc
    end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    if end > size:
        raise ModelFileError(
            f"{path.name} is truncated: it has {size:,} bytes but its tensors need {end:,}"
            " (an unfinished download?)"
        )
    arch = str(_field(reader, "general.architecture") or "unknown")

    def arch_int(key: str) -> int | None:
        value = _field(reader, f"{arch}.{key}")
        if isinstance(value, list):  # per-layer values in some architectures
            value = max(value) if value else None
        return int(value) if value is not None else None

    tokens = reader.fields.get("tokenizer.ggml.tokens")

    def token(key: str) -> str | None:
        idx = _field(reader, key)
        if tokens is None or not isinstance(idx, int) or idx >= len(tokens.data):
            return None
        return str(tokens.contents(idx))

    name = _field(reader, "general.name") or path.stem
    return ModelInfo(
        path=path,
        file_size=size,
        name=str(name),
        architecture=arch,
        parameter_count=sum(int(t.n_elements) for t in reader.tensors),
        quantization=_quantization(reader),
        context_length=arch_int("context_length"),
        n_layer=arch_int("block_count"),
        n_embd=arch_int("embedding_length"),
        n_head=arch_int("attention.head_count"),
        n_head_kv=arch_int("attention.head_count_kv"),
        chat_template=_field(reader, "tokenizer.chat_template"),
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token=token("tokenizer.ggml.bos_token_id"),
    )


def file_size_label(n: int) -> str:
    """Sizes as file managers write them (1 KB = 1000 bytes)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


__all__ = ["ModelFileError", "ModelInfo", "file_size_label", "read_model_info"]
