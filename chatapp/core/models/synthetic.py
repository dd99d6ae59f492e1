"""Tiny synthetic GGUF chat models, written with the ``gguf`` package.

They let the tests, the benchmarks and ``--self-test`` run real llama.cpp without downloading
anything: a llama-architecture model with random weights, a byte-level BPE vocabulary (256 byte
tokens, a few merges, ChatML specials) and a ChatML chat template in its metadata.

The weights are random but shaped so the output reads like lower-case gibberish: every token
embedding carries a large constant in dimension 0, which survives the final RMS norm, so column 0
of the output matrix acts as a per-token logit bias. Letters and spaces get a positive bias; the
special tokens get a large negative one, so a reply never ends by itself unless ``eos_bias`` asks
for it.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

from chatapp.core.inference.chat_template import CHATML_TEMPLATE

_MERGES = [("t", "h"), ("h", "e"), ("Ġ", "t"), ("i", "n"), ("e", "r")]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters, as byte-level BPE stores them."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    mapping = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + n)
            n += 1
    return mapping


@dataclass(frozen=True)
class ModelShape:
    """Dimensions of a synthetic model; the defaults make a model of about 100 kB."""

    n_embd: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 128
    context_length: int = 4096
    extra_vocab: int = 0  # filler tokens, to give the output layer a realistic width


def write_chat_model(
    path: Path,
    *,
    shape: ModelShape | None = None,
    name: str = "Tiny Test Chat",
    architecture: str = "llama",
    chat_template: str | None = CHATML_TEMPLATE,
    eos_bias: float = -3.0,
    seed: int = 1234,
    dtype: type[np.floating] = np.float32,
    specials: tuple[str, str] = ("<|im_start|>", "<|im_end|>"),
    extra_specials: tuple[str, ...] = (),
    extra_tokens: dict[str, float] | None = None,
) -> Path:
    """Write a synthetic GGUF chat model to ``path`` and return it.

    Args:
        shape: the model's dimensions.
        architecture: ``general.architecture``; anything but "llama" makes a file llama.cpp refuses.
        chat_template: stored as ``tokenizer.chat_template``; ``None`` stores none.
        eos_bias: logit bias (divided by ~8) of ``<|im_end|>``; about +0.6 makes replies end by
            themselves after a dozen tokens or so, the default never.
        dtype: float32 or float16 weights.
        specials: the begin and end-of-turn (end-of-generation) control tokens.
        extra_specials: more control tokens (a chat format's markers), never sampled.
        extra_tokens: more normal tokens, in byte-level spelling ("Ċ" for a newline), each
            with its logit bias (divided by ~8), e.g. ``{"ĊUser:": 0.8}`` for a reply that
            soon writes a next turn of its own.
    """
    shape = shape or ModelShape()
    rng = np.random.default_rng(seed)
    byte_map = _bytes_to_unicode()
    tokens = [byte_map[b] for b in range(256)]
    tokens += [a + b for a, b in _MERGES]
    letters = string.ascii_lowercase
    for i in range(shape.extra_vocab):
        filler = "".join(letters[(i // 26**k) % 26] for k in range(4))
        tokens.append("Ġ" + filler)
    extra = extra_tokens or {}
    tokens += list(extra)
    im_start, im_end = len(tokens), len(tokens) + 1
    tokens += [*specials, *extra_specials]
    token_types = [gguf.TokenType.NORMAL] * im_start + [gguf.TokenType.CONTROL] * (
        2 + len(extra_specials)
    )
    n_vocab = len(tokens)

    w = gguf.GGUFWriter(str(path), architecture)
    w.add_name(name)
    w.add_file_type(
        gguf.LlamaFileType.ALL_F32 if dtype == np.float32 else gguf.LlamaFileType.MOSTLY_F16
    )
    w.add_context_length(shape.context_length)
    w.add_embedding_length(shape.n_embd)
    w.add_block_count(shape.n_layer)
    w.add_feed_forward_length(shape.n_ff)
    w.add_head_count(shape.n_head)
    w.add_head_count_kv(shape.n_head_kv)
    w.add_rope_dimension_count(shape.n_embd // shape.n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(token_types)
    w.add_token_merges([f"{a} {b}" for a, b in _MERGES])
    w.add_bos_token_id(im_start)
    w.add_eos_token_id(im_end)
    w.add_add_bos_token(False)
    if chat_template is not None:
        w.add_chat_template(chat_template)

    def rand(*dims: int, std: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(dims, dtype=np.float32) * std).astype(dtype)

    head_dim = shape.n_embd // shape.n_head
    n_kv = shape.n_head_kv * head_dim
    emb = rand(n_vocab, shape.n_embd, std=0.1)
    emb[:, 0] = 8.0
    w.add_tensor("token_embd.weight", emb)
    for i in range(shape.n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(shape.n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.attn_q.weight", rand(shape.n_embd, shape.n_embd))
        w.add_tensor(f"blk.{i}.attn_k.weight", rand(n_kv, shape.n_embd))
        w.add_tensor(f"blk.{i}.attn_v.weight", rand(n_kv, shape.n_embd))
        w.add_tensor(f"blk.{i}.attn_output.weight", rand(shape.n_embd, shape.n_embd))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(shape.n_embd, dtype=np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(shape.n_ff, shape.n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(shape.n_ff, shape.n_embd))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(shape.n_embd, shape.n_ff))
    w.add_tensor("output_norm.weight", np.ones(shape.n_embd, dtype=np.float32))
    out = rand(n_vocab, shape.n_embd, std=1.0 / np.sqrt(shape.n_embd))
    bias = np.zeros(n_vocab, dtype=np.float32)
    for ch in letters + " ":
        bias[ord(ch)] = 0.5  # byte tokens sit at their byte value
    for i, token_bias in enumerate(extra.values(), start=im_start - len(extra)):
        bias[i] = token_bias
    bias[im_start:] = -3.0
    bias[im_end] = eos_bias
    out[:, 0] = bias.astype(dtype)
    w.add_tensor("output.weight", out)

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def quantize(src: Path, dst: Path, ftype: str = "Q4_K_M", threads: int = 0) -> Path:
    """Quantize a GGUF with llama.cpp's own quantizer (as ``llama-quantize`` does).

    Dimensions must be multiples of the quantization's block size (256 for the K-quants).

    Raises:
        RuntimeError: llama.cpp reported a failure.
    """
    import ctypes

    import llama_cpp

    from chatapp.core.inference import llamalog

    llamalog.install()  # its per-tensor report goes to logging, not stderr
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama.cpp could not quantize {src.name} to {ftype} (code {rc})")
    return dst


# The weight matrices a LoRA adapter may patch, with their (rows, columns) for a shape: the
# names llama.cpp looks up as "<tensor>.lora_a" / "<tensor>.lora_b".
def _lora_targets(shape: ModelShape, n_vocab: int) -> dict[str, tuple[int, int]]:
    n_kv = shape.n_head_kv * (shape.n_embd // shape.n_head)
    per_layer = {
        "attn_q": (shape.n_embd, shape.n_embd),
        "attn_k": (n_kv, shape.n_embd),
        "attn_v": (n_kv, shape.n_embd),
        "attn_output": (shape.n_embd, shape.n_embd),
        "ffn_gate": (shape.n_ff, shape.n_embd),
        "ffn_up": (shape.n_ff, shape.n_embd),
        "ffn_down": (shape.n_embd, shape.n_ff),
    }
    targets = {
        f"blk.{i}.{name}.weight": dims
        for i in range(shape.n_layer)
        for name, dims in per_layer.items()
    }
    targets["output.weight"] = (n_vocab, shape.n_embd)
    return targets


def write_lora_adapter(
    path: Path,
    *,
    shape: ModelShape | None = None,
    rank: int = 4,
    alpha: float = 8.0,
    base_model: str = "Tiny Test Chat",
    base_repo_url: str | None = None,
    name: str = "Tiny Test LoRA",
    extra_vocab: int = 0,
    seed: int = 99,
) -> Path:
    """Write a GGUF LoRA adapter for a ``write_chat_model`` model of ``shape``, as llama.cpp's
    ``convert_lora_to_gguf.py`` lays one out, and return it.

    ``general.type`` "adapter", ``adapter.type`` "lora" and ``adapter.lora.alpha``; for each
    patched weight W (rows x columns, numpy order) a ``lora_a`` of rank x columns and a ``lora_b``
    of rows x rank, so that W' = W + scale * alpha / rank * B @ A. The base model is named in
    ``general.base_model.0.name``, as the converter copies it from the adapter's model card.

    Args:
        base_repo_url: the base model's Hub address, as ``general.base_model.0.repo_url``.
        extra_vocab: the base model's ``ModelShape.extra_vocab`` (``shape`` carries it too).
    """
    shape = shape or ModelShape(extra_vocab=extra_vocab)
    n_vocab = 256 + len(_MERGES) + shape.extra_vocab + 2
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_name(name)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    w.add_base_model_count(1)
    w.add_base_model_name(0, base_model)
    if base_repo_url:
        w.add_base_model_repo_url(0, base_repo_url)
    for tensor, (rows, cols) in _lora_targets(shape, n_vocab).items():
        # float32 throughout: llama.cpp crashes on an F64 adapter tensor rather than refuse it
        a = (rng.standard_normal((rank, cols)) / np.sqrt(cols)).astype(np.float32)
        b = (rng.standard_normal((rows, rank)) * 0.2).astype(np.float32)
        w.add_tensor(f"{tensor}.lora_a", a)
        w.add_tensor(f"{tensor}.lora_b", b)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
