"""A model's header, read without its vocabulary: the facts gguf's own full reader gives.

Every file here is also read with ``reference_info``: read_model_info as it was, through
``gguf.GGUFReader`` (which turns every token into numpy arrays: 9 s for a 151k-token model).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from chatapp.core.models.modelinfo import (
    TURN_MARKER_TOKENS,
    ModelFileError,
    ModelInfo,
    header_end,
    read_model_info,
)


def reference_info(path: Path) -> ModelInfo | str:
    """read_model_info before it read headers itself; a refused file's message as a string."""
    return reference(path)[0]


def reference(path: Path) -> tuple[ModelInfo | str, int | None]:
    """reference_info, and where gguf's reader says the tensor data starts."""
    reader: list[gguf.GGUFReader] = []
    try:
        info = _reference_info(path, reader)
    except ModelFileError as exc:
        return str(exc), int(reader[0].data_offset) if reader else None
    return info, int(reader[0].data_offset)


def _reference_info(path: Path, out: list[gguf.GGUFReader]) -> ModelInfo:
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelFileError(
                f"{path.name} is not a GGUF model file (it does not start with GGUF)"
            )
    size = path.stat().st_size
    try:
        reader = gguf.GGUFReader(path)
        out.append(reader)
    except (ValueError, IndexError, OSError, KeyError, TypeError) as exc:
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

    def field(key: str) -> Any:
        f = reader.fields.get(key)
        return None if f is None else f.contents()

    arch = str(field("general.architecture") or "unknown")

    def arch_int(key: str) -> int | None:
        value = field(f"{arch}.{key}")
        if isinstance(value, list):
            value = max(value) if value else None
        return int(value) if value is not None else None

    tokens = reader.fields.get("tokenizer.ggml.tokens")

    def token(key: str) -> str | None:
        idx = field(key)
        if tokens is None or not isinstance(idx, int) or idx >= len(tokens.data):
            return None
        return str(tokens.contents(idx))

    quantization = "unknown"
    file_type = field("general.file_type")
    name = ""
    if isinstance(file_type, int):
        try:
            name = gguf.LlamaFileType(file_type).name
        except ValueError:
            name = ""
        for prefix in ("MOSTLY_", "ALL_"):
            name = name.removeprefix(prefix)
    if name and name != "GUESSED":
        quantization = name
    else:
        weights: Counter[str] = Counter()
        for tensor in reader.tensors:
            weights[tensor.tensor_type.name] += int(tensor.n_elements)
        quantization = weights.most_common(1)[0][0] if weights else "unknown"
    return ModelInfo(
        path=path,
        file_size=size,
        name=str(field("general.name") or path.stem),
        architecture=arch,
        parameter_count=sum(int(t.n_elements) for t in reader.tensors),
        quantization=quantization,
        context_length=arch_int("context_length"),
        n_layer=arch_int("block_count"),
        n_embd=arch_int("embedding_length"),
        n_head=arch_int("attention.head_count"),
        n_head_kv=arch_int("attention.head_count_kv"),
        chat_template=field("tokenizer.chat_template"),
        eos_token=token("tokenizer.ggml.eos_token_id"),
        bos_token=token("tokenizer.ggml.bos_token_id"),
        longest_token=(
            max(len(t.encode()) for t in tokens.contents()) if tokens is not None else None
        ),
        marker_tokens=frozenset(
            TURN_MARKER_TOKENS & set(tokens.contents())
            if tokens is not None and field("tokenizer.chat_template") is None
            else ()
        ),
        head_dim=arch_int("attention.key_length"),
    )


def info_or_message(path: Path) -> ModelInfo | str:
    try:
        return read_model_info(path)
    except ModelFileError as exc:
        return str(exc)


@pytest.mark.parametrize(
    "fixture",
    [
        "tiny_model",
        "eos_model",
        "long_model",
        "quantized_model",
        "unknown_arch_model",
        "bad_template_model",
    ],
)
def test_the_facts_are_those_ggufs_own_reader_gives(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    path: Path = request.getfixturevalue(fixture)
    assert (read_model_info(path), header_end(path)) == reference(path)


def test_a_real_model_reads_as_ggufs_own_reader_reads_it(real_model: Path) -> None:
    info = read_model_info(real_model)
    assert (info, header_end(real_model)) == reference(real_model)  # gguf's reader: seconds
    assert info.architecture == "qwen2" and info.quantization == "Q4_K_M"
    assert info.eos_token == "<|im_end|>" and info.chat_template


def _odd_tokens(n: int) -> list[str]:
    """A vocabulary with what trips up a fast walk: NUL runs, empty, long and multi-byte tokens."""
    tokens = []
    for i in range(n):
        kind = i % 9
        if kind == 0:
            tokens.append("\x00" * (i % 23))  # runs of zero bytes, like a string's length has
        elif kind == 1:
            tokens.append("")
        elif kind == 2:
            tokens.append("ĠÜberfluß" + str(i))
        elif kind == 3 and i % 100 == 3:
            tokens.append("x" * (70_000 + i))  # longer than 64 KiB
        elif kind == 4 and i % 50 == 4:
            tokens.append("y" * (300 + i % 5000))
        else:
            tokens.append(f"tok{i}")
    return tokens


def write_vocab_model(
    path: Path, tokens: list[str], *, big_endian: bool, template: bool = True
) -> Path:
    """A small model with the given vocabulary, in either byte order."""
    endian = gguf.GGUFEndian.BIG if big_endian else gguf.GGUFEndian.LITTLE
    w = gguf.GGUFWriter(path, "llama", endianess=endian)
    w.add_name("Odd Vocabulary")
    w.add_context_length(4096)
    w.add_block_count(2)
    w.add_embedding_length(16)
    w.add_head_count(4)
    w.add_head_count_kv([2, 1])  # per layer
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_token_list(tokens)
    w.add_token_types([1] * len(tokens))
    w.add_bos_token_id(len(tokens) // 3)
    w.add_eos_token_id(len(tokens) - 2)
    if template:
        w.add_chat_template("{{ messages[0]['content'] }}")
    w.add_tensor("token_embd.weight", np.arange(64, dtype=np.float32).reshape(4, 16))
    w.add_tensor("output_norm.weight", np.ones(16, dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.mark.parametrize("big_endian", [False, True], ids=["little-endian", "big-endian"])
def test_odd_vocabularies_in_either_byte_order_read_as_ggufs_reader_reads_them(
    tmp_path: Path, big_endian: bool
) -> None:
    tokens = _odd_tokens(12_000)  # over 1 MB: more than one window of the fast walk
    path = write_vocab_model(tmp_path / "odd.gguf", tokens, big_endian=big_endian)
    info = read_model_info(path)
    assert (info, header_end(path)) == reference(path)
    assert info.eos_token == tokens[-2] and info.bos_token == tokens[len(tokens) // 3]
    assert info.n_head_kv == 2 and info.name == "Odd Vocabulary"


def test_a_header_fetched_into_a_sparse_file_reads_like_the_whole_file(
    tmp_path: Path, quantized_model: Path
) -> None:
    """What the Hub's header preview does: the header's bytes, then a hole up to the full size."""
    start = header_end(quantized_model)
    sparse = tmp_path / "remote-Q4_K_M.gguf"
    with sparse.open("wb") as fh:
        fh.write(quantized_model.read_bytes()[:start])
        fh.truncate(quantized_model.stat().st_size)
    assert read_model_info(sparse) == replace(read_model_info(quantized_model), path=sparse)
    assert read_model_info(sparse) == reference_info(sparse)
    assert header_end(sparse) == start


def _cut_points(header: int, size: int) -> list[int]:
    return sorted({*range(4, 40), *range(40, header, max(1, header // 60)), header - 1, size - 1})


def test_a_file_cut_short_is_refused_saying_so(tmp_path: Path, tiny_model: Path) -> None:
    data = tiny_model.read_bytes()
    reader = gguf.GGUFReader(tiny_model)
    need = max(int(t.data_offset) + int(t.n_bytes) for t in reader.tensors)
    last = reader.tensors[-1].field
    index_end = int(last.offset) + sum(int(part.nbytes) for part in last.parts)
    cut = tmp_path / "cut.gguf"
    for n in _cut_points(reader.data_offset, len(data)):
        cut.write_bytes(data[:n])
        message = info_or_message(cut)
        if n < index_end:  # in the header: as gguf's reader refuses it
            assert message == reference_info(cut), n
        else:
            # The whole header is there: it says how much is missing. (gguf's reader, before,
            # failed on the missing tensor data first: "its GGUF header cannot be read".)
            assert message == (
                f"cut.gguf is truncated: it has {n:,} bytes but its tensors need {need:,}"
                " (an unfinished download?)"
            ), n


def _damaged(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def test_damaged_headers_are_refused_as_before(tmp_path: Path, tiny_model: Path) -> None:
    data = tiny_model.read_bytes()
    reader = gguf.GGUFReader(tiny_model)
    fields = reader.fields
    tokens = fields["tokenizer.ggml.tokens"]
    first_key = fields["general.architecture"]
    last = reader.tensors[-1]
    tensor_type_at = int(last.field.offset) + 8 + len(last.name.encode()) + 4 + 8 * len(last.shape)
    u32 = np.uint32
    variants = {
        "version 1": _damaged(data, 4, u32(1).tobytes()),
        "version 4": _damaged(data, 4, u32(4).tobytes()),
        "no end of keys": _damaged(data, 16, np.uint64(1 << 40).tobytes()),
        "no end of tensors": _damaged(data, 8, np.uint64(1 << 40).tobytes()),
        "unknown value type": _damaged(data, first_key.offset + 8 + 20, u32(99).tobytes()),
        "unknown element type": _damaged(data, tokens.offset + 8 + 21 + 4, u32(77).tobytes()),
        "too many tokens": _damaged(data, tokens.offset + 8 + 21 + 8, np.uint64(1 << 50).tobytes()),
        "duplicate key": _damaged(data, first_key.offset + 8, b"llama.context_length"),
        "not UTF-8 key": _damaged(data, first_key.offset + 8, b"\xff\xfe"),
        "unknown tensor type": _damaged(data, tensor_type_at, u32(250).tobytes()),
    }
    for what, damaged in variants.items():
        path = tmp_path / "damaged.gguf"
        path.write_bytes(damaged)
        expected = reference_info(path)
        assert isinstance(expected, str), what  # gguf's reader refuses each of them
        assert info_or_message(path) == expected, what


def test_a_name_that_is_not_utf8_is_refused_where_it_used_to_crash(
    tmp_path: Path, tiny_model: Path
) -> None:
    data = tiny_model.read_bytes()
    name = gguf.GGUFReader(tiny_model).fields["general.name"]
    at = int(name.offset) + 8 + len("general.name") + 4 + 8  # the value's first bytes
    path = tmp_path / "bad-name.gguf"
    path.write_bytes(_damaged(data, at, b"\xff\xfe"))
    with pytest.raises(UnicodeDecodeError):  # before: a traceback, from gguf's ReaderField
        reference_info(path)
    assert info_or_message(path) == (
        "bad-name.gguf is truncated or damaged (an unfinished download?): "
        "its GGUF header cannot be read"
    )


@pytest.mark.parametrize("big_endian", [False, True], ids=["little-endian", "big-endian"])
def test_a_file_without_a_template_names_the_turn_markers_its_vocabulary_has(
    tmp_path: Path, big_endian: bool
) -> None:
    tokens = _odd_tokens(12_000)
    # markers as whole tokens, and others only inside longer tokens (which do not count)
    tokens[5000:5000] = ["<start_of_turn>", "<end_of_turn>", "x<|im_start|>", "<|im_end|>y"]
    tokens.append("[INST]")  # the very last token
    path = write_vocab_model(tmp_path / "bare.gguf", tokens, big_endian=big_endian, template=False)
    info = read_model_info(path)
    assert info.marker_tokens == {"<start_of_turn>", "<end_of_turn>", "[INST]"}
    assert (info, header_end(path)) == reference(path)
    with_template = write_vocab_model(tmp_path / "t.gguf", tokens, big_endian=big_endian)
    assert read_model_info(with_template).marker_tokens == frozenset()  # not looked for
