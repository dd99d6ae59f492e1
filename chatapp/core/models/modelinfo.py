"""What a GGUF file is, read from its header without loading it (and without its vocabulary).

The header is parsed here with the ``gguf`` package's constants, following the rules of its
``GGUFReader``: that reader turns every token and merge of the vocabulary into numpy arrays,
which takes seconds for a 150k-token model. This parser steps over array contents instead and
pulls out only the few values a ``ModelInfo`` needs (the end-of-turn token by its index).
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import stat
import struct
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import gguf
import numpy as np
import numpy.typing as npt
from gguf.constants import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGMLQuantizationType,
    GGUFValueType,
)
from gguf.quants import quant_shape_to_byte_shape

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
    # the most bytes a token's text takes in the vocabulary (None: the header has none); a token
    # never stands for more bytes of text than that
    longest_token: int | None = None
    # which of ``TURN_MARKER_TOKENS`` the vocabulary has, looked for only in a file with no chat
    # template: they tell which turn format the model was trained on
    marker_tokens: frozenset[str] = frozenset()
    # ``general.type``: "model", or "adapter" for a LoRA adapter (which runs only on its base)
    file_type: str = "model"
    adapter_type: str | None = None  # ``adapter.type``: "lora" (or "alora")
    # the model it was made from (``general.base_model.0.*``): "Qwen/Qwen2.5-0.5B-Instruct"
    base_model: str | None = None
    # the size of one attention head's key (``attention.key_length``), where the header says it:
    # Qwen3 and Gemma 3 heads are not n_embd / n_head wide
    head_dim: int | None = None

    @property
    def is_adapter(self) -> bool:
        return self.file_type == "adapter"

    @property
    def parameters_label(self) -> str:
        """'494M', '7.2B': how model pages write sizes."""
        n = self.parameter_count
        if n >= 1e9:
            return f"{n / 1e9:.1f}B"
        if n >= 1e6:
            return f"{n / 1e6:.0f}M"
        return f"{n / 1e3:.0f}K"


# Special tokens that tell a chat format apart, looked for in the vocabulary of a file with no
# chat template (see ``chat_template.choose_turn_format``, whose formats use only these).
TURN_MARKER_TOKENS: frozenset[str] = frozenset(
    {
        "<start_of_turn>",
        "<end_of_turn>",
        "<|im_start|>",
        "<|im_end|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eot_id|>",
        "[INST]",
        "[/INST]",
        "<|user|>",
        "<|assistant|>",
        "<|end|>",
        "<|START_OF_TURN_TOKEN|>",
        "<|END_OF_TURN_TOKEN|>",
        "<\uff5cUser\uff5c>",  # DeepSeek V3's, with FULLWIDTH VERTICAL LINEs
        "<\uff5cAssistant\uff5c>",
    }
)

# Versions GGUFReader reads: 2 (the first with 64-bit counts) and the current one.
_VERSIONS = (2, gguf.GGUF_VERSION)
# numpy types of scalar values: GGUFReader's own table, so values come out as it gives them
_SCALARS: dict[GGUFValueType, np.dtype[Any]] = {
    vtype: np.dtype(np_type) for vtype, np_type in gguf.GGUFReader.gguf_scalar_to_np.items()
}
# tensor types GGUFReader maps to numpy element types; it reads the others as rows of blocks
_PLAIN_TENSORS = frozenset(
    GGMLQuantizationType[name] for name in ("F16", "F32", "F64", "I8", "I16", "I32", "I64")
)
# Arrays of strings shorter than 64 KiB (every vocabulary) are walked with numpy, a window of
# the file at a time; longer strings, and arrays of a few, one by one.
_SHORT = 1 << 16
_WINDOW = 1 << 20
_FEW = 64
# smallest sizes: a key-value pair (empty key, type, 1-byte value) and a tensor's index entry
_MIN_KV = 8 + 4 + 1
_MIN_TENSOR_INFO = 8 + 4 + 4 + 8
_HEADER_ERRORS = (
    ValueError,  # UnicodeDecodeError, an unknown type, ...
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    OSError,
    struct.error,
)

_TensorInfo = tuple[str, tuple[int, ...], int, int]  # name, dims, type, offset in the data


class _Damaged(ValueError):
    """The header breaks a rule of the format (one GGUFReader refuses it for)."""


class _Field:
    """A metadata value: a scalar, or an array whose elements are read only when asked for.

    ``contents()`` and ``len()`` mean what they mean for ``gguf.ReaderField``: an array gives
    its elements (an array of arrays, their elements in one list), and ``len`` counts them; a
    scalar gives its value, and its ``len`` is 1. Strings are decoded when asked for.
    """

    def __init__(
        self,
        header: _Header,
        vtype: GGUFValueType,
        value: Any = None,
        *,
        items: tuple[GGUFValueType, int, int] | None = None,
        offsets: npt.NDArray[np.int64] | None = None,
        leaves: list[Any] | None = None,
    ) -> None:
        self._header = header
        self.vtype = vtype
        self._value = value  # a scalar, or a string's bytes
        self._items = items  # (type, offset, count) of an array of scalars
        self._offsets = offsets  # where the elements of an array of strings start
        self._leaves = leaves  # an array of arrays, flattened (strings as bytes)

    def __len__(self) -> int:
        if self._items is not None:
            return self._items[2]
        if self._offsets is not None:
            return len(self._offsets)
        if self._leaves is not None:
            return len(self._leaves)
        return 1

    def raw(self) -> list[Any]:
        """An array's elements, strings as bytes."""
        h = self._header
        if self._items is not None:
            itype, offset, count = self._items
            dtype = h.dtype(itype)
            end = offset + count * dtype.itemsize
            return list(np.frombuffer(h.mm[offset:end], dtype).tolist())
        if self._offsets is not None:
            return [h.string(int(o))[0] for o in self._offsets]
        if self._leaves is not None:
            return list(self._leaves)
        return [self._value]

    def contents(self) -> Any:
        if self.vtype == GGUFValueType.ARRAY:
            return [_decoded(v) for v in self.raw()]
        return _decoded(self._value)

    def longest(self) -> int | None:
        """An array of strings: the byte length of its longest element (None for others)."""
        starts = self._offsets
        if starts is None or not len(starts):
            return None
        # the strings lie one after the other, each after its 8-byte length
        last = len(self._header.string(int(starts[-1]))[0])
        return max(int(np.diff(starts).max(initial=8)) - 8, last)

    def has_strings(self, wanted: frozenset[str]) -> frozenset[str]:
        """An array of strings: which of ``wanted`` are among its elements.

        Only elements of a wanted length whose first and last bytes are those of a wanted
        string are read (a few in a 150k-token vocabulary), found with numpy from the offsets.
        """
        starts = self._offsets
        if starts is None or not len(starts) or not wanted:
            return frozenset()
        h = self._header
        encoded = {w.encode("utf-8"): w for w in wanted}
        last_end = h.string(int(starts[-1]))[1]
        lengths = np.append(np.diff(starts), last_end - starts[-1]) - 8
        pick = np.isin(lengths, [len(b) for b in encoded])
        if not pick.any():
            return frozenset()
        at, n = starts[pick] + 8, lengths[pick]
        view = np.frombuffer(h.mm, np.uint8)
        try:
            first, last = view[at], view[at + np.maximum(n, 1) - 1]
            pick = np.isin(first, [b[0] for b in encoded if b]) & np.isin(
                last, [b[-1] for b in encoded if b]
            )
            candidates = [(int(a), int(k)) for a, k in zip(at[pick], n[pick], strict=True)]
        finally:
            del view  # the mmap cannot close while numpy holds a view of it
        found = {encoded[b] for a, k in candidates if (b := h.mm[a : a + k]) in encoded}
        return frozenset(found)

    def item(self, index: int) -> Any:
        """Element ``index`` (a negative one counts from the end), or a scalar's value."""
        if self.vtype != GGUFValueType.ARRAY:
            return _decoded(self._value)
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"element {index} of {n}")
        h = self._header
        if self._items is not None:
            itype, offset, _count = self._items
            dtype = h.dtype(itype)
            start = offset + i * dtype.itemsize
            return np.frombuffer(h.mm[start : start + dtype.itemsize], dtype).tolist()[0]
        if self._offsets is not None:
            return _decoded(h.string(int(self._offsets[i]))[0])
        assert self._leaves is not None
        return _decoded(self._leaves[i])


def _decoded(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


@dataclass(frozen=True)
class _Tensor:
    type_name: str
    n_elements: int
    n_bytes: int
    data_offset: int


class _Header:
    """A GGUF header, parsed by the rules ``gguf.GGUFReader`` follows, in the file's byte order.

    Raises _Damaged, struct.error (a read past the end), UnicodeDecodeError (a key or tensor
    name), ValueError (an unknown type) or KeyError where GGUFReader raises.
    """

    def __init__(self, mm: mmap.mmap) -> None:
        self.mm = mm
        self.size = len(mm)
        # as GGUFReader: a version whose low half is zero in this machine's order is the other's
        native: Literal["<", ">"] = "<" if sys.byteorder == "little" else ">"
        other: Literal["<", ">"] = ">" if native == "<" else "<"
        (version,) = struct.unpack_from(native + "I", mm, 4)
        self.order = other if version & 0xFFFF == 0 else native
        self._u32 = struct.Struct(self.order + "I").unpack_from
        self._u64 = struct.Struct(self.order + "Q").unpack_from
        (version,) = self._u32(mm, 4)
        if version not in _VERSIONS:
            raise _Damaged(f"GGUF version {version} is not supported")
        tensor_count, kv_count = struct.unpack_from(self.order + "QQ", mm, 8)
        offset = 24
        if offset + kv_count * _MIN_KV + tensor_count * _MIN_TENSOR_INFO > self.size:
            raise _Damaged("the header runs past the end of the file")
        self.fields: dict[str, _Field] = {}
        seen = {"GGUF.version", "GGUF.tensor_count", "GGUF.kv_count"}  # GGUFReader's own
        for _ in range(kv_count):
            raw_key, offset = self.string(offset)
            key = raw_key.decode("utf-8")
            if key in seen:
                raise _Damaged(f"duplicate key {key}")
            seen.add(key)
            (raw_type,) = self._u32(mm, offset)
            self.fields[key], offset = self._value(offset + 4, raw_type)
        offset, infos = self._tensor_infos(offset, tensor_count)
        alignment = GGUF_DEFAULT_ALIGNMENT
        align = self.fields.get("general.alignment")
        if align is not None:
            if align.vtype != GGUFValueType.UINT32:
                raise _Damaged("general.alignment is not a UINT32")
            alignment = int(align.contents())
            if alignment == 0 or alignment & (alignment - 1):
                raise _Damaged("general.alignment is not a power of two")
        self.data_offset = offset + -offset % alignment
        self.tensors = self._tensors(infos)

    def dtype(self, vtype: GGUFValueType) -> np.dtype[Any]:
        return _SCALARS[vtype].newbyteorder(self.order)

    def field(self, key: str) -> Any:
        field = self.fields.get(key)
        return None if field is None else field.contents()

    def string(self, offset: int) -> tuple[bytes, int]:
        """A string's bytes, and where it ends."""
        (n,) = self._u64(self.mm, offset)
        end = offset + 8 + n
        if end > self.size:
            raise _Damaged("a string runs past the end of the file")
        return self.mm[offset + 8 : end], end

    def _value(self, offset: int, raw_type: int) -> tuple[_Field, int]:
        vtype = GGUFValueType(raw_type)
        if vtype == GGUFValueType.STRING:
            data, offset = self.string(offset)
            return _Field(self, vtype, data), offset
        if vtype in _SCALARS:
            dtype = self.dtype(vtype)
            end = offset + dtype.itemsize
            if end > self.size:
                raise _Damaged("a value runs past the end of the file")
            value = np.frombuffer(self.mm[offset:end], dtype).tolist()[0]
            return _Field(self, vtype, value), end
        if vtype != GGUFValueType.ARRAY:
            raise _Damaged(f"values of type {vtype.name} cannot be read")
        raw_itype, count = struct.unpack_from(self.order + "IQ", self.mm, offset)
        offset += 12
        if count == 0:  # GGUFReader looks at the element type through the elements only
            return _Field(self, vtype, leaves=[]), offset
        itype = GGUFValueType(raw_itype)
        if itype == GGUFValueType.STRING:
            if offset + 8 * count > self.size:
                raise _Damaged("an array runs past the end of the file")
            offsets, offset = self._string_offsets(offset, count)
            return _Field(self, vtype, offsets=offsets), offset
        if itype in _SCALARS:
            end = offset + count * self.dtype(itype).itemsize
            if end > self.size:
                raise _Damaged("an array runs past the end of the file")
            return _Field(self, vtype, items=(itype, offset, count)), end
        if itype != GGUFValueType.ARRAY:
            raise _Damaged(f"values of type {itype.name} cannot be read")
        if offset + 12 * count > self.size:
            raise _Damaged("an array runs past the end of the file")
        leaves: list[Any] = []  # arrays of arrays: no model keeps anything big in them
        for _ in range(count):
            inner, offset = self._value(offset, GGUFValueType.ARRAY)
            leaves += inner.raw()
        return _Field(self, vtype, leaves=leaves), offset

    def _string_offsets(self, offset: int, count: int) -> tuple[npt.NDArray[np.int64], int]:
        """Where each of ``count`` consecutive strings from ``offset`` starts; where they end."""
        found: list[npt.NDArray[np.int64]] = []
        single: list[int] = []
        left = count
        while left:
            (n,) = self._u64(self.mm, offset)
            if left <= _FEW or n >= _SHORT:
                single.append(offset)
                offset += 8 + n
                left -= 1
                continue
            window = self.mm[offset : offset + min(_WINDOW, 32 * left + 4096)]
            chain = _short_strings(window, left, big_endian=self.order == ">")
            if chain is None:  # the last few bytes of the file: one by one
                stop = offset + len(window)
                while left and offset < stop:
                    single.append(offset)
                    offset += 8 + self._u64(self.mm, offset)[0]
                    left -= 1
                continue
            starts, ends = chain
            take = min(left, len(starts))
            found.append(np.array(single, np.int64))
            found.append(starts[:take] + offset)
            single = []
            offset += int(ends[take - 1])
            left -= take
        if offset > self.size:
            raise _Damaged("a string runs past the end of the file")
        found.append(np.array(single, np.int64))
        return np.concatenate(found), offset

    def _tensor_infos(self, offset: int, count: int) -> tuple[int, list[_TensorInfo]]:
        infos = []
        for _ in range(count):
            raw_name, offset = self.string(offset)
            (n_dims,) = self._u32(self.mm, offset)
            if offset + 4 + 8 * n_dims + 12 > self.size:
                raise _Damaged("a tensor's index entry runs past the end of the file")
            dims = struct.unpack_from(f"{self.order}{n_dims}Q", self.mm, offset + 4)
            offset += 4 + 8 * n_dims
            raw_type, data_offset = struct.unpack_from(self.order + "IQ", self.mm, offset)
            offset += 12
            infos.append((raw_name.decode("utf-8"), dims, raw_type, data_offset))
        return offset, infos

    def _tensors(self, infos: list[_TensorInfo]) -> list[_Tensor]:
        tensors = []
        names = set()
        for name, dims, raw_type, data_offset in infos:
            if name in names:
                raise _Damaged(f"duplicate tensor {name}")
            names.add(name)
            ggml_type = GGMLQuantizationType(raw_type)
            block_size, type_size = GGML_QUANT_SIZES[ggml_type]
            if ggml_type not in _PLAIN_TENSORS:  # GGUFReader refuses rows of partial blocks
                quant_shape_to_byte_shape(tuple(reversed(dims)), ggml_type)
            n_elements = math.prod(dims) % (1 << 64)  # GGUFReader: numpy's uint64 product
            n_bytes = n_elements * type_size // block_size
            tensors.append(
                _Tensor(ggml_type.name, n_elements, n_bytes, self.data_offset + data_offset)
            )
        return tensors


def _short_strings(
    window: bytes, need: int, *, big_endian: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """The strings that certainly follow one another from ``window[0]``: starts and ends.

    ``window`` starts with a string shorter than 64 KiB. The 64-bit length of such a string has
    six zero bytes: each place in the window with them is a candidate start, pointing to the
    next one (itself + 8 + the length). The strings from window[0] on are the candidates
    reachable from it. The likeliest candidates are tried first (a length's low byte ends a
    run of such places), then all of them if that chain stops short of ``need`` and of the
    window's end. None for a window too short to tell.
    """
    w = np.frombuffer(window, np.uint8)
    n = len(w) - 9  # candidates before n; six up to n + 1
    if n < 3:
        return None
    zero = w == 0
    pair = zero[:-1] & zero[1:]  # pair[i]: bytes i and i + 1 are zero
    first = 0 if big_endian else 2  # where the six high bytes of a length start
    six = pair[first : first + n + 2] & pair[first + 2 : first + n + 4]
    six &= pair[first + 4 : first + n + 6]
    six[0] = True
    # little-endian: the last place of a run; big-endian: the last or the one before it
    likely = six[:n] > (six[1 : n + 1] & six[2 : n + 2] if big_endian else six[1 : n + 1])
    likely[0] = True
    low16 = np.ndarray((n,), ">u2" if big_endian else "<u2", window, 6 if big_endian else 0, (1,))
    for candidates in (likely, six[:n]):
        starts = np.flatnonzero(candidates)
        ends = starts + 8 + low16[starts]
        chain = _chain(starts, ends)
        if len(chain[0]) >= need or chain[1][-1] >= n:
            break
    return chain


def _chain(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The candidates reachable from the first, each pointing to the one starting at its end."""
    c = len(starts)
    target = np.full(c, c, np.int64)  # the candidate each one points to; c: none
    for k in (1, 2):  # mostly the next one
        if k < c:
            at = np.flatnonzero(ends[: c - k] == starts[k:])
            target[at] = at + k
    rest = np.flatnonzero(target == c)
    found = np.searchsorted(starts, ends[rest])
    hit = found < c
    hit[hit] = starts[found[hit]] == ends[rest[hit]]
    target[rest[hit]] = found[hit]
    # Mostly a few rounds of dropping the candidates nothing points to leave the chain alone.
    alive = np.ones(c, bool)
    count = c
    for _ in range(4):
        pointed_to = np.zeros(c + 1, bool)
        pointed_to[target[alive]] = True
        pointed_to[0] = True
        alive &= pointed_to[:c]
        now = int(np.count_nonzero(alive))
        if now == count:
            return starts[alive], ends[alive]
        count = now
    # Otherwise (a chain stops early, and the rest of the window hangs together): follow the
    # pointers from the first, doubling the steps taken each round.
    jump = np.append(target, c)  # c points to itself
    path = np.zeros(1, np.int64)  # the first len(path) steps from the first candidate
    while path[-1] != c:
        path = np.concatenate((path, jump[path]))
        jump = jump[jump]
    path = path[: int(np.argmax(path == c))]
    return starts[path], ends[path]


def _quantization(header: _Header) -> str:
    file_type = header.field("general.file_type")
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
    for tensor in header.tensors:
        weights[tensor.type_name] += tensor.n_elements
    return weights.most_common(1)[0][0] if weights else "unknown"


def _model_info(path: Path, size: int, header: _Header) -> ModelInfo:
    arch = str(header.field("general.architecture") or "unknown")

    def arch_int(key: str) -> int | None:
        value = header.field(f"{arch}.{key}")
        if isinstance(value, list):  # per-layer values in some architectures
            value = max(value) if value else None
        return int(value) if value is not None else None

    tokens = header.fields.get("tokenizer.ggml.tokens")

    def token(key: str) -> str | None:
        idx = header.field(key)
        if tokens is None or not isinstance(idx, int) or idx >= len(tokens):
            return None
        try:
            return str(tokens.item(int(idx)))
        except IndexError:  # a negative index beyond the start
            return None

    name = header.field("general.name") or path.stem
    file_type = header.field("general.type")
    adapter_type = header.field("adapter.type")
    return ModelInfo(
        path=path,
        file_size=size,
        name=str(name),
        architecture=arch,
        parameter_count=sum(t.n_elements for t in header.tensors),
        quantization=_quantization(header),
        context_length=arch_int("context_length"),
        n_layer=arch_int("block_count"),
        n_embd=arch_int("embedding_length"),
        n_head=arch_int("attention.head_count"),
        n_head_kv=arch_int("attention.head_count_kv"),
        chat_template=header.field("tokenizer.chat_template"),
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token=token("tokenizer.ggml.bos_token_id"),
        longest_token=None if tokens is None else tokens.longest(),
        marker_tokens=frozenset()
        if tokens is None or header.fields.get("tokenizer.chat_template") is not None
        else tokens.has_strings(TURN_MARKER_TOKENS),
        file_type=str(file_type) if isinstance(file_type, str) and file_type else "model",
        adapter_type=str(adapter_type) if isinstance(adapter_type, str) else None,
        base_model=_base_model(header),
        head_dim=arch_int("attention.key_length"),
    )


def _base_model(header: _Header) -> str | None:
    """The first base model a file names, as its repository ("Qwen/Qwen2.5-0.5B") or name.

    llama.cpp's converters copy these from the model card: ``general.base_model.0.name``,
    ``.organization`` and ``.repo_url`` (a Hugging Face address).
    """
    key = "general.base_model.0."
    repo_url = header.field(key + "repo_url")
    if isinstance(repo_url, str) and "huggingface.co/" in repo_url:
        repo = repo_url.split("huggingface.co/", 1)[1].strip("/")
        if repo.count("/") == 1:
            return repo
    name = header.field(key + "name")
    org = header.field(key + "organization")
    if isinstance(name, str) and name:
        return f"{org} {name}" if isinstance(org, str) and org else name
    return None


def _open_gguf(path: Path) -> None:
    """Raises ModelFileError unless ``path`` is a readable file that starts like a GGUF.

    Each refusal says what is wrong with the path: missing, a link to nothing, a link loop, a
    folder, unreadable, empty, or not GGUF.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            target = Path(os.path.realpath(path))
            raise ModelFileError(
                f"the model file {path} is a link to {target}, which does not exist"
            ) from None
        raise ModelFileError(f"model file not found: {path}") from None
    except OSError as exc:  # a link loop, a folder on the way that cannot be entered, ...
        raise ModelFileError(f"cannot open the model file {path}: {_reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"{path} is a folder, not a model file")
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"{path} is not a regular file, so it cannot be a model file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelFileError(f"cannot read the model file {path}: {_reason(exc)}") from exc
    if not magic:
        raise ModelFileError(f"{path.name} is empty (0 bytes), not a GGUF model file")
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"{path.name} is not a GGUF model file (it does not start with GGUF)")


def _reason(exc: OSError) -> str:
    """The system's words for ``exc`` inside a sentence: "too many levels of symbolic links"."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _unreadable(path: Path, exc: BaseException) -> ModelFileError:
    log.info("GGUF header of %s unreadable: %s", path, exc)
    return ModelFileError(
        f"{path.name} is truncated or damaged (an unfinished download?): "
        "its GGUF header cannot be read"
    )


def read_model_info(path: Path | str) -> ModelInfo:
    """Read a GGUF file's metadata.

    Only the header is read, and of the vocabulary only the end-of-turn and begin tokens:
    milliseconds for a 150k-token model. Tensor data is not looked at, so a file of the full
    size whose data is zeros (a header fetched into a sparse file) reads like the whole file.

    Raises:
        ModelFileError: the path does not exist, is not a file, is not GGUF, or is truncated.
    """
    path = Path(path).expanduser()
    _open_gguf(path)
    size = path.stat().st_size
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            header = _Header(mm)
            end = max((t.data_offset + t.n_bytes for t in header.tensors), default=0)
            if end > size:
                raise ModelFileError(
                    f"{path.name} is truncated: it has {size:,} bytes but its tensors need {end:,}"
                    " (an unfinished download?)"
                )
            return _model_info(path, size, header)
    except _HEADER_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def header_end(path: Path | str) -> int:
    """Where a GGUF file's header (metadata and tensor index) ends: the start of tensor data.

    Raises:
        ModelFileError: as read_model_info, for a file whose header cannot be read.
    """
    path = Path(path).expanduser()
    _open_gguf(path)
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return _Header(mm).data_offset
    except _HEADER_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def file_size_label(n: int) -> str:
    """Sizes as file managers write them (1 KB = 1000 bytes)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


__all__ = [
    "TURN_MARKER_TOKENS",
    "ModelFileError",
    "ModelInfo",
    "file_size_label",
    "header_end",
    "read_model_info",
]
